import Foundation

/// Least-squares line through a sliding window (the classic predictive-scaling design: a 60-minute
/// buffer; fewer than 10 points ⇒ no forecast, so callers fall back to reactive scaling).
///
/// Complexity: O(window) per forecast, O(1) amortised per observation.
public struct LinearTrendForecaster: Forecaster {
    public let name = "linear"
    public let window: Double
    public let minimumPoints: Int
    let step: Double
    var times: [Double] = []
    var values: [Double] = []
    var head = 0

    public init(step: Double, window: Double = 3600, minimumPoints: Int = 10) {
        self.step = step; self.window = window; self.minimumPoints = minimumPoints
    }

    public var neverForecastsBecause: String? {
        let fits = Int((window / step).rounded(.down))
        guard fits < minimumPoints else { return nil }
        return "needs \(minimumPoints) points within its \(Int(window / 60))-minute window; data every \(Int(step / 60)) minutes gives \(fits)"
    }

    public mutating func observe(_ value: Double, at time: Double) {
        times.append(time); values.append(value)
        while head < times.count, times[head] <= time - window { head += 1 }
        if head > 1024 { times.removeFirst(head); values.removeFirst(head); head = 0 }
    }

    public func forecast(stepsAhead steps: Int) -> Forecast? {
        let n = times.count - head
        guard n >= minimumPoints, let last = times.last else { return nil }
        let t0 = times[head]
        var sx = 0.0, sy = 0.0
        for i in head..<times.count { sx += times[i] - t0; sy += values[i] }
        let mx = sx / Double(n), my = sy / Double(n)
        var sxx = 0.0, sxy = 0.0
        for i in head..<times.count {
            let dx = times[i] - t0 - mx
            sxx += dx * dx; sxy += dx * (values[i] - my)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        let x = last + Double(steps) * step - t0
        let value = my + slope * (x - mx)
        var sse = 0.0
        for i in head..<times.count {
            let e = values[i] - (my + slope * (times[i] - t0 - mx))
            sse += e * e
        }
        let s = n > 2 ? (sse / Double(n - 2)).squareRoot() : 0
        // Prediction interval of a new observation at x.
        let half = z95 * s * (1 + 1 / Double(n) + (sxx > 0 ? (x - mx) * (x - mx) / sxx : 0)).squareRoot()
        let confidence = min(1, Double(n) / Double(max(minimumPoints, Int(window / step))))
        return Forecast(value: value, lower: value - half, upper: value + half, confidence: confidence)
    }
}
