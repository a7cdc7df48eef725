import Foundation

/// Additive Holt-Winters (level, damped additive trend, one seasonality), online.
///
/// Initialised from the first two seasons; smoothing parameters are fitted by grid search on the
/// one-step squared error over the kept history, and refitted every `refitEvery` seasons or when
/// `retrain()` is called.
///
/// Complexity: O(1) per observation and forecast; a refit is O(grid × history).
public struct HoltWintersForecaster: Forecaster {
    public let name = "holt-winters"
    public let seasonSteps: Int
    public private(set) var alpha = 0.2, beta = 0.01, gamma = 0.1
    public let phi = 0.98
    let refitEvery: Int
    var history: RecentValues
    var level = 0.0, trend = 0.0
    var season: [Double] = []
    var position = 0            // index into `season` of the next observation
    var initialised = false
    var sinceFit = 0
    var residualVariance = 0.0
    var observed = 0

    public init(step: Double, season: Double = 86_400, refitEvery: Int = 1) {
        seasonSteps = max(2, Int((season / step).rounded()))
        history = RecentValues(capacity: seasonSteps * 4)
        self.refitEvery = refitEvery
    }

    public mutating func observe(_ value: Double, at time: Double) {
        history.append(value)
        observed += 1
        if !initialised {
            if history.count >= 2 * seasonSteps { fit(); }
            return
        }
        update(value, alpha: alpha, beta: beta, gamma: gamma, level: &level, trend: &trend, season: &season,
               position: &position, variance: &residualVariance)
        sinceFit += 1
        if sinceFit >= refitEvery * seasonSteps { fit() }
    }

    public func forecast(stepsAhead h: Int) -> Forecast? {
        guard initialised, h >= 1 else { return nil }
        var damp = 0.0, p = 1.0
        for _ in 0..<h { p *= phi; damp += p }
        let s = season[(position + h - 1) % seasonSteps]
        let v = level + damp * trend + s
        let half = z95 * (residualVariance * (1 + Double(h - 1) * alpha * alpha)).squareRoot()
        return Forecast(value: v, lower: v - half, upper: v + half, confidence: min(1, Double(observed) / Double(3 * seasonSteps)))
    }

    public mutating func retrain() { if history.count >= 2 * seasonSteps { fit() } }

    @inline(__always)
    func update(_ y: Double, alpha: Double, beta: Double, gamma: Double, level: inout Double, trend: inout Double,
                season: inout [Double], position: inout Int, variance: inout Double) {
        let s = season[position]
        let predicted = level + phi * trend + s
        let e = y - predicted
        variance = 0.98 * variance + 0.02 * e * e
        let newLevel = alpha * (y - s) + (1 - alpha) * (level + phi * trend)
        trend = beta * (newLevel - level) + (1 - beta) * phi * trend
        level = newLevel
        season[position] = gamma * (y - level) + (1 - gamma) * s
        position = (position + 1) % seasonSteps
    }

    /// Re-initialises from the kept history and picks the parameters with the least one-step SSE.
    mutating func fit() {
        let ys = history.values
        let m = seasonSteps
        guard ys.count >= 2 * m else { return }
        var best = (sse: Double.infinity, a: alpha, b: beta, g: gamma)
        for a in [0.05, 0.1, 0.2, 0.4, 0.7] {
            for b in [0.0, 0.01, 0.05, 0.15] {
                for g in [0.02, 0.1, 0.25, 0.5] {
                    var st = initialState(ys)
                    var variance = 0.0
                    var sse = 0.0
                    for i in (2 * m)..<ys.count {
                        let predicted = st.level + phi * st.trend + st.season[st.position]
                        let e = ys[i] - predicted
                        sse += e * e
                        update(ys[i], alpha: a, beta: b, gamma: g, level: &st.level, trend: &st.trend,
                               season: &st.season, position: &st.position, variance: &variance)
                    }
                    // With exactly two seasons of history there is nothing to score: score on the second.
                    if ys.count == 2 * m { sse = Double(a + b + g) }
                    if sse < best.sse { best = (sse, a, b, g) }
                }
            }
        }
        (alpha, beta, gamma) = (best.a, best.b, best.g)
        var st = initialState(ys)
        var variance = 0.0
        for i in (2 * m)..<ys.count {
            update(ys[i], alpha: alpha, beta: beta, gamma: gamma, level: &st.level, trend: &st.trend,
                   season: &st.season, position: &st.position, variance: &variance)
        }
        if ys.count == 2 * m {
            // Estimate the residual variance from the fit of the second season.
            var sse = 0.0
            for i in m..<(2 * m) { let e = ys[i] - (st.level + st.season[i % m]); sse += e * e }
            variance = sse / Double(m)
        }
        level = st.level; trend = st.trend; season = st.season; position = st.position
        residualVariance = variance
        initialised = true
        sinceFit = 0
    }

    /// Classic start: level = mean of season 1, trend = mean change between seasons 1 and 2 per step,
    /// seasonal = season-1 deviations; then the state is rolled through season 2.
    func initialState(_ ys: [Double]) -> (level: Double, trend: Double, season: [Double], position: Int) {
        let m = seasonSteps
        let mean1 = ys[0..<m].reduce(0, +) / Double(m)
        let mean2 = ys[m..<(2 * m)].reduce(0, +) / Double(m)
        var season = (0..<m).map { (ys[$0] + ys[$0 + m]) / 2 - (mean1 + mean2) / 2 + (Double($0) - Double(m - 1) / 2) * 0 }
        var level = mean2, trend = (mean2 - mean1) / Double(m)
        // Centre the seasonal component.
        let sMean = season.reduce(0, +) / Double(m)
        season = season.map { $0 - sMean }
        level = mean2 + trend * Double(m - 1) / 2
        return (level, trend, season, 0)
    }
}
