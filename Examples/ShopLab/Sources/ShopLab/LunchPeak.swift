import Foundation
import Stormglass

/// The shop's own traffic shape: a lunchtime peak, `height` above the base rate at 12:30 every day.
public struct LunchPeak: TrafficShape {
    public var height = 1.5
    public init() {}

    public var name: String { "lunch" }                     // its parameters are lunch.*

    public func factor(at t: Double) -> Double {
        let hour = t.truncatingRemainder(dividingBy: 86_400) / 3_600
        return 1 + height * exp(-pow((hour - 12.5) / 0.75, 2))
    }

    public var problems: [String] { height >= 0 ? [] : ["height must be ≥ 0"] }
}
