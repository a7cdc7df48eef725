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
        let half = z95 * 1.25 * mae  // MAE ≈ 0.8 σ for normal errors
        return Forecast(value: v, lower: v - half, upper: v + half, confidence: scored > 0 ? 1 : 0.5)
    }
}
