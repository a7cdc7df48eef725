import Foundation
import Telemetry

/// Accuracy of one model at one horizon, as the Definitions article defines it.
public struct AccuracyFigures: Sendable, Equatable {
    public var model: String
    public var horizon: Double
    /// Forecasts scored against an observed actual.
    public var count = 0
    var apeSum = 0.0, apeCount = 0
    var smapeSum = 0.0
    var absoluteErrorSum = 0.0
    var hits = 0
    var covered = 0, intervals = 0
    /// In-sample seasonal-naive mean absolute error (the MASE scale), filled in by the tracker.
    public var scale = 0.0

    /// Mean absolute percentage error over pairs whose actual is not 0.
    public var mape: Double { apeCount > 0 ? apeSum / Double(apeCount) : .nan }
    /// max(0, 1 − MAPE).
    public var accuracy: Double { mape.isNaN ? .nan : max(0, 1 - mape) }
    public var smape: Double { count > 0 ? smapeSum / Double(count) : .nan }
    public var mae: Double { count > 0 ? absoluteErrorSum / Double(count) : .nan }
    /// MAE ÷ the in-sample seasonal-naive MAE (< 1 beats seasonal-naive).
    public var mase: Double { scale > 0 ? mae / scale : .nan }
    /// Share of forecasts within ±10 % of the actual.
    public var hitRate: Double { count > 0 ? Double(hits) / Double(count) : .nan }
    /// Share of actuals inside the prediction interval.
    public var coverage: Double { intervals > 0 ? Double(covered) / Double(intervals) : .nan }

    mutating func add(forecast f: Double, lower: Double?, upper: Double?, actual a: Double) {
        count += 1
        let e = abs(a - f)
        absoluteErrorSum += e
        if a != 0 { apeSum += e / abs(a); apeCount += 1 }
        let denominator = abs(a) + abs(f)
        smapeSum += denominator > 0 ? 2 * e / denominator : 0
        if e <= 0.1 * abs(a) { hits += 1 }
        if let lower, let upper {
            intervals += 1
            if a >= lower && a <= upper { covered += 1 }
        }
    }
}

/// Keeps every forecast until its target time, scores it against the observed value there, and
/// accumulates per-(model, horizon) figures. Forecasts whose target is never observed (a gap in the
/// data, or the end of the run) are dropped unscored.
public struct AccuracyTracker: Sendable {
    /// A model at a horizon, numbered in first-recorded order: a pending forecast carries the
    /// number, so scoring it (per service per scrape, for every model and horizon) hashes nothing.
    public struct FigureID: Hashable, Sendable {
        let index: Int32
    }
    struct Pending: Sendable {
        var figure: FigureID, madeAt: Double, value: Double, lower: Double?, upper: Double?
    }
    /// A forecast scored (or expired), for recording.
    public struct Scored: Sendable {
        public var model: String, horizon: Double, madeAt: Double, value: Double, lower: Double?, upper: Double?, actual: Double?
    }

    let step: Double
    let seasonSteps: Int
    var pending: [Int64: [Pending]] = [:]
    struct FigureKey: Hashable { var model: String, horizon: Double }
    var idOf: [FigureKey: FigureID] = [:]
    /// By `FigureID.index`; `scoredOrder` lists them in the order they were first scored.
    var figures: [AccuracyFigures] = []
    var scoredOrder: [Int32] = []
    /// The last season of observations by step index (key), so the seasonal-naive comparison is with
    /// the value one season earlier in time, not one season of rows earlier (a gap would shift it).
    var byStep: [(key: Int64, value: Double)?]
    var seasonalErrorSum = 0.0, seasonalErrorCount = 0
    var naiveErrorSum = 0.0, naiveErrorCount = 0

    /// - Parameters:
    ///   - step: sampling interval (seconds), to match targets to observations.
    ///   - season: the MASE scaling season (a day).
    public init(step: Double, season: Double = 86_400) {
        self.step = step
        seasonSteps = max(1, Int((season / step).rounded()))
        byStep = Array(repeating: nil, count: seasonSteps + 1)
    }

    func key(_ t: Double) -> Int64 { Int64((t / step).rounded()) }

    /// The number of `model` at `horizon` (the same number every time it is asked).
    public mutating func figure(model: String, horizon: Double) -> FigureID {
        let key = FigureKey(model: model, horizon: horizon)
        if let id = idOf[key] { return id }
        let id = FigureID(index: Int32(figures.count))
        idOf[key] = id
        figures.append(AccuracyFigures(model: model, horizon: horizon))
        return id
    }

    public mutating func record(model: String, horizon: Double, madeAt: Double, forecast: Forecast) {
        record(figure(model: model, horizon: horizon), madeAt: madeAt, forecast: forecast)
    }

    /// Keeps a forecast of `figure`'s model and horizon, made at `madeAt`, until its target.
    public mutating func record(_ figure: FigureID, madeAt: Double, forecast: Forecast) {
        let horizon = figures[Int(figure.index)].horizon
        pending[key(madeAt + horizon), default: []].append(
            Pending(figure: figure, madeAt: madeAt, value: forecast.value, lower: forecast.lower, upper: forecast.upper))
    }

    /// Scores the forecasts that targeted `time`; returns them (with their actual) for recording.
    @discardableResult
    public mutating func observe(_ actual: Double, at time: Double) -> [Scored] {
        let k = key(time)
        func observed(_ key: Int64) -> Double? {
            let slot = Int(((key % Int64(byStep.count)) + Int64(byStep.count)) % Int64(byStep.count))
            return byStep[slot].flatMap { $0.key == key ? $0.value : nil }
        }
        if let prev = observed(k - 1) { naiveErrorSum += abs(actual - prev); naiveErrorCount += 1 }
        if let old = observed(k - Int64(seasonSteps)) { seasonalErrorSum += abs(actual - old); seasonalErrorCount += 1 }
        byStep[Int(((k % Int64(byStep.count)) + Int64(byStep.count)) % Int64(byStep.count))] = (k, actual)
        var out: [Scored] = []
        if let due = pending.removeValue(forKey: k) {
            out.reserveCapacity(due.count)
            for p in due {
                let i = Int(p.figure.index)
                if figures[i].count == 0 { scoredOrder.append(p.figure.index) }
                figures[i].add(forecast: p.value, lower: p.lower, upper: p.upper, actual: actual)
                out.append(scored(p, actual: actual))
            }
        }
        // Targets that passed without an observation will never be scored.
        if pending.count > 4 * seasonSteps + 64 { pending = pending.filter { $0.key > k } }
        return out
    }

    /// Forecasts still waiting (e.g. at the end of a run), unscored.
    public mutating func drain() -> [Scored] {
        let out = pending.values.flatMap { $0 }.map { scored($0, actual: nil) }
        pending.removeAll()
        return out.sorted { ($0.madeAt, $0.horizon, $0.model) < ($1.madeAt, $1.horizon, $1.model) }
    }

    /// Per model and horizon, in first-seen order. The MASE scale is the in-sample seasonal-naive
    /// MAE over everything observed; with less than a season of data, the lag-1 naive MAE.
    public var report: [AccuracyFigures] {
        let scale = seasonalErrorCount > 0 ? seasonalErrorSum / Double(seasonalErrorCount)
            : (naiveErrorCount > 0 ? naiveErrorSum / Double(naiveErrorCount) : 0)
        return scoredOrder.map { var f = figures[Int($0)]; f.scale = scale; return f }
    }

    func scored(_ p: Pending, actual: Double?) -> Scored {
        let f = figures[Int(p.figure.index)]
        return Scored(model: f.model, horizon: f.horizon, madeAt: p.madeAt, value: p.value, lower: p.lower, upper: p.upper, actual: actual)
    }

    /// Whether MASE is scaled by a seasonal-naive (true) or, lacking a season of data, a lag-1 naive error.
    public var masesAreSeasonal: Bool { seasonalErrorCount > 0 }
}

extension AccuracyRecord {
    public init(service: String, metric: String, _ f: AccuracyFigures) {
        self.init(service: service, metric: metric, model: f.model, horizon: f.horizon, count: f.count, mape: f.mape,
                  accuracy: f.accuracy, smape: f.smape, mase: f.mase, hitRate: f.hitRate, coverage: f.coverage, scale: f.scale)
    }
}
