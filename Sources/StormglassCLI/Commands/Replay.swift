import Telemetry
import Calibration
import ArgumentParser
import ClusterModel
import ControlPlane
import Foundation
import Kubernetes
import Lab
import Recorder
import Reports
import ScenarioKit
import SimulationKernel

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What would my autoscaler have done? Replays production traces onto the Deployments and HPAs/ScaledObjects of your manifests.",
        discussion: """
        Each --trace names a Deployment of the manifests; its HPA or KEDA ScaledObject scales it in the simulation \
        exactly as configured (every field that cannot be honoured is an error naming file, line and YAML path). \
        CPU utilization is the per-request CPU (--cpu-per-request, or derived from --cpu-trace) over the ready pods' \
        CPU requests. --vs runs other policies on the same traffic and seed.
        Example: \(CommandName.current) replay --manifests k8s/ --trace checkout=prom.json --replay-values per-second --cpu-per-request 25ms --vs predictive
        """)

    @Option(name: .customLong("manifests"), help: "A manifest file or folder (repeatable): Deployments, autoscaling/v2 HPAs, KEDA ScaledObjects.")
    var manifests: [String] = []

    @Option(name: .customLong("trace"), help: ArgumentHelp("A Deployment's traffic (repeatable): CSV or Prometheus JSON.", valueName: "deployment=file"))
    var traces: [String] = []

    @OptionGroup var knobs: ReplayKnobs

    @Option(name: .customLong("cpu-per-request"), help: "CPU time one request uses, e.g. 25ms (for every traced Deployment).")
    var cpuPerRequest: String?

    @Option(name: .customLong("cpu-trace"), help: ArgumentHelp("A Deployment's CPU usage in cores (repeatable); CPU per request is its total over the requests'.", valueName: "deployment=file"))
    var cpuTraces: [String] = []

    @Option(name: .customLong("metric"), help: ArgumentHelp("What a custom metric or Prometheus query in the manifests means: request-rate or queue-length (repeatable).", valueName: "name=meaning"))
    var metrics: [String] = []

    @Option(name: .customLong("service-time"), help: "Median own work per request (p99 five times it; default: the CPU per request, else 50ms).")
    var serviceTime: String?

    @Option(help: "Replica start-up latency (default: the readiness probe's timing, else a 30 s median).")
    var startup: String?

    @Option(name: .customLong("slo-p95"), help: "The latency objective (p95).")
    var sloP95: String = "500ms"

    @Option(name: .customLong("vs"), help: "Also run this policy on the same traffic (repeatable): \(ScalingPolicies.knownNames.joined(separator: ", ")).")
    var versus: [String] = []

    @Option(help: "Simulated duration (default: the trace's length).")
    var duration: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @OptionGroup var calibrated: ModelOptions

    @OptionGroup var database: DatabaseOption
    @OptionGroup var charts: ChartOptions

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let (spec, notes, parameters) = try scenario()
        for n in notes { FileHandle.standardError.write(Data("note: \(n)\n".utf8)) }
        let own = spec.services.map { $0.policy.name }
        let ownLabel = Set(own).count == 1 ? own[0] : "manifests"
        var groups: [(label: String, spec: ScenarioSpec)] = [(ownLabel, spec)]
        for p in versus {
            var s = spec
            try s.set("policy", p)
            groups.append((p, s))
        }
        let jobs = groups.map { g in
            RunJob(spec: g.spec, seed: spec.seed, label: g.label, parameters: parameters.merging(["policy": g.label]) { $1 })
        }
        let recording = try database.recording(default: .all, drawsRuns: charts.plots)
        let store = try database.openForRecording()
        var executor = RunExecutor(store: store, progress: progress.line)
        executor.recording = recording
        let done = try executor.run(jobs)
        let services = spec.services.map { "\($0.name) (\($0.policy.name), \($0.minReplicas)…\($0.maxReplicas) replicas)" }
        print("replay: \(services.joined(separator: ", ")) " + (Interrupt.isRequested ? Interrupted.partialTable : "over \(spec.duration) of traffic, seed \(spec.seed)"))
        print(try ComparisonReport.table(store, groups: groups.map { g in (g.label, done.filter { $0.job.label == g.label }.map(\.runID)) }))
        for d in done {
            let samples = try store.serviceSamples(run: d.runID)
            for s in spec.services {
                let desired = samples.filter { $0.service == s.name }.map(\.desiredReplicas)
                guard let lo = desired.min(), let hi = desired.max() else { continue }
                print("\(d.job.label): \(s.name) replicas \(lo)…\(hi), \(changes(desired)) changes")
            }
        }
        if charts.plots {
            for d in done { charts.draw(database: database.db, run: d.runID, prefix: "replay-\(d.job.label)") }
        }
        for m in try calibrated.load() { m.validationLines.forEach { print(TerminalText.escaped($0)) } }
        print("\nresults: \(database.db) (runs \(done.map(\.runID).min() ?? 0)…\(done.map(\.runID).max() ?? 0))")
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }

    func changes(_ xs: [Int]) -> Int { zip(xs.dropFirst(), xs).filter { $0 != $1 }.count }

    /// The scenario from the options; every problem of the inputs at once.
    func scenario() throws -> (ScenarioSpec, [String], [String: String]) {
        var sourceParameters: [String: String] = [:]
        try knobs.source.install(parameters: &sourceParameters)
        var problems: [String] = []
        if manifests.isEmpty { problems.append("give --manifests FILE-OR-FOLDER (Deployments with their HPA or ScaledObject)") }
        if traces.isEmpty { problems.append("give --trace DEPLOYMENT=FILE (CSV or Prometheus JSON)") }
        let (pairs, pairProblems) = keyedValues(traces, option: "--trace", form: "deployment=file")
        let (cpuPairs, cpuProblems) = keyedValues(cpuTraces, option: "--cpu-trace", form: "deployment=file")
        let (metricPairs, metricProblems) = keyedValues(metrics, option: "--metric", form: "name=meaning")
        let (settings, knobProblems) = knobs.settings()
        problems += pairProblems + cpuProblems + metricProblems + knobProblems
        var study = ReplayScenario(services: pairs.map { ReplayScenario.TracedService(deployment: $0.key, trace: $0.value) })
        study.replay = settings
        study.seed = seed
        let models: [CalibratedModel]
        do { models = try calibrated.load() } catch let e as InputError { problems.append(e.description); models = [] }
        for m in models {
            if pairs.contains(where: { $0.key == m.service }) { study.models[m.service] = m }
            else { problems.append("--model: the model is for \(m.service), which has no --trace (\(pairs.map(\.key).joined(separator: ", ")))") }
        }
        for (name, meaning) in metricPairs {
            if let m = SimulatedMetric(rawValue: meaning) { study.metrics[name] = m } else {
                problems.append("--metric \(name)=\(meaning): one of \(SimulatedMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        func duration(_ text: String?, _ option: String, _ range: ClosedRange<SimDuration>) -> SimDuration? {
            guard let text else { return nil }
            guard let d = SimDuration(parsing: text), range.contains(d) else {
                problems.append("\(option) \(text): not a duration from \(range.lowerBound) to \(range.upperBound)"); return nil
            }
            return d
        }
        if let work = duration(cpuPerRequest, "--cpu-per-request", .milliseconds(0.001)...(.hours(1))) {
            for p in pairs { study.cpu[p.key] = .perRequest(work) }
        }
        if cpuPerRequest != nil && !cpuPairs.isEmpty { problems.append("give --cpu-per-request or --cpu-trace, not both") }
        for (d, file) in cpuPairs {
            if !pairs.contains(where: { $0.key == d }) { problems.append("--cpu-trace \(d)=\(file): \(d) has no --trace") }
            study.cpu[d] = .usageTrace(file)
        }
        study.serviceTime = duration(serviceTime, "--service-time", .milliseconds(0.001)...(.hours(1)))
        study.startup = duration(startup, "--startup", .seconds(0)...(.hours(24)))
        if let p95 = duration(sloP95, "--slo-p95", .milliseconds(0.001)...(.hours(1))) { study.slo = SLO(p95: p95) }
        study.duration = duration(self.duration, "--duration", .seconds(1)...(.days(366)))
        for v in versus where ScalingPolicies.named(v) == nil {
            problems.append("--vs \(v): no such policy (\(ScalingPolicies.knownNames.joined(separator: ", ")))")
        }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        let built: (spec: ScenarioSpec, notes: [String])
        built = try study.build(manifests: manifests)
        let invalid = built.spec.validate()
        if !invalid.isEmpty { throw InputError(InvalidScenario(scenario: "replay", problems: invalid).description) }
        var parameters = knobs.parameters.merging(sourceParameters) { $1 }
        for p in pairs { parameters["trace.\(p.key)"] = p.value }
        parameters["manifests"] = manifests.joined(separator: ",")
        if let cpuPerRequest { parameters["cpu-per-request"] = cpuPerRequest }
        return (built.spec, built.notes, parameters)
    }
}
