import Reports
import Lab
import ArgumentParser
import ClusterModel
import ControlPlane
import Foundation
import Recorder
import SimulationKernel
import Telemetry

struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Rolling-origin evaluation of the forecasters on your own metric history (timestamp,value CSV).",
        discussion: """
        Every model is fed the series one point at a time; after each point it forecasts each horizon, and \
        each forecast is scored against the value observed at its target time. Accuracy is max(0, 1 − MAPE); \
        MASE is scaled by the in-sample seasonal-naive (one day) error, so MASE < 1 beats seasonal-naive.
        Example: stormglass forecast --csv cpu.csv --horizon 10m,30m,2h --model all
        """)

    @Option(name: [.customLong("trace"), .customLong("csv")], help: "The metric history: a `timestamp,value` CSV (ISO 8601 or epoch seconds/milliseconds) or a Prometheus range-query JSON export.")
    var csv: String

    @Option(help: "Comma-separated horizons, e.g. 10m,30m,2h.")
    var horizon: String = "10m,30m,2h"

    @Option(help: "Model: \(ForecastModel.allCases.map(\.rawValue).joined(separator: ", ")), or all.")
    var model: String = "all"

    @Option(help: "Score only forecasts made after this much history, so every model is compared on the same targets (default: 2d when the series spans at least 4 days, else 0).")
    var warmup: String?

    @Option(help: "Also record the forecasts and actuals to this results database (for charts).")
    var db: String?

    func run() throws {
        let series: MetricSeries
        do { series = try MetricSeries.load(csv) } catch let e as TraceError { throw InputError(e.description) }
        guard series.points.count >= 3 else { throw InputError("\(csv): need at least 3 rows to evaluate forecasts") }
        let step = series.typicalInterval
        let horizons = try parseHorizons(horizon, step: step)
        let models: [ForecastModel]
        if model == "all" { models = ForecastModel.allCases } else {
            guard let m = ForecastModel(rawValue: model) else {
                throw InputError("--model \(model): one of \(ForecastModel.allCases.map(\.rawValue).joined(separator: ", ")), all")
            }
            models = [m]
        }
        let span = series.points.last!.time - series.points.first!.time
        var warm = span >= 4 * 86_400 ? 2 * 86_400.0 : 0
        if let warmup {
            guard let d = SimDuration(parsing: warmup), d >= .zero else { throw InputError("--warmup \(warmup): not a duration") }
            guard d.seconds < span else {
                throw InputError("--warmup \(warmup) is not shorter than the series (\(SimDuration.seconds(span))): nothing would be scored")
            }
            warm = d.seconds
        }
        let evaluation = RollingOriginEvaluation(series: series, step: step, horizons: horizons, models: models, warmup: warm)
        let result = try evaluation.run()
        print("\(csv): \(series.points.count) points every \(SimDuration.seconds(step)), "
              + "\(String(format: "%.1f", span / 86_400)) days; scored after \(SimDuration.seconds(warm)) of history; "
              + "MASE scaled by \(result.seasonalScale ? "seasonal-naive (1 day)" : "naive (lag 1: less than a day of data)")")
        var t = TextTable(["model", "horizon", "forecasts", "accuracy", "MAPE", "sMAPE", "MASE", "hit ±10%", "coverage"])
        for f in result.figures {
            t.add([f.model, SimDuration.seconds(f.horizon).description, String(f.count), pct(f.accuracy), pct(f.mape),
                   pct(f.smape), num(f.mase), pct(f.hitRate), pct(f.coverage)])
        }
        print(t.rendered)
        if let db { try record(result, series: series, to: db, step: step) }
    }

    func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.1f%%", x * 100) : "–" }
    func num(_ x: Double) -> String { x.isFinite ? String(format: "%.3f", x) : "–" }

    func record(_ result: RollingOriginEvaluation.Result, series: MetricSeries, to path: String, step: Double) throws {
        let store = try ResultsStore.forRecording(path)
        let t0 = series.points.first!.time
        let writer = try store.beginRun(RunMetadata(
            scenario: "forecast:" + (csv as NSString).lastPathComponent, seed: 0, parameters: ["csv": csv, "horizon": horizon, "model": model],
            label: "forecast", replication: 0, toolVersion: toolVersion,
            simulatedSeconds: series.points.last!.time - t0, scrapeSeconds: step, services: [], pools: []))
        try writer.append(result.scored.map {
            PredictionRecord(service: "csv", metric: "value", model: $0.model, madeAt: $0.madeAt - t0, horizon: $0.horizon,
                             value: $0.value, lower: $0.lower, upper: $0.upper, actual: $0.actual)
        })
        try writer.finish(status: .finished, wallSeconds: 0, events: 0, figures: [], latencyHistogram: [:],
                          accuracy: result.figures.map { AccuracyRecord(service: "csv", metric: "value", $0) })
        print("recorded as run \(writer.runID) in \(path)")
    }
}

/// Parses "10m,30m,2h" into horizons in seconds, each a whole number of steps.
func parseHorizons(_ text: String, step: Double) throws -> [Double] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    guard !parts.isEmpty, parts.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
        throw InputError("--horizon \"\(text)\": give one or more durations separated by commas (try 10m,30m,2h)")
    }
    return try parts.map { part in
        guard let d = SimDuration(parsing: String(part)), d > .zero else {
            throw InputError("--horizon \(part): not a duration (try 10m,30m,2h)")
        }
        let steps = (d.seconds / step).rounded()
        guard steps >= 1 else {
            throw InputError("--horizon \(part) is shorter than the data's interval (\(SimDuration.seconds(step)))")
        }
        // Forecasts are made a whole number of steps ahead; say so rather than round silently.
        guard abs(steps * step - d.seconds) <= 1e-6 * step else {
            let below = max(1, (d.seconds / step).rounded(.down)) * step, above = (d.seconds / step).rounded(.up) * step
            throw InputError("--horizon \(part) is not a whole number of the data's \(SimDuration.seconds(step)) interval; use \(SimDuration.seconds(below)) or \(SimDuration.seconds(above))")
        }
        return steps * step
    }
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List anomalies in a metric history (timestamp,value CSV).",
        discussion: "Consecutive anomalous points are merged into one episode. Example: stormglass detect --csv cpu.csv --kind cpu --method seasonal")

    @Option(help: "The metric history: `timestamp,value` rows.")
    var csv: String

    @Option(help: "Metric kind, for its default threshold: \(MetricKind.allCases.map { "\($0.rawValue) (\($0.threshold)σ)" }.joined(separator: ", ")).")
    var kind: String = "request-rate"

    @Option(help: "Method: zscore, robust (median/MAD) or seasonal (residual against a daily forecast).")
    var method: String = "robust"

    @Option(help: "Threshold in standard deviations (default: the kind's).")
    var threshold: Double?

    @Option(help: "Baseline window in points.")
    var baseline: Int = 60

    func run() throws {
        // Fewer points than the detector needs before it judges anything would silently report nothing.
        guard (20...100_000).contains(baseline) else {
            throw InputError("--baseline \(baseline): must be in 20…100000 points (the detector needs 20 before it judges a point)")
        }
        if let threshold { guard threshold.isFinite, (0.1...1000).contains(threshold) else {
            throw InputError("--threshold \(threshold): must be a number of standard deviations in 0.1…1000")
        } }
        guard let kind = MetricKind(rawValue: kind) else {
            throw InputError("--kind \(self.kind): one of \(MetricKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let method = DetectionMethod(rawValue: method) else {
            throw InputError("--method \(self.method): one of \(DetectionMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let series: MetricSeries
        do { series = try MetricSeries.load(csv) } catch let e as TraceError { throw InputError(e.description) }
        let step = series.typicalInterval
        var detector = AnomalyDetector(kind: kind, method: method, threshold: threshold, step: step, baseline: baseline)
        let episodes = try AnomalyEpisode.find(in: series, with: &detector, step: step)
        print("\(csv): \(series.points.count) points, \(method.rawValue) detector, threshold \(detector.threshold)σ (critical \(detector.critical)σ)")
        var t = TextTable(["start", "end", "points", "peak value", "expected", "score", "severity"])
        for e in episodes {
            t.add([timestamp(e.start), timestamp(e.end), String(e.count), String(format: "%.4g", e.peak.value),
                   String(format: "%.4g", e.peak.expected), String(format: "%+.1fσ", e.peak.score), e.peak.severity.rawValue])
        }
        print(t.rendered)
        print("\(episodes.count) anomal\(episodes.count == 1 ? "y" : "ies") (\(episodes.filter { $0.peak.severity == .critical }.count) critical)")
    }

    func timestamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
