import SimulationKernel

/// Extra latency on every request of a service: fixed + uniform jitter.
public struct LatencyInjection: ServiceFault, Equatable {
    public var fixed: SimDuration
    public var jitter: SimDuration
    public init(fixed: SimDuration, jitter: SimDuration = .zero) { self.fixed = fixed; self.jitter = jitter }
    public var name: String { "latency" }
    public func problems(duration: SimDuration?) -> [String] { fixed >= .zero && jitter >= .zero ? [] : ["latency must be ≥ 0"] }
    public func contribute(to effects: inout ServiceEffects) {
        effects.extraLatency += fixed.seconds
        effects.extraJitter += jitter.seconds
    }
}

extension FaultEffect where Self == LatencyInjection {
    public static func latency(fixed: SimDuration, jitter: SimDuration = .zero) -> LatencyInjection { LatencyInjection(fixed: fixed, jitter: jitter) }
}
