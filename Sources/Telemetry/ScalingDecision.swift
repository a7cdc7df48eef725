/// One autoscaling decision with everything needed to explain it.
public struct ScalingDecision: Sendable, Equatable {
    public var time: Double
    public var service: String
    public var policy: String
    /// The rule or metric that drove the proposal (e.g. `cpu 82% vs 60%`, a rule name).
    public var rule: String
    public var current: Int
    /// What the policy asked for, before stabilization, rate limits, bounds and caps.
    public var proposal: Int
    /// What was decided after them.
    public var final: Int
    public var limitedBy: LimitReason?
    public var confidence: Double
    public var reason: String
    /// The metric values the decision read.
    public var inputs: [String: Double]
    /// Recorded but not applied (dry-run mode, or a forecast-only predictive policy's shadow decision).
    public var dryRun: Bool
    public init(time: Double, service: String, policy: String, rule: String, current: Int, proposal: Int, final: Int,
                limitedBy: LimitReason?, confidence: Double, reason: String, inputs: [String: Double], dryRun: Bool) {
        self.time = time; self.service = service; self.policy = policy; self.rule = rule; self.current = current
        self.proposal = proposal; self.final = final; self.limitedBy = limitedBy; self.confidence = confidence
        self.reason = reason; self.inputs = inputs; self.dryRun = dryRun
    }
}
