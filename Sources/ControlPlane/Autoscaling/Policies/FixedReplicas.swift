/// The replica count never changes (the baseline other policies are compared against).
public struct FixedReplicas: ScalingPolicy, Equatable {
    public init() {}
    public var name: String { "fixed" }
    public func propose(_ context: PolicyContext) -> ScalingProposal? { nil }
}

extension ScalingPolicy where Self == FixedReplicas {
    public static var fixed: FixedReplicas { FixedReplicas() }
}
