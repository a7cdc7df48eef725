import SimulationKernel

/// Replica start-up takes `factor` times longer (a cold image cache).
public struct SlowStart: ServiceFault, Equatable {
    public var factor: Double
    public init(factor: Double) { self.factor = factor }
    public var name: String { "slow-start" }
    public func problems(duration: SimDuration?) -> [String] { factor > 0 ? [] : ["factor must be > 0"] }
    public func contribute(to effects: inout ServiceEffects) { effects.startupMultiplier *= factor }
}

extension FaultEffect where Self == SlowStart {
    public static func slowStart(factor: Double) -> SlowStart { SlowStart(factor: factor) }
}
