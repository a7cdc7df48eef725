import SimulationKernel

/// This fraction of a service's requests fail.
public struct ErrorInjection: ServiceFault, Equatable {
    public var fraction: Double
    public init(fraction: Double) { self.fraction = fraction }
    public var name: String { "errors" }
    public func problems(duration: SimDuration?) -> [String] { (0...1).contains(fraction) ? [] : ["error fraction must be in [0, 1]"] }
    public func contribute(to effects: inout ServiceEffects) { effects.fail(fraction: fraction) }
}

extension FaultEffect where Self == ErrorInjection {
    public static func errors(fraction: Double) -> ErrorInjection { ErrorInjection(fraction: fraction) }
}
