import Foundation
import Statistics
import Telemetry

/// What a rule sees.
public struct MetricsContext: Sendable {
    public var now: Double
    public var sample: ServiceSample
    /// Recent samples, oldest first (the latest is `sample`): the last 40 to 80 (use `suffix`).
    public var recent: [ServiceSample]
    public var replicas: Int
    /// Forecast arrival rate `seconds` ahead, if the predictor has one.
    public var forecastRate: @Sendable (Double) -> Double?
    /// Queue depth change per second over the recent samples (least squares).
    public var queueGrowthPerSecond: Double
    public var queueDepth: Int { sample.queueDepth }
    public var cpu: Double { sample.cpuUtilization * 100 }
    public var p95Milliseconds: Double { sample.p95 * 1000 }
    public var errorRate: Double { sample.errorRate }
}

/// One rule: when `condition` holds, desired = ⌈current × factor⌉ within [min, max].
public struct Rule: Sendable {
    public var name: String
    public var priority: Int
    public var factor: Double
    public var cooldown: Double
    public var minReplicas: Int?
    public var maxReplicas: Int?
    public var condition: @Sendable (MetricsContext) -> Bool
    public init(_ name: String, priority: Int = 0, factor: Double, cooldown: Double = 60, min: Int? = nil, max: Int? = nil,
                when condition: @escaping @Sendable (MetricsContext) -> Bool) {
        self.name = name; self.priority = priority; self.factor = factor; self.cooldown = cooldown
        self.minReplicas = min; self.maxReplicas = max; self.condition = condition
    }
}

public struct RuleSet: Sendable, Equatable {
    public var rules: [Rule]
    public var evaluationInterval: Double
    public init(_ rules: [Rule], evaluationInterval: Double = 15) { self.rules = rules; self.evaluationInterval = evaluationInterval }
    /// Rules are closures: two rule sets are the same when their rules have the same names and settings.
    public static func == (a: RuleSet, b: RuleSet) -> Bool {
        a.evaluationInterval == b.evaluationInterval && a.rules.map { "\($0.name)|\($0.priority)|\($0.factor)|\($0.cooldown)" } == b.rules.map { "\($0.name)|\($0.priority)|\($0.factor)|\($0.cooldown)" }
    }
}


/// Rules written as Swift closures over the metrics context: the highest-priority rule whose condition
/// holds sets desired = ⌈current × factor⌉ within its bounds, subject to its own cooldown.
public struct RulesPolicy: ScalingPolicy, Equatable {
    public var ruleSet: RuleSet
    var lastEvaluation = -Double.infinity
    var ruleFired: [String: Double] = [:]

    public init(_ ruleSet: RuleSet) { self.ruleSet = ruleSet }
    public var name: String { "rules" }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        guard c.now - lastEvaluation >= ruleSet.evaluationInterval - 1e-9 else { return nil }
        lastEvaluation = c.now
        let context = MetricsContext(c)
        let current = c.currentReplicas
        for rule in ruleSet.rules.sorted(by: { $0.priority > $1.priority }) where rule.condition(context) {
            var p = Int((Double(current) * rule.factor).rounded(.up))
            if rule.factor < 1 { p = Int((Double(current) * rule.factor).rounded(.down)) }
            if let lo = rule.minReplicas { p = max(p, lo) }
            if let hi = rule.maxReplicas { p = min(p, hi) }
            let cooled = c.now - (ruleFired[rule.name] ?? -.infinity) >= rule.cooldown
            if cooled, p != current { ruleFired[rule.name] = c.now }
            return ScalingProposal(c.proposal(p, final: cooled ? p : current, rule: rule.name,
                                              reason: "rule \(rule.name) (priority \(rule.priority), ×\(rule.factor))",
                                              limitedBy: cooled ? nil : .ruleCooldown,
                                              inputs: ["queue_growth_per_s": context.queueGrowthPerSecond]))
        }
        return nil
    }

    public static func == (a: RulesPolicy, b: RulesPolicy) -> Bool { a.ruleSet == b.ruleSet }
}

extension MetricsContext {
    init(_ c: PolicyContext) {
        let depths = c.recent.suffix(8).map { Double($0.queueDepth) }
        var growth = 0.0
        if depths.count >= 3 {
            growth = LeastSquares.slope(depths.enumerated().map { Double($0.offset) }, depths) / max(c.sample.interval, 1e-9)
        }
        let p = c.predictor
        self.init(now: c.now, sample: c.sample, recent: c.recent, replicas: c.currentReplicas,
                  forecastRate: { p?.forecast(ahead: $0)?.value }, queueGrowthPerSecond: growth)
    }
}

extension ScalingPolicy where Self == RulesPolicy {
    /// Rules as Swift closures over the metrics context (the YAML-free rule engine).
    public static func rules(_ ruleSet: RuleSet) -> RulesPolicy { RulesPolicy(ruleSet) }
}
