import ArgumentParser
import Calibration
import Chaos
import Charts
import ClusterModel
import ControlPlane
import Foundation
import Kubernetes
import Lab
import Reports
import ScenarioKit
import SimulationKernel
import Telemetry

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded period through a calibrated model and its autoscaler, and say how far the simulation is from what the real system recorded.",
        discussion: """
        The history's rate drives the model (`--model`, from `calibrate`) under the Deployment and HPA or \
        ScaledObject of --manifests, starting from the replicas the history starts with; each replica death \
        in the event log is replayed as a kill. Scrape by scrape it reports per metric the MAPE, the bias and \
        the Pearson correlation, split into unsaturated and saturated scrapes (queueing or turned away), the \
        timing of every scale-up and of recovery after each death, and whether each tolerance holds (defaults: \
        replicas MAPE ≤ 10 % and each scale-up within 15 s; p95 MAPE ≤ 15 % on unsaturated scrapes of at least \
        100 requests; recovery within 20 %; served and errors within 2 % of the requests). Exit 1 when a \
        tolerance does not hold.
        Example: \(CommandName.current) validate --model checkout.model.json --history day2.csv --events day2-events.csv --manifests k8s/ --charts plots/
        """)

    @OptionGroup var source: HistorySourceOptions

    @Option(help: ArgumentHelp("The calibrated model (`calibrate --out`).", valueName: "file"))
    var model: String

    @Option(name: .customLong("manifests"), help: "The Deployment and its HPA or ScaledObject that scaled the real service (file or folder, repeatable).")
    var manifests: [String] = []

    @Option(help: ArgumentHelp("Validate only the history after this long (e.g. the stretch `calibrate --first` did not see).", valueName: "duration"))
    var after: String?

    @Option(help: "Replicas: largest MAPE, percent.")
    var replicasMAPE = 10.0
    @Option(help: ArgumentHelp("Each scale-up within this long of the real one (one HPA sync period).", valueName: "duration"))
    var scaleUpWithin = "15s"
    @Option(help: "p95 latency on unsaturated scrapes: largest MAPE, percent.")
    var p95MAPE = 15.0
    @Option(help: "Recovery after a death: within this percent of the real one.")
    var recoveryWithin = 20.0
    @Option(help: "Requests served and errors: within this percent of the real requests.")
    var totalsWithin = 2.0
    @Option(help: "Compare a scrape's latency only when it holds at least this many requests.")
    var minRequests = 100.0

    @Option(help: ArgumentHelp("What the real autoscaler's metric averaged over (metrics-server's resolution, the window of a Prometheus query): the simulated HPA averages its scrapes over as long.", valueName: "duration"))
    var metricWindow = "15s"

    @Option(help: ArgumentHelp("How the real autoscaler's CPU utilization read the window: time-weighted (per-pod metrics, metrics-server) or current-capacity (a PromQL ratio over the capacity now, such as the testbed's `sum(rate(busy[15s])) / sum(slots)`; a new replica counts whole at once).", valueName: "reading"))
    var windowReading = HPAConfig.WindowReading.timeWeighted.rawValue

    @Option(help: "Random seed of the simulation.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Write the comparison as JSON here.", valueName: "file"))
    var json: String?

    @Flag(help: "Keep this validation's figures in the model file, for `replay --model` and `compare --model` to print beside their answer.")
    var record = false

    @Option(help: ArgumentHelp("Draw simulated vs real replicas and p95, and their error over time, into this folder.", valueName: "dir"))
    var charts: String?

    func run() throws {
        var problems: [String] = []
        var tolerances = ValidationTolerances()
        for (value, option) in [(replicasMAPE, "--replicas-mape"), (p95MAPE, "--p95-mape"), (recoveryWithin, "--recovery-within"), (totalsWithin, "--totals-within")]
            where !(value >= 0 && value <= 1000) { problems.append("\(option) must be a percent 0…1000, not \(value)") }
        tolerances.replicasMAPE = replicasMAPE / 100; tolerances.p95MAPE = p95MAPE / 100
        tolerances.recoveryShare = recoveryWithin / 100; tolerances.totalsShare = totalsWithin / 100
        if let d = SimDuration(parsing: scaleUpWithin), d.seconds >= 0, d.seconds <= 86_400 { tolerances.scaleUpSeconds = d.seconds }
        else { problems.append("--scale-up-within \(scaleUpWithin): not a duration from 0s to 1d") }
        let window = SimDuration(parsing: metricWindow)
        if window == nil || !(0...3600).contains(window!.seconds) { problems.append("--metric-window \(metricWindow): not a duration from 0s to 1h") }
        let reading = HPAConfig.WindowReading(rawValue: windowReading)
        if reading == nil {
            problems.append("--window-reading \(windowReading): not one of " + HPAConfig.WindowReading.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if !(minRequests >= 0 && minRequests <= 1e9) { problems.append("--min-requests must be 0…1e9, not \(minRequests)") }
        tolerances.minimumRequests = minRequests
        if manifests.isEmpty { problems.append("--manifests FILE-OR-FOLDER: the Deployment and autoscaler that scaled the real service") }
        var calibrated: CalibratedModel?
        do { calibrated = try CalibratedModel.load(model) } catch let e as CalibrationError { problems += e.problems }
        if let m = calibrated, !m.missing.isEmpty { problems.append("--model \(model): the model lacks " + m.missing.joined(separator: "; ")) }
        let skip = after.map { SimDuration(parsing: $0) }
        if let skip, skip == nil || skip!.seconds < 0 { problems.append("--after \(after!): not a duration") }
        guard problems.isEmpty, let calibrated, let window, let reading else { throw InputError(problems.joined(separator: "\n")) }
        let (full, events, _) = try source.read()
        let history: ServiceHistory = (skip ?? nil).map { full.between(full.times[0] + $0.seconds, .infinity) } ?? full
        guard history.count >= 3, history[.rate] != nil, history[.ready] != nil else {
            throw InputError("\(history.origin): validating needs at least 3 scrapes with rate and ready columns (\(history.count) scrapes)")
        }
        let report = try Self.validate(full, comparing: history, events: events, model: calibrated, manifests: manifests,
                                      metricWindow: window.seconds, reading: reading, tolerances: tolerances, seed: seed)
        print(TerminalText.escaped("validate \(calibrated.service) (\(calibrated.summary)) on \(history.count) scrapes of \(SimDuration.seconds(history.step)) from \(history.origin)"))
        print(Self.table(report.validation).rendered)
        if !report.validation.timings.isEmpty { print(Self.timingTable(report.validation).rendered) }
        for n in report.validation.notes + report.notes { print("note: \(n)") }
        print(report.validation.passed ? "valid: every tolerance holds" : "not valid: " + report.validation.failures.joined(separator: "; "))
        if record {
            var kept = calibrated
            kept.validations = (kept.validations ?? []) + [report.validation.record(history: history.origin, scrapes: history.count)]
            try write(kept.json, to: model, option: "--record")
        }
        if let json { try write(Self.json(report.validation, model: calibrated, history: history), to: json, option: "--json") }
        if let charts { try draw(report, history: history, into: charts) }
        if !report.validation.passed { throw ExitCode.gateFailed }
    }

    struct Report { var validation: ModelValidation; var simulated: [SimulatedScrape]; var offset: Double; var notes: [String] }

    /// Simulates the whole history on the model and compares the stretch `compared` (the simulation runs
    /// from the history's start, so the autoscaler arrives there with the state it had built up).
    static func validate(_ history: ServiceHistory, comparing compared: ServiceHistory, events: ReplicaEvents?, model: CalibratedModel, manifests: [String],
                         metricWindow: Double, reading: HPAConfig.WindowReading = .timeWeighted, tolerances: ValidationTolerances,
                         seed: UInt64) throws -> Report {
        let step = history.step, t0 = history.times[0]
        // The HPA decides every sync period; its phase in wall time shows in when the real one changed the
        // desired count (a circular median: phases near 0 s and near 15 s are neighbours). That sync had read
        // the scrapes up to the last step boundary before it; the simulated HPA first decides at the first
        // scrape, one step after the start, so the start is padded (in whole steps) for its syncs to read the
        // same scrapes.
        let sync = 15.0
        let phase = Self.circularMedian((events?.desired ?? []).map(\.time), period: sync)
        let pad = phase.map { p in
            let sincePhase = { (x: Double) in (x.truncatingRemainder(dividingBy: sync) + sync).truncatingRemainder(dividingBy: sync) }
            let read = (sincePhase(p - t0) / step).rounded(.down) * step     // the last row before the sync, after t0 (mod sync)
            return (sincePhase(-read) / step).rounded() * step
        } ?? 0
        let start = t0 - step - pad
        // Row i counts the requests of the step before its time. The replay is piecewise linear, so each row
        // becomes a flat stretch over its own step (a knot at each end): a ramp from one row's rate to the
        // next would move half of every change one step early (a surge would start 5 s before it did).
        let rates = history.times.indices.map { max(0, history.value(.rate, $0).isFinite ? history.value(.rate, $0) : 0) }
        let flat = min(step / 1000, 0.001)
        let rate = MetricSeries(points: (pad > 0 ? [.init(time: start, value: rates[0])] : [])
                                    + history.times.indices.flatMap { i in
                                        [MetricSeries.Point(time: history.times[i] - step, value: rates[i]),
                                         MetricSeries.Point(time: history.times[i] - flat, value: rates[i])] },
                                origin: history.origin)
        let deployments = Manifests.read(manifests).deployments.map(\.name)
        guard deployments.count == 1 else { throw InputError("--manifests: \(deployments.count) Deployments (\(deployments.joined(separator: ", "))); validate needs the one that served the history") }
        let name = deployments[0]
        var study = ReplayScenario(services: [.init(deployment: name, series: rate)])
        study.replay = ReplaySettings(valuesAre: .perSecond)
        study.models[name] = model
        study.seed = seed
        study.duration = .seconds(history.times.last! - start)
        var built: (spec: ScenarioSpec, notes: [String])
        do { built = try study.build(manifests: manifests) } catch let e as ReplayProblems { throw InputError(e.description) }
        var spec = built.spec
        spec.scrapeInterval = .seconds(step)
        if var hpa = spec.services[0].policy as? HPAPolicy {
            hpa.config.metricWindow = metricWindow
            hpa.config.windowReading = reading
            spec.services[0].policy = hpa
        }
        // The real quantiles were read from the histogram's buckets (histogram_quantile interpolates within a
        // bucket: for exponential work of 100 ms, p95 0.36 s where the truth is 0.30 s); the simulated ones are
        // read from the same buckets the same way.
        let bounds = history.buckets.map(\.bound)
        spec.services[0].model.latencyBuckets = bounds
        let initial = max(1, Int(history.value(.ready, 0).isFinite ? history.value(.ready, 0) : 1))
        spec.services[0].model.replicas = min(max(initial, spec.services[0].minReplicas), spec.services[0].maxReplicas)
        let deaths = (events?.deaths ?? []).filter { $0 >= start && $0 <= history.times.last! }
        for (k, death) in deaths.enumerated() {
            spec.faults.append(FaultSpec(name: "death-\(k + 1)", kind: ReplicaKill(count: 1), target: .service(name), start: .seconds(death - start), duration: nil))
        }
        let invalid = spec.validate()
        if !invalid.isEmpty { throw InputError(InvalidScenario(scenario: "validate", problems: invalid).description) }
        let collector = SampleCollector(service: name)
        _ = try ScenarioRunner(spec: spec, seed: seed).run(observer: collector, shouldStop: { Interrupt.isRequested })
        if Interrupt.isRequested { throw ExitCode.interrupted }
        let simulated = collector.samples.map { s in
            var (p50, p95, p99) = (s.p50, s.p95, s.p99)
            if let counts = s.latencyBuckets, let total = counts.last, total > 0, counts.count == bounds.count {
                let cdf = counts.map { $0 / total }
                (p50, p95, p99) = (Calibrator.histogramQuantile(0.5, bounds: bounds, cdf: cdf), Calibrator.histogramQuantile(0.95, bounds: bounds, cdf: cdf),
                                   Calibrator.histogramQuantile(0.99, bounds: bounds, cdf: cdf))
            }
            return SimulatedScrape(time: s.time, ready: Double(s.readyReplicas), p50: p50, p95: p95, p99: p99, busy: s.cpuUtilization,
                            served: Double(s.completed), errors: Double(s.failed + s.rejected + s.timedOut), arrivals: Double(s.arrivals),
                            replicaSeconds: s.replicaSeconds)
        }
        let offset = compared.times[0] - start
        let validation = ModelValidation(history: compared, simulated: simulated, deaths: deaths.filter { $0 >= compared.times[0] }, workMean: model.work!.mean.value,
                                         tolerances: tolerances, offset: offset)
        return Report(validation: validation, simulated: simulated, offset: offset, notes: built.notes.filter { !$0.contains("calibrated model") }
                      + [phase.map { String(format: "the HPA's syncs in phase with the real one's (%.1f s past each %.0f s, from the event log's desired changes)", $0, sync) }
                         ?? "no desired changes in the event log: the HPA's sync phase is unknown (up to one sync period of timing error)"]
                      + (bounds.count >= 2 ? ["simulated p50/p95/p99 read from the history's \(bounds.count) latency buckets as histogram_quantile reads the real ones"] : []))
    }

    /// The median of `times` modulo `period`, taken on the circle (around the first one), in 0..<period; nil if empty.
    static func circularMedian(_ times: [Double], period: Double) -> Double? {
        guard let first = times.first else { return nil }
        let anchor = first.truncatingRemainder(dividingBy: period)
        let offsets = times.map { t in
            let d = (t - anchor).truncatingRemainder(dividingBy: period)
            return d >= period / 2 ? d - period : d < -period / 2 ? d + period : d
        }.sorted()
        let m = anchor + offsets[offsets.count / 2]
        return (m.truncatingRemainder(dividingBy: period) + period).truncatingRemainder(dividingBy: period)
    }

    final class SampleCollector: RunObserver {
        let service: String
        var samples: [ServiceSample] = []
        init(service: String) { self.service = service }
        func observe(_ scrape: Scrape) throws { samples += scrape.services.filter { $0.service == service } }
    }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }
    static func signedPercent(_ v: Double?) -> String { v.map { String(format: "%+.1f %%", $0 * 100) } ?? "—" }

    static func table(_ v: ModelValidation) -> TextTable {
        var table = TextTable(["metric", "scrapes", "regime", "MAPE", "bias", "r", "tolerance", ""])
        for r in v.rows {
            table.add([r.metric, String(r.scrapes), r.regime, percent(r.mape), signedPercent(r.bias), r.pearson.map { String(format: "%.3f", $0) } ?? "—",
                       r.tolerance ?? "", r.passed.map { $0 ? "pass" : "FAIL" } ?? ""])
        }
        return table
    }

    static func timingTable(_ v: ModelValidation) -> TextTable {
        var table = TextTable(["event", "real", "simulated", "error", "allowed", ""])
        for t in v.timings {
            let isRecovery = t.event.hasPrefix("recovery")
            table.add([t.event, (isRecovery ? "" : "at ") + SimDuration.seconds(t.real).description,
                       t.simulated.map { (isRecovery ? "" : "at ") + SimDuration.seconds($0).description } ?? "never",
                       t.error.map { String(format: "%+.1f s", $0) } ?? "—", String(format: "±%.1f s", t.allowed), t.passed ? "pass" : "FAIL"])
        }
        return table
    }

    static func json(_ v: ModelValidation, model: CalibratedModel, history: ServiceHistory) -> String {
        struct Document: Encodable {
            var service: String; var history: String; var scrapes: Int; var passed: Bool
            var rows: [ModelValidation.Row]; var timings: [ModelValidation.Timing]; var notes: [String]
            var compared: [ModelValidation.ScrapePair]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let doc = Document(service: model.service, history: history.origin, scrapes: history.count, passed: v.passed, rows: v.rows, timings: v.timings, notes: v.notes, compared: v.scrapes)
        return String(decoding: (try? encoder.encode(doc)) ?? Data(), as: UTF8.self) + "\n"
    }

    func write(_ text: String, to file: String, option: String) throws {
        do { try AtomicWrite.write(text, to: file); print("\(option.dropFirst(2)): \(file)") }
        catch { throw InputError("\(option) \(file): cannot write: \(error.localizedDescription)") }
    }

    func draw(_ report: Report, history: ServiceHistory, into dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        catch { throw InputError("--charts \(dir): cannot create it: \(error.localizedDescription)") }
        let step = history.step, t0 = history.times[0]
        let byTime = Dictionary(report.simulated.map { (Int(($0.time / step).rounded()), $0) }, uniquingKeysWith: { a, _ in a })
        let times = history.times.map { $0 - t0 }
        let sim = history.times.map { byTime[Int((($0 - t0 + report.offset) / step).rounded())] }
        let enough = history.times.indices.map { history.value(.latencyCount, $0) * step >= minRequests }
        let realReady = history.times.indices.map { history.value(.ready, $0) }, simReady = sim.map { $0?.ready ?? .nan }
        let realP95 = history.times.indices.map { enough[$0] ? history.value(.p95, $0) * 1000 : .nan }
        let simP95 = sim.indices.map { enough[$0] ? (sim[$0]?.p95 ?? .nan) * 1000 : .nan }
        let charts: [(String, ValidationChart)] = [
            ("replicas.png", ValidationChart(title: "replicas: real vs simulated", yLabel: "ready replicas", times: times,
                                             lines: [("real", realReady), ("simulated", simReady)])),
            ("p95.png", ValidationChart(title: "p95 latency: real vs simulated (scrapes of ≥ \(Int(minRequests)) requests)", yLabel: "ms", times: times,
                                        lines: [("real", realP95), ("simulated", simP95)])),
            ("error.png", ValidationChart(title: "simulated − real", yLabel: "replicas, or p95 error in %", times: times,
                                          lines: [("replicas", zip(simReady, realReady).map { $0 - $1 }),
                                                  ("p95 %", zip(simP95, realP95).map { $1 > 0 ? ($0 / $1 - 1) * 100 : .nan })])),
        ]
        for (file, chart) in charts {
            let path = dir + "/" + file
            do { try waitFor { try await chart.render(to: path) }; print("chart: \(path)") }
            catch { printError("warning: \(error)") }
        }
    }
}
