import SimulationKernel

/// Service times slow down by a factor (CPU stress, a noisy neighbour).
public struct CPUStress: ServiceFault, Equatable {
    public var factor: Double
    public init(factor: Double) { self.factor = factor }
    public var name: String { "cpu-stress" }
    public func problems(duration: SimDuration?) -> [String] { factor > 0 ? [] : ["factor must be > 0"] }
    public func contribute(to effects: inout ServiceEffects) { effects.slowdown *= factor }
}

extension FaultEffect where Self == CPUStress {
    public static func cpuStress(factor: Double) -> CPUStress { CPUStress(factor: factor) }
}
