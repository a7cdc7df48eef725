/// Ordinary least squares of y on x.
public enum LeastSquares {
    /// The fitted line: slope, intercept at x = 0, and the means and Σ(x − x̄)² it came from.
    public struct Fit: Sendable, Equatable {
        public var slope: Double
        public var intercept: Double
        public var meanX: Double
        public var meanY: Double
        public var sxx: Double
        public func value(at x: Double) -> Double { intercept + slope * x }
    }

    /// Fits y = a + b·x; the slope is 0 when every x is equal (or there are no points).
    public static func fit(_ x: [Double], _ y: [Double]) -> Fit {
        precondition(x.count == y.count, "LeastSquares.fit needs as many x as y")
        let n = Double(x.count)
        guard n > 0 else { return Fit(slope: 0, intercept: .nan, meanX: .nan, meanY: .nan, sxx: 0) }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx) }
        let b = sxx > 0 ? sxy / sxx : 0
        return Fit(slope: b, intercept: my - b * mx, meanX: mx, meanY: my, sxx: sxx)
    }

    public static func slope(_ x: [Double], _ y: [Double]) -> Double { fit(x, y).slope }
}
