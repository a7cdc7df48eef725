/// A service is down entirely: every request to it fails.
public struct DependencyOutage: ServiceFault, Equatable {
    public init() {}
    public var name: String { "dependency-outage" }
    public func contribute(to effects: inout ServiceEffects) { effects.successFraction = 0 }
}

extension FaultEffect where Self == DependencyOutage {
    public static var dependencyOutage: DependencyOutage { DependencyOutage() }
}
