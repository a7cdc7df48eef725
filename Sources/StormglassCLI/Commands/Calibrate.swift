import ArgumentParser
import Calibration
import ClusterModel
import Foundation
import LiveMetrics
import Reports
import SimulationKernel
import Telemetry
import Testbed

/// Where a service's metric history comes from: a file, a running testbed, or any Prometheus with a
/// query per column. Shared by `calibrate` and `validate`.
struct HistorySourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A history CSV (`time,rate,served,…`; `--save-history` writes one).", valueName: "file"))
    var history: String?

    @Option(help: ArgumentHelp("A running testbed's folder: its Prometheus (the standard queries) and its events.csv.", valueName: "dir"))
    var testbed: String?

    @OptionGroup var prometheus: PrometheusOptions

    @Option(name: .customLong("query"), help: ArgumentHelp("With --prometheus: the PromQL of a history column (repeatable): rate, served, errors, latency_sum, latency_count, p50, p95, p99, cpu, busy, ready, le_BOUND.", valueName: "column=query"))
    var queries: [String] = []

    @Option(help: ArgumentHelp("Replica start and ready times (`time,event,worker,detail`, as the testbed's events.csv).", valueName: "file"))
    var events: String?

    @Option(help: ArgumentHelp("Write the history read to this CSV (to calibrate or validate later without the server).", valueName: "file"))
    var saveHistory: String?

    /// The history and the event log, or every problem at once.
    func read() throws -> (ServiceHistory, ReplicaEvents?, testbedTruth: [String: Double]?) {
        var problems: [String] = []
        let sources = [history != nil, testbed != nil, prometheus.server.prometheus != nil].filter { $0 }.count
        if sources != 1 { problems.append("give one of --history FILE, --testbed DIR or --prometheus URL (with --query column=PROMQL …)") }
        if prometheus.server.prometheus == nil && !queries.isEmpty { problems.append("--query reads from --prometheus URL: add it") }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        var eventsFile = events
        var truth: [String: Double]?
        let loaded: ServiceHistory
        if let history {
            do { loaded = try ServiceHistory.load(history) } catch let e as CalibrationError { problems += e.problems; loaded = .init(times: [], columns: [:], origin: history) }
        } else {
            var configuration: PrometheusClient.Configuration?
            var range: QueryRange?
            var pairs: [(String, String)] = []
            if let testbed {
                let status = try TestbedStatus.read(testbed)
                truth = status.worker
                eventsFile = eventsFile ?? testbed + "/events.csv"
                configuration = PrometheusClient.Configuration(baseURL: status.prometheus, timeout: 30, retries: 2)
                let step = prometheus.step == "15s" ? 5 : (QueryTime.parseDuration(prometheus.step) ?? 5)
                let now = Date().timeIntervalSince1970
                let start = prometheus.from.flatMap { QueryTime.parse($0, now: now) } ?? status.started ?? now - 600
                let end = QueryTime.parse(prometheus.to, now: now) ?? now
                do { range = try QueryRange(from: (start / step).rounded(.up) * step, to: end, step: step, now: now, lag: step) }
                catch { problems.append("--testbed \(testbed): \(error)") }
                pairs = TestbedSignals.history(step: "\(Int(step))s").map { ($0.column, $0.query) }
            } else if let (c, r) = try prometheus.settings() {
                configuration = c; range = r
                let (given, pairProblems) = keyedValues(queries, option: "--query", form: "column=query")
                problems += pairProblems
                pairs = given.map { ($0.key, $0.value) }
                for needed in ["rate", "latency_sum", "latency_count", "ready"] where !pairs.contains(where: { $0.0 == needed }) {
                    problems.append("--query \(needed)=PROMQL is needed")
                }
            }
            guard problems.isEmpty, let configuration, let range else { throw InputError(problems.joined(separator: "\n")) }
            loaded = try Self.fetch(configuration, range: range, queries: pairs)
        }
        var replicaEvents: ReplicaEvents?
        if let eventsFile {
            do { replicaEvents = try ReplicaEvents.load(eventsFile) } catch let e as CalibrationError { problems += e.problems }
        }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        if let saveHistory {
            do { try AtomicWrite.write(loaded.csv, to: saveHistory) } catch { throw InputError("--save-history \(saveHistory): cannot write: \(error.localizedDescription)") }
        }
        return (loaded, replicaEvents, truth)
    }

    /// One range query per column, aligned on the range's steps (a step without a sample is NaN).
    static func fetch(_ configuration: PrometheusClient.Configuration, range: QueryRange, queries: [(String, String)]) throws -> ServiceHistory {
        let times = (0..<range.count).map { range.start + Double($0) * range.step }
        let columns: [(String, [Double])]
        do {
            columns = try waitFor {
                let client = try PrometheusClient(configuration)
                var out: [(String, [Double])] = []
                do {
                    for (column, query) in queries {
                        var values = [Double](repeating: .nan, count: times.count)
                        let series: MetricSeries
                        // `>= 0` drops the NaN of a quantile or a ratio over no requests: that step is missing, not an error.
                        do { series = try await client.range("(\(query)) >= 0", over: range) } catch let e as PrometheusError where e.problem.hasPrefix("no samples") {
                            out.append((column, values)); continue   // a column with no data at all: missing, not an error
                        }
                        for p in series.points {
                            let k = Int(((p.time - range.start) / range.step).rounded())
                            if values.indices.contains(k), p.value.isFinite, p.value >= 0 { values[k] = p.value }
                        }
                        out.append((column, values))
                    }
                } catch { await client.shutdown(); throw error }
                await client.shutdown()
                return out
            }
        } catch let e as PrometheusError { throw InputError("Prometheus at \(e.server): \(e.query): \(e.problem)") }
        // A sum over no replicas is absent, not 0: ready is 0 there.
        var dictionary = Dictionary(uniqueKeysWithValues: columns.map { (ServiceHistory.Column($0.0), $0.1) })
        if let ready = dictionary[.ready] { dictionary[.ready] = ready.map { $0.isNaN ? 0 : $0 } }
        return ServiceHistory(times: times, columns: dictionary, origin: "\(configuration.baseURL) \(QueryTime.format(range.start))..\(QueryTime.format(range.end))")
    }
}

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a service model (work, slots per replica, CPU per request, start-up) to its metrics, with errors and fit quality.",
        discussion: """
        The work is fitted from the lightest-loaded quarter of the scrapes (mean from the latency histogram's \
        sum and count, shape from its buckets); slots per replica from saturated scrapes (queueing or requests \
        turned away) by Little's law, and the queue per replica from those that turned requests away; CPU per request by least squares of CPU on the served rate; start-up from \
        the event log's start → ready times. A part the data cannot identify is refused in words: give it \
        (--concurrency, --startup, --work-cv, --queue-limit). Writes the model for `validate`, `replay --model` and \
        `compare --model` (--out) and as Swift (--swift). Exit 2 when a part the simulation needs is missing.
        Example: \(CommandName.current) calibrate --history first-hour.csv --events events.csv --service checkout --out checkout.model.json
        """)

    @OptionGroup var source: HistorySourceOptions

    @Option(help: "The service's name (the Deployment a model is for).")
    var service = "service"

    @Option(help: ArgumentHelp("Fit from this first stretch of the history only (the rest held back for validate), e.g. 20m.", valueName: "duration"))
    var first: String?

    @Option(help: "Requests a replica serves at once, when known (not fitted).")
    var concurrency: Int?

    @Option(help: ArgumentHelp("Replica start-up, when known (not fitted), e.g. 30s.", valueName: "duration"))
    var startup: String?

    @Option(help: "The work's coefficient of variation, when known (only the mean is fitted).")
    var workCV: Double?

    @Option(help: ArgumentHelp("The work's mean, when known (with --work-cv: the work is given, not fitted), e.g. 100ms.", valueName: "duration"))
    var workMean: String?

    @Option(help: "Requests that may wait per replica, when known (not fitted).")
    var queueLimit: Int?

    @Option(help: ArgumentHelp("Seconds before a client gives up (a given), e.g. 30s.", valueName: "duration"))
    var timeout: String?

    @Option(help: ArgumentHelp("A recorded testbed session's truth.json: print the workers' configured values beside the fitted ones (--testbed does this by itself).", valueName: "file"))
    var truth: String?

    @Option(help: ArgumentHelp("Write the model (JSON) here.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Write the model as Swift components of a Service here.", valueName: "file"))
    var swift: String?

    func run() throws {
        var problems: [String] = []
        func duration(_ text: String?, _ option: String, _ range: ClosedRange<Double>) -> Double? {
            guard let text else { return nil }
            guard let d = SimDuration(parsing: text), range.contains(d.seconds) else {
                problems.append("\(option) \(text): not a duration from \(SimDuration.seconds(range.lowerBound)) to \(SimDuration.seconds(range.upperBound))"); return nil
            }
            return d.seconds
        }
        let firstSeconds = duration(first, "--first", 1...(366 * 86_400))
        var given = Calibrator.Given(workCV: workCV, concurrency: concurrency, startupSeconds: duration(startup, "--startup", 0...86_400),
                                     queueLimit: queueLimit, timeout: duration(timeout, "--timeout", 0.001...86_400))
        if let c = concurrency, !(1...10_000).contains(c) { problems.append("--concurrency must be 1…10000, not \(c)") }
        if let v = workCV, !(v >= 0 && v <= 20) { problems.append("--work-cv must be 0…20, not \(v)") }
        let workMeanSeconds = duration(workMean, "--work-mean", 0.000_001...3600)
        if workMean != nil && workCV == nil { problems.append("--work-mean needs --work-cv (the work's shape; 1 for exponential)") }
        given.workMean = workMeanSeconds
        if let q = queueLimit, !(0...1_000_000).contains(q) { problems.append("--queue-limit must be 0…1000000, not \(q)") }
        if service.isEmpty || service.count > 253 { problems.append("--service: a name of 1…253 characters") }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        var (history, events, configured) = try source.read()
        if let truth {
            guard let data = FileManager.default.contents(atPath: truth),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let worker = object["worker"] as? [String: Any] else { throw InputError("--truth \(truth): not a session's truth.json (an object with \"worker\": {…})") }
            configured = worker.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        if let firstSeconds {
            let end = history.times[0] + firstSeconds
            history = history.between(history.times[0], end)
            events = events?.between(-.infinity, end)
            guard history.count >= 2 else { throw InputError("--first \(first!): fewer than 2 scrapes in it") }
        }
        let model = Calibrator().calibrate(service: service, history: history, events: events, given: given)
        print(TerminalText.escaped("calibrate \(service): \(history.count) scrapes of \(SimDuration.seconds(history.step)) from \(history.origin)"))
        print(Self.table(model, truth: configured).rendered)
        for r in model.refusals { print(TerminalText.escaped("not fitted: \(r)")) }
        if let swift {
            do { try AtomicWrite.write(model.swiftSnippet, to: swift); print("swift: \(swift)") }
            catch { throw InputError("--swift \(swift): cannot write: \(error.localizedDescription)") }
        }
        let missing = model.missing
        guard missing.isEmpty else {
            throw InputError((out.map { "--out \($0): not written: " } ?? "") + "the model lacks " + missing.joined(separator: "; "))
        }
        if let out {
            do { try AtomicWrite.write(model.json, to: out); print("model: \(out)") }
            catch { throw InputError("--out \(out): cannot write: \(error.localizedDescription)") }
        }
    }

    /// Each part: fitted value ± its standard error, how well it fits, and (on a testbed) the configured truth.
    static func table(_ m: CalibratedModel, truth: [String: Double]?) -> TextTable {
        var table = TextTable(["part", "value", "± error", "fit", "source"] + (truth == nil ? [] : ["configured", "error"]))
        func add(_ part: String, _ e: Estimate?, unit: Double, _ format: String, fit: String, truth key: String?) {
            guard let e else { table.add([part, "—", "", fit, "not fitted"] + (truth == nil ? [] : ["", ""])); return }
            var cells = [part, String(format: format, e.value * unit), e.source == .given || !e.error.isFinite ? "" : String(format: format, e.error * unit), fit, e.source.rawValue]
            if let truth {
                let t = key.flatMap { truth[$0] }
                cells += [t.map { String(format: format, $0 * unit) } ?? "", t.map { $0 != 0 ? String(format: "%+.1f %%", (e.value / $0 - 1) * 100) : String(format: format, (e.value - $0) * unit) } ?? ""]
            }
            table.add(cells)
        }
        let w = m.work
        let quantiles = w?.quantileErrors.map { q in ["p50", "p95", "p99"].compactMap { k in q[k].map { String(format: "%@ %+.0f%%", k, $0 * 100) } }.joined(separator: " ") } ?? ""
        add("work mean (ms)", w?.mean, unit: 1000, "%.2f", fit: w.flatMap { $0.requests == 0 ? nil : "\($0.requests) requests at \(String(format: "%.1f–%.1f", $0.loadPerReplica.first ?? 0, $0.loadPerReplica.last ?? 0))/s per replica" } ?? "", truth: "work_mean")
        add("work CV (\(w?.family ?? "?"))", w?.cv, unit: 1, "%.3f", fit: w?.histogramDistance.map { String(format: "CDF distance %.3f; ", $0) + quantiles } ?? "", truth: "work_cv")
        add("slots per replica", m.concurrency, unit: 1, "%.2f", fit: "", truth: "concurrency")
        add("queue per replica", m.queueLimit, unit: 1, "%.1f", fit: "", truth: "queue_limit")
        add("CPU per request (ms)", m.cpu?.perRequest, unit: 1000, "%.3f", fit: m.cpu.map { String(format: "R² %.2f over %d scrapes, idle %.3f cores", $0.r2, $0.scrapes, $0.idleCores) } ?? "", truth: nil)
        add("start-up (s)", m.startup?.mean, unit: 1, "%.2f", fit: m.startup.map { "\($0.family), sd \(String(format: "%.2f", $0.sd)) s, \($0.observations) start-ups" } ?? "", truth: "startup_delay")
        return table
    }
}

/// `--model FILE` (repeatable): calibrated service models that replace a scenario's assumed ones, each
/// for the service it names; their validation figures are printed beside the answer.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp("A calibrated model (`calibrate --out`) for the service it names (repeatable).", valueName: "file"))
    var files: [String] = []

    func load() throws -> [CalibratedModel] {
        var problems: [String] = [], models: [CalibratedModel] = []
        for f in files {
            do {
                let m = try CalibratedModel.load(f)
                if !m.missing.isEmpty { problems.append("--model \(f): the model lacks " + m.missing.joined(separator: "; ")) } else { models.append(m) }
            } catch let e as CalibrationError { problems += e.problems }
        }
        let names = models.map(\.service)
        for n in Set(names) where names.filter({ $0 == n }).count > 1 { problems.append("--model: two models for \(n)") }
        guard problems.isEmpty else { throw InputError(problems.joined(separator: "\n")) }
        return models
    }
}
