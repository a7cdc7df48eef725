import Foundation

/// Additive Holt-Winters (level, damped additive trend, one seasonality), online.
///
/// Initialised from the first seasons kept; the smoothing parameters and the damping are fitted to
/// the one-step squared error over the kept history by coordinate descent (each in turn over its
/// grid, twice round), and refitted every `refitEvery` seasons or when `retrain()` is called. The
/// grids reach the corners where peers' fitted models win: a level that follows the last value
/// (α near 1, as on coarse data), one that barely moves (α near 0: noise about a mean), a seasonal
/// profile averaged over many seasons (γ near 0), and no damping or strong damping.
///
/// Complexity: O(1) per observation and forecast; a refit is O(grid sizes × 2 × history).
public struct HoltWintersForecaster: Forecaster {
    public let name = "holt-winters"
    public let seasonSteps: Int
    public private(set) var alpha = 0.2, beta = 0.01, gamma = 0.1, phi = 0.98
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
        update(value, alpha: alpha, beta: beta, gamma: gamma, phi: phi, level: &level, trend: &trend, season: &season,
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
    func update(_ y: Double, alpha: Double, beta: Double, gamma: Double, phi: Double, level: inout Double, trend: inout Double,
                season: inout [Double], position: inout Int, variance: inout Double) {
        let s = season[position]
        let predicted = level + phi * trend + s
        let e = y - predicted
        variance = 0.98 * variance + 0.02 * e * e
        let newLevel = alpha * (y - s) + (1 - alpha) * (level + phi * trend)
        trend = beta * (newLevel - level) + (1 - beta) * phi * trend
        level = newLevel
        season[position] = gamma * (y - level) + (1 - gamma) * s
        position += 1
        if position == seasonSteps { position = 0 }
    }

    static let alphas = [0.01, 0.03, 0.1, 0.2, 0.4, 0.7, 0.95]
    static let betas = [0.0, 0.01, 0.05, 0.15]
    static let gammas = [0.005, 0.02, 0.05, 0.1, 0.25, 0.5]
    static let phis = [0.8, 0.9, 0.98, 1.0]

    /// One-step squared error of the parameters over the kept history (after the two seasons the
    /// start is taken from), from the start `initialState(ys)` gives (the same for every candidate).
    func sse(_ ys: [Double], from start: State, _ p: (a: Double, b: Double, g: Double, phi: Double)) -> Double {
        let m = seasonSteps
        var st = start
        var variance = 0.0, sse = 0.0
        for i in (2 * m)..<ys.count {
            let e = ys[i] - (st.level + p.phi * st.trend + st.season[st.position])
            sse += e * e
            update(ys[i], alpha: p.a, beta: p.b, gamma: p.g, phi: p.phi, level: &st.level, trend: &st.trend,
                   season: &st.season, position: &st.position, variance: &variance)
        }
        return sse
    }

    /// Re-initialises from the kept history and picks the parameters with the least one-step SSE.
    mutating func fit() {
        let ys = history.values
        let m = seasonSteps
        guard ys.count >= 2 * m else { return }
        let start = initialState(ys)
        // With exactly two seasons there is nothing to score: keep the defaults.
        if ys.count > 2 * m {
            var p = (a: alpha, b: beta, g: gamma, phi: phi)
            var best = sse(ys, from: start, p)
            for _ in 0..<2 {
                for a in Self.alphas { let q = (a, p.b, p.g, p.phi), e = sse(ys, from: start, q); if e < best { best = e; p = q } }
                for b in Self.betas { let q = (p.a, b, p.g, p.phi), e = sse(ys, from: start, q); if e < best { best = e; p = q } }
                for g in Self.gammas { let q = (p.a, p.b, g, p.phi), e = sse(ys, from: start, q); if e < best { best = e; p = q } }
                for f in Self.phis { let q = (p.a, p.b, p.g, f), e = sse(ys, from: start, q); if e < best { best = e; p = q } }
            }
            (alpha, beta, gamma, phi) = p
        }
        // A refit changes the parameters only: the running state has seen every season since the
        // start, where one rebuilt from the history kept would have seen four (a seasonal profile
        // averaged over fourteen days is half as noisy as one over four).
        guard !initialised else { sinceFit = 0; return }
        var st = start
        var variance = 0.0
        for i in (2 * m)..<ys.count {
            update(ys[i], alpha: alpha, beta: beta, gamma: gamma, phi: phi, level: &st.level, trend: &st.trend,
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

    /// Classic start, with the seasonal profile averaged over every whole season kept (noise about
    /// a daily pattern averages out across days instead of staying in the profile): level = mean of
    /// season 1, trend = mean change between seasons 1 and 2 per step; then the state is rolled
    /// through season 2.
    typealias State = (level: Double, trend: Double, season: [Double], position: Int)

    func initialState(_ ys: [Double]) -> State {
        let m = seasonSteps
        let mean1 = ys[0..<m].reduce(0, +) / Double(m)
        let mean2 = ys[m..<(2 * m)].reduce(0, +) / Double(m)
        let seasons = ys.count / m
        var season = Array(repeating: 0.0, count: m)
        for k in 0..<seasons {
            let base = k * m
            let mean = ys[base..<(base + m)].reduce(0, +) / Double(m)
            for i in 0..<m { season[i] += (ys[base + i] - mean) / Double(seasons) }
        }
        let trend = (mean2 - mean1) / Double(m)
        let level = mean2 + trend * Double(m - 1) / 2
        return (level, trend, season, 0)
    }
}
