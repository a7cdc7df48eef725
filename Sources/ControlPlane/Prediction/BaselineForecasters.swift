import Foundation

/// Exponentially weighted moving average: a flat forecast at the smoothed level.
public struct EWMAForecaster: Forecaster {
    public let name = "ewma"
    public let alpha: Double
    var level: Double?
    var residualVariance = 0.0
    var n = 0

    public init(step: Double, alpha: Double = 0.3) { self.alpha = alpha }

    public mutating func observe(_ value: Double, at time: Double) {
        n += 1
        guard let l = level else { level = value; return }
        let e = value - l
        residualVariance = 0.9 * residualVariance + 0.1 * e * e
        level = l + alpha * e
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        guard let level else { return nil }
        let half = z95 * (residualVariance * Double(steps)).squareRoot()
        return Forecast(value: level, lower: level - half, upper: level + half, confidence: min(1, Double(n) / 20))
    }
}

/// The value one season (default: a day) before the target time.
public struct SeasonalNaiveForecaster: Forecaster {
    public let name = "seasonal-naive"
    public let seasonSteps: Int
    var history: RecentValues
    var absoluteSeasonalError = 0.0
    var scored = 0

    public init(step: Double, season: Double = 86_400) {
        seasonSteps = max(1, Int((season / step).rounded()))
        history = RecentValues(capacity: seasonSteps)
    }

    public mutating func observe(_ value: Double, at time: Double) {
        if history.count == seasonSteps, let old = history.value(back: seasonSteps - 1) {
            absoluteSeasonalError += abs(value - old)
            scored += 1
        }
        history.append(value)
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        // Target is `steps` after the newest; a season before it is `seasonSteps - steps` back.
        guard steps <= seasonSteps, let v = history.value(back: seasonSteps - steps) else { return nil }
        let mae = scored > 0 ? absoluteSeasonalError / Double(scored) : 0
        let half = halfWidth95(meanAbsoluteError: mae)
        return Forecast(value: v, lower: v - half, upper: v + half, confidence: scored > 0 ? 1 : 0.5)
    }
}

/// The level of the last day or so: an exponentially weighted mean with a half-life of `halfLife`
/// (a day by default), flat ahead. Where a series is close to noise around a level, that is the
/// best forecast there is, and the faster models chase the noise.
public struct MeanForecaster: Forecaster {
    public let name = "mean"
    let weight: Double
    var level: Double?
    var absoluteError = 0.0
    var n = 0

    public init(step: Double, halfLife: Double = 86_400) { weight = 1 - pow(0.5, step / halfLife) }

    public mutating func observe(_ value: Double, at time: Double) {
        n += 1
        guard let l = level else { level = value; return }
        // A running mean while the window fills, then the exponential window.
        let w = max(weight, 1 / Double(n))
        absoluteError += w * (abs(value - l) - absoluteError)
        level = l + w * (value - l)
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        guard let level, n >= 2 else { return nil }
        let half = halfWidth95(meanAbsoluteError: absoluteError)
        return Forecast(value: level, lower: level - half, upper: level + half, confidence: min(1, Double(n) / 20))
    }
}

/// Each time of day's mean over every day seen so far, flat across days: for a daily pattern
/// under noise, the average of all the days beats any one day (seasonal-naive) and any
/// exponentially forgetting profile. Times of day are kept in buckets of the step, but at least
/// five minutes wide (as the seasonal model's), so a service scraped every 15 s keeps 288
/// buckets, not 5,760.
public struct DailyMeanForecaster: Forecaster {
    public let name = "daily-mean"
    let step: Double
    /// Width of one time-of-day bucket: the step, at least five minutes.
    let width: Double
    let buckets: Int
    var sum: [Double], count: [Int32]
    var lastTime: Double?
    var absoluteError = 0.0, scored = 0

    public init(step: Double, season: Double = 86_400) {
        self.step = step
        width = max(step, 300)
        buckets = max(1, Int((season / width).rounded()))
        sum = Array(repeating: 0, count: buckets); count = Array(repeating: 0, count: buckets)
    }

    func bucket(_ t: Double) -> Int { ((Int((t / width).rounded()) % buckets) + buckets) % buckets }

    public mutating func observe(_ value: Double, at time: Double) {
        let b = bucket(time)
        if count[b] > 0 {
            absoluteError += abs(value - sum[b] / Double(count[b]))
            scored += 1
        }
        sum[b] += value; count[b] += 1
        lastTime = time
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        guard let lastTime else { return nil }
        let b = bucket(lastTime + Double(steps) * step)
        guard count[b] > 0 else { return nil }
        let v = sum[b] / Double(count[b])
        let half = halfWidth95(meanAbsoluteError: scored > 0 ? absoluteError / Double(scored) : 0)
        return Forecast(value: v, lower: v - half, upper: v + half, confidence: scored > 0 ? 1 : 0.5)
    }
}
