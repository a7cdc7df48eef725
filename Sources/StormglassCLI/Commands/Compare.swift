import Telemetry
import Calibration
import Reports
import Lab
import ArgumentParser
import ControlPlane
import Foundation
import Recorder
import ScenarioKit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one scenario under several scaling policies on the same seeds (common random numbers), side by side.",
        discussion: "Example: \(CommandName.current) compare black-friday --policy hpa --policy predictive --replications 5")

    @Argument(help: "Scenario name.")
    var scenario: String

    @Option(name: .customLong("policy"), help: "A policy for every service: \(ScalingPolicies.knownNames.joined(separator: ", ")) (repeatable).")
    var policies: [String] = []

    @Option(help: "Seeds per policy (seed, seed+1, …); every policy sees the same traffic on each seed.")
    var replications: Int = 1

    @OptionGroup var options: ScenarioOptions
    @OptionGroup var calibrated: ModelOptions
    @OptionGroup var database: DatabaseOption
    @OptionGroup var charts: ChartOptions

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard policies.count >= 1 else { throw InputError("give at least one --policy (e.g. --policy hpa --policy predictive)") }
        guard (1...10_000).contains(replications) else { throw InputError("--replications \(replications): must be in 1…10000") }
        var (base, params) = try options.resolve(scenario)
        let models = try calibrated.load()
        for m in models {
            guard let i = base.services.firstIndex(where: { $0.name == m.service }) else {
                throw InputError("--model: the model is for \(m.service); \(scenario) has \(base.services.map(\.name).joined(separator: ", "))")
            }
            m.apply(to: &base.services[i].model, cpuPerRequest: base.services[i].model.cpuSecondsPerRequest != nil)
            params["model.\(m.service)"] = m.summary
        }
        var jobs: [RunJob] = []
        for p in policies {
            var spec = base
            try spec.set("policy", p)
            for r in 0..<replications {
                var ps = params
                ps["policy"] = p
                jobs.append(RunJob(spec: spec, seed: base.seed &+ UInt64(r), label: p, replication: r, parameters: ps))
            }
        }
        let recording = try database.recording(default: .all, drawsRuns: charts.plots)
        let store = try database.openForRecording()
        var executor = RunExecutor(store: store, progress: progress.line)
        executor.recording = recording
        let done = try executor.run(jobs)
        print("\(scenario): \(policies.count) policies × \(replications) seed\(replications == 1 ? "" : "s") (\(base.seed)…\(base.seed &+ UInt64(replications - 1))), "
              + (Interrupt.isRequested ? Interrupted.partialTable : "\(base.duration) each"))
        print(try ComparisonReport.table(store, groups: policies.map { p in (p, done.filter { $0.job.label == p }.map(\.runID)) }))
        if charts.plots {
            for p in policies { if let id = done.first(where: { $0.job.label == p })?.runID { charts.draw(database: database.db, run: id, prefix: "\(scenario)-\(p)") } }
            charts.drawSweep(database: database.db, scenario: scenario, labels: policies, keys: ["policy"])
        }
        for m in models { m.validationLines.forEach { print(TerminalText.escaped($0)) } }
        print("\nresults: \(database.db) (runs \(done.map(\.runID).min() ?? 0)…\(done.map(\.runID).max() ?? 0))")
        if Interrupt.isRequested { throw ExitCode.interrupted }
    }
}

