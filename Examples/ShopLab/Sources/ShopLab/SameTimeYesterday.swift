import Stormglass

/// The shop's own forecaster: the value one day before the target time (a seasonal-naive model).
public struct SameTimeYesterday: Forecaster {
    let perDay: Int
    var history: [Double] = []

    public init(step: Double) { perDay = max(1, Int((86_400 / step).rounded())) }

    public var name: String { "same-time-yesterday" }

    public mutating func observe(_ value: Double, at time: Double) {
        history.append(value)
        if history.count > perDay { history.removeFirst(history.count - perDay) }
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        guard history.count == perDay, steps <= perDay else { return nil }
        let v = history[steps - 1]   // the oldest kept is one day before the next observation
        return Forecast(value: v, lower: v * 0.8, upper: v * 1.2, confidence: 0.5)
    }
}
