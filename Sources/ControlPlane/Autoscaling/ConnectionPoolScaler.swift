import Telemetry

/// Scales a service's database connection pool within a range on its utilization: a second
/// resource besides replicas (as with HikariCP-style pools sized by load).
public struct ConnectionPoolPolicy: Sendable, Equatable {
    public var minimum: Int
    public var maximum: Int
    /// Grow when the pool was at least this busy over the interval and requests were waiting.
    public var scaleUpAt: Double
    /// Shrink when the pool was less busy than this.
    public var scaleDownBelow: Double
    public var step: Int
    public var cooldown: Double
    /// Shrink only after the pool has been under `scaleDownBelow` this long (bursty work must not flap it).
    public var scaleDownStabilization: Double = 300
    public init(minimum: Int, maximum: Int, scaleUpAt: Double = 0.8, scaleDownBelow: Double = 0.3, step: Int = 5, cooldown: Double = 60) {
        self.minimum = minimum; self.maximum = maximum; self.scaleUpAt = scaleUpAt; self.scaleDownBelow = scaleDownBelow
        self.step = step; self.cooldown = cooldown
    }
}

struct ConnectionPoolScaler: Sendable {
    let service: String
    let policy: ConnectionPoolPolicy
    var lastChange = -Double.infinity
    var size: Int?
    var busySince = -Double.infinity

    mutating func evaluate(_ s: ServiceSample) -> ScalingDecision? {
        guard s.connectionPool > 0 else { return nil }
        let current = size ?? s.connectionPool
        let u = s.connectionPoolUtilization
        if u >= policy.scaleDownBelow { busySince = s.time }
        var proposal = current
        var rule = ""
        if u >= policy.scaleUpAt && s.queueDepth > 0 {
            proposal = current + policy.step; rule = "pool \(Int(u * 100))% busy ≥ \(Int(policy.scaleUpAt * 100))% with \(s.queueDepth) waiting"
        } else if u < policy.scaleDownBelow, s.time - busySince >= policy.scaleDownStabilization {
            proposal = current - policy.step; rule = "pool \(Int(u * 100))% busy < \(Int(policy.scaleDownBelow * 100))%"
        }
        let bounded = min(max(proposal, policy.minimum), policy.maximum)
        guard bounded != current else { return nil }
        let cooled = s.time - lastChange >= policy.cooldown
        let final = cooled ? bounded : current
        if cooled { lastChange = s.time; size = final }
        return ScalingDecision(time: s.time, service: service, policy: "connection-pool", rule: rule, current: current, proposal: proposal,
                               final: final, limitedBy: cooled ? (bounded != proposal ? .poolRange : nil) : .cooldown, confidence: 1,
                               reason: "connection pool sized on its utilization",
                               inputs: ["pool_utilization": u, "queue_depth": Double(s.queueDepth), "pool": Double(current)], dryRun: false)
    }
}
