import Foundation

/// A traffic shape of your own: a multiplicative factor on a stream's arrival rate over time. Use it in
/// a scenario as `Traffic(to: "api", rate: 100) { Shape(LunchPeak()) }`.
///
/// `factorRange` must bound the factor over the interval (the arrival process thins against the upper
/// bound and accepts below the lower one without evaluating). The default samples the interval
/// densely and widens by 5 %; give an exact one when you know it.
public protocol TrafficShape: Sendable {
    /// The name used for parameters and reports.
    var name: String { get }
    /// The factor (≥ 0) at `t` seconds since the run started.
    func factor(at t: Double) -> Double
    func factorRange(from t0: Double, to t1: Double) -> (lower: Double, upper: Double)
    /// Problems with the shape's settings, for validation.
    var problems: [String] { get }
}

extension TrafficShape {
    public var problems: [String] { [] }
    public func factorRange(from t0: Double, to t1: Double) -> (lower: Double, upper: Double) {
        var lo = Double.infinity, hi = 0.0
        for i in 0...64 {
            let f = factor(at: t0 + (t1 - t0) * Double(i) / 64)
            lo = min(lo, f); hi = max(hi, f)
        }
        return (max(0, lo / 1.05), hi * 1.05)
    }
}

/// A user's shape inside `LoadShape` (compared by type and name, so scenarios stay Equatable).
public struct CustomShape: Sendable, Equatable {
    public let shape: any TrafficShape
    public init(_ shape: any TrafficShape) { self.shape = shape }
    public static func == (a: CustomShape, b: CustomShape) -> Bool { type(of: a.shape) == type(of: b.shape) && a.shape.name == b.shape.name }
}
