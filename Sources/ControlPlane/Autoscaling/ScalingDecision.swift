import Telemetry

extension ScalingDecision {
    /// A one-line explanation for the timeline.
    public var summary: String {
        var s = "\(current) → \(final) by \(policy)"
        if !rule.isEmpty { s += " (\(rule))" }
        if proposal != final { s += ", proposed \(proposal)" }
        if let limitedBy { s += ", limited by \(limitedBy)" }
        if dryRun { s += " [dry run]" }
        return s + ": " + reason
    }
}
