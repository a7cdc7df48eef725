import Foundation

/// Runs every model side by side and, per horizon, weights them by their recent accuracy.
///
/// Each model's forecasts are kept until their target time and scored there; per horizon the two
/// models with the lowest recent mean absolute error are blended with weights ∝ 1/MAE² — the
/// second only while its error is within `blendWithin` of the best's (a clearly worse second only
/// adds its errors: on near-noise series the long mean alone, on a steady daily pattern the
/// all-days profile alone, beat any blend). The
/// interval is empirical: ± the 95th percentile of the ensemble's own recent absolute errors at that
/// horizon (so coverage is what it claims, once enough forecasts have been scored). A model whose
/// recent accuracy (1 − MAPE) falls below `retrainBelow` is retrained, at most every
/// `retrainGap` steps.
public struct AutoForecaster: Forecaster {
    public let name = "auto"
    public let horizons: [Int]
    public var retrainBelow = 0.85
    /// The second most accurate model is blended in only while its recent error is within this
    /// factor of the best's.
    public var blendWithin = 1.05
    var models: [any Forecaster]
    /// pending[m][hi]: ring of forecasts made for horizon hi, indexed by the step they were made at.
    var pending: [[[Double?]]]
    var ensemblePending: [[Double?]]
    /// Recent absolute errors per model per horizon (EWMA) and relative errors for the retrain check.
    var mae: [[Double]]
    var mape: [[Double]]
    var scored: [[Int]]
    var recentErrors: [[Double]]   // ensemble |error| per horizon, rolling window
    /// 95th percentile of `recentErrors`, refreshed every few new errors (sorting is the costly part).
    var intervalHalfWidth: [Double?]
    var errorsSinceQuantile: [Int]
    /// Every model's forecast at each configured horizon, computed once per observation.
    var latest: [[Forecast?]]
    var stepIndex = 0
    var lastRetrain: [Int]
    /// Each model's one-step-ahead forecast and its recent relative error: the retrain check, kept
    /// apart from the requested horizons so that asking for another horizon changes nothing.
    var oneStepPending: [Double?]
    var oneStepMAPE: [Double]
    var oneStepScored: [Int]
    let errorWindow = 200
    let errorWeight: Double
    /// Steps between two retrains of one model: 100, and at least six hours. A retrain refits the
    /// same history, so where noise alone keeps the error above the bar (a few requests per 15 s
    /// scrape) retraining every 100 scrapes refitted Holt-Winters 800 times a fortnight for nothing.
    let retrainGap: Int

    /// - Parameter extra: forecasters of the user's, competing with the built-in ones.
    public init(step: Double, horizons: [Int], extra: [any Forecaster] = []) {
        self.horizons = horizons.isEmpty ? [1] : horizons
        errorWeight = min(0.05, max(0.002, step / 86_400))
        retrainGap = max(100, Int((6 * 3_600 / step).rounded(.up)))
        models = [LinearTrendForecaster(step: step), HoltWintersForecaster(step: step),
                  SeasonalDecompositionForecaster(step: step), EWMAForecaster(step: step),
                  SeasonalNaiveForecaster(step: step), MeanForecaster(step: step), DailyMeanForecaster(step: step)] + extra
        let maxH = self.horizons.max()! + 1
        pending = Array(repeating: Array(repeating: Array(repeating: nil, count: maxH), count: self.horizons.count), count: models.count)
        ensemblePending = Array(repeating: Array(repeating: nil, count: maxH), count: self.horizons.count)
        mae = Array(repeating: Array(repeating: 0, count: self.horizons.count), count: models.count)
        mape = mae
        scored = Array(repeating: Array(repeating: 0, count: self.horizons.count), count: models.count)
        recentErrors = Array(repeating: [], count: self.horizons.count)
        intervalHalfWidth = Array(repeating: nil, count: self.horizons.count)
        errorsSinceQuantile = Array(repeating: 0, count: self.horizons.count)
        latest = Array(repeating: Array(repeating: nil, count: self.horizons.count), count: models.count)
        lastRetrain = Array(repeating: -1_000_000, count: models.count)
        oneStepPending = Array(repeating: nil, count: models.count)
        oneStepMAPE = Array(repeating: 0, count: models.count)
        oneStepScored = Array(repeating: 0, count: models.count)
    }

    public var modelNames: [String] { models.map(\.name) }

    public mutating func observe(_ value: Double, at time: Double) {
        let ring = horizons.max()! + 1
        // Score what was forecast for this step.
        for (hi, h) in horizons.enumerated() where stepIndex - h >= 0 {
            let slot = (stepIndex - h) % ring
            for m in models.indices {
                guard let f = pending[m][hi][slot] else { continue }
                pending[m][hi][slot] = nil
                let e = abs(value - f)
                // A running mean at first, then an exponential window of about a day: long enough that a
                // model that is good all day is not dropped for one that was lucky on the last flat hour.
                let w = max(1 / Double(scored[m][hi] + 1), errorWeight)
                mae[m][hi] += w * (e - mae[m][hi])
                if value != 0 { mape[m][hi] += w * (min(e / abs(value), 10) - mape[m][hi]) }
                scored[m][hi] += 1
            }
            if let f = ensemblePending[hi][slot] {
                ensemblePending[hi][slot] = nil
                recentErrors[hi].append(abs(value - f))
                if recentErrors[hi].count > 2 * errorWindow { recentErrors[hi].removeFirst(recentErrors[hi].count - errorWindow) }
                errorsSinceQuantile[hi] += 1
                if recentErrors[hi].count >= 20, errorsSinceQuantile[hi] >= 8 || intervalHalfWidth[hi] == nil {
                    let window = recentErrors[hi].suffix(errorWindow).sorted()
                    intervalHalfWidth[hi] = window[Int(Double(window.count - 1) * 0.95)]
                    errorsSinceQuantile[hi] = 0
                }
            }
        }
        for m in models.indices {
            if let f = oneStepPending[m], value != 0 {
                let w = max(1 / Double(oneStepScored[m] + 1), errorWeight)
                oneStepMAPE[m] += w * (min(abs(value - f) / abs(value), 10) - oneStepMAPE[m])
                oneStepScored[m] += 1
            }
            models[m].observe(value, at: time)
        }
        // Retrain models whose one-step accuracy has slipped (at most once per `retrainGap` steps each).
        for m in models.indices where oneStepScored[m] >= 30 && stepIndex - lastRetrain[m] > retrainGap {
            if 1 - oneStepMAPE[m] < retrainBelow {
                models[m].retrain()
                lastRetrain[m] = stepIndex
            }
        }
        for m in models.indices { oneStepPending[m] = horizons.contains(1) ? nil : models[m].forecast(stepsAhead: 1)?.value }
        stepIndex += 1
        // Forecast every horizon with every model, to be scored when its target arrives.
        for (hi, h) in horizons.enumerated() {
            let slot = (stepIndex - 1) % ring
            for m in models.indices {
                latest[m][hi] = models[m].forecast(stepsAhead: h)
                pending[m][hi][slot] = latest[m][hi]?.value
            }
            ensemblePending[hi][slot] = blend(hi, h)?.value
            if h == 1 { for m in models.indices { oneStepPending[m] = latest[m][hi]?.value } }
        }
    }

    /// A model's forecast at a horizon: cached for the configured horizons.
    func modelForecast(_ m: Int, _ hi: Int, _ h: Int) -> Forecast? {
        horizons[hi] == h ? latest[m][hi] : models[m].forecast(stepsAhead: h)
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        let hi = horizons.firstIndex(of: steps) ?? horizons.enumerated().min { abs($0.element - steps) < abs($1.element - steps) }!.offset
        guard var f = blend(hi, steps) else { return nil }
        if let q = intervalHalfWidth[hi] { f.lower = f.value - q; f.upper = f.value + q }
        return f
    }

    /// Which model(s) the ensemble currently leans on at a horizon, with weights.
    public func weights(stepsAhead steps: Int) -> [(model: String, weight: Double)] {
        let hi = horizons.firstIndex(of: steps) ?? 0
        return chosen(hi, steps).map { (models[$0.0].name, $0.1) }
    }

    func chosen(_ hi: Int, _ h: Int) -> [(Int, Double)] {
        // The two scored models with the lowest error (the earlier model on a tie), found in one
        // pass: this runs per service per scrape, where sorting (and the closures' captures of
        // `self`) cost more than the forecasts.
        var available: [Int] = []
        var best = -1, second = -1
        for m in models.indices where modelForecast(m, hi, h) != nil {
            available.append(m)
            guard scored[m][hi] >= 10 else { continue }
            let e = mae[m][hi]
            if best < 0 || e < mae[best][hi] { second = best; best = m } else if second < 0 || e < mae[second][hi] { second = m }
        }
        guard !available.isEmpty else { return [] }
        if best < 0 {
            // Nothing scored yet: prefer seasonal knowledge, then the trend line, then the smoothed level.
            for preferred in ["seasonal", "holt-winters", "linear", "ewma", "seasonal-naive"] {
                if let m = available.first(where: { models[$0].name == preferred }) { return [(m, 1)] }
            }
            return []
        }
        // A second model clearly behind the best only adds its errors to the blend.
        let comparable = second >= 0 && mae[second][hi] <= blendWithin * mae[best][hi]
        let top = comparable ? [best, second] : [best]
        let inv = top.map { 1 / max(mae[$0][hi] * mae[$0][hi], 1e-12) }
        let total = inv.reduce(0, +)
        return zip(top, inv).map { ($0, $1 / total) }
    }

    func blend(_ hi: Int, _ h: Int) -> Forecast? {
        let parts = chosen(hi, h)
        guard !parts.isEmpty else { return nil }
        var v = 0.0, lo = 0.0, up = 0.0, c = 0.0
        for (m, w) in parts {
            guard let f = modelForecast(m, hi, h) else { continue }
            v += w * f.value; lo += w * f.lower; up += w * f.upper; c += w * f.confidence
        }
        return Forecast(value: v, lower: lo, upper: up, confidence: c)
    }
}
