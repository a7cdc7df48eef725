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
        Example: \(CommandName.current) forecast --csv cpu.csv --horizon 10m,30m,2h --model all
        """)

    @Option(name: [.customLong("trace"), .customLong("csv")], help: "The metric history: a `timestamp,value` CSV (ISO 8601 or epoch seconds/milliseconds), a Prometheus range-query JSON export, or promql:'QUERY' with --prometheus.")
    var csv: String

    @Option(help: "Comma-separated horizons, e.g. 10m,30m,2h.")
    var horizon: String = "10m,30m,2h"

    @Option(help: "Model: \(ForecastModel.allCases.map(\.rawValue).joined(separator: ", ")), or all.")
    var model: String = "all"

    @Option(help: "Score only forecasts made after this much history, so every model is compared on the same targets (default: 2d when the series spans at least 4 days, else 0).")
    var warmup: String?

    @Option(help: "Average the series over buckets of this length first (e.g. 30m: 5-minute data scored as 30-minute data).")
    var resample: String?

    @Option(help: "Also record the forecasts and actuals to this results database (for charts).")
    var db: String?

    @OptionGroup var source: PrometheusOptions

    func run() throws {
        try source.install()
        var series: MetricSeries
        series = try MetricSeries.load(csv, options: TraceReadOptions(repeatedTimestamps: true))
        if let resample {
            guard let d = SimDuration(parsing: resample), d >= .seconds(1), d <= .days(7) else {
                throw InputError("--resample \(resample): not a duration from 1s to 7d")
            }
            series = series.resampled(every: d.seconds)
        }
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
        let clock = ContinuousClock.now
        let result = try evaluation.run()
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("\(csv): \(series.points.count) points every \(SimDuration.seconds(step)), "
              + "\(String(format: "%.1f", span / 86_400)) days; scored after \(SimDuration.seconds(warm)) of history; "
              + "MASE scaled by \(result.seasonalScale ? "seasonal-naive (1 day)" : "naive (lag 1: less than a day of data)")")
        var t = TextTable(["model", "horizon", "forecasts", "accuracy", "MAPE", "sMAPE", "MASE", "hit ±10%", "coverage"])
        for f in result.figures {
            t.add([f.model, SimDuration.seconds(f.horizon).description, String(f.count), pct(f.accuracy), pct(f.mape),
                   pct(f.smape), num(f.mase), pct(f.hitRate), pct(f.coverage)])
        }
        print(t.rendered)
        // A model with no row would otherwise vanish from the comparison without a word.
        for m in models where !result.figures.contains(where: { $0.model == m.rawValue }) {
            print("\(m.rawValue): no forecasts — " + (m.make(step: step).neverForecastsBecause ?? "it never had enough history to forecast"))
        }
        let which = models.count == 1 ? models[0].rawValue : "all \(models.count) models"
        print("time: " + String(format: "%.1f", seconds * 1e6 / Double(max(1, series.points.count)))
              + " µs per observation for \(which) (\(series.points.count) observations)")
        if let db { try record(result, series: series, to: db, step: step) }
    }

    // Fixed decimals up to a million, then three significant digits: one wild value in the series
    // cannot widen the table by hundreds of digits.
    func pct(_ x: Double) -> String { x.isFinite ? String(format: abs(x * 100) < 1e6 ? "%.1f%%" : "%.3g%%", x * 100) : "–" }
    func num(_ x: Double) -> String { x.isFinite ? String(format: abs(x) < 1e6 ? "%.3f" : "%.3g", x) : "–" }

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
        guard let d = SimDuration(parsing: String(part)), d > .zero, d <= .days(366) else {
            throw InputError("--horizon \(part): not a duration from 1s to 366d (try 10m,30m,2h)")
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
