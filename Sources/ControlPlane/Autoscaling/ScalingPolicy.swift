import Foundation
import Telemetry

/// How a service's replica count is managed: a small value that sees what a production controller
/// sees (the latest scrape, the replicas it asked for, forecasts) and proposes a replica count.
///
/// The built-in policies (`.fixed`, `.hpa(…)`, `.threshold(…)`, `.rules(…)`, `.predictive(…)`,
/// `.queue(…)`) conform, and so can a type in your own package: one file, plus
/// `ScalingPolicies.register(MyPolicy())` (or listing it in your `StormglassCommand`'s `policies`) for
/// `--set policy=NAME` and `compare --policy NAME`. The safety layer (`ServiceAutoscaler`: bounds,
/// oscillation damping, global caps, the explanation recorded in the `decisions` table) wraps every policy.
public protocol ScalingPolicy: Sendable {
    /// The name used by `--policy`, the `decisions` table and reports.
    var name: String { get }

    /// Called at every scrape. Return nil when there is nothing to decide (not due yet, or no change).
    /// Build the proposal with `context.proposal(…)`, which fills in the standard inputs.
    mutating func propose(_ context: PolicyContext) -> ScalingProposal?

    /// A change the control plane applied (after every limit), for stabilization windows and rate
    /// limits. The default does nothing.
    mutating func applied(from old: Int, to new: Int, at time: Double)

    /// Forecast horizons (seconds) the policy reads; the predictor is switched on for them.
    var forecastHorizons: [Double] { get }

    /// The policy made concrete for one service of a scenario (e.g. a lead time from its start-up
    /// latency). The default returns the policy unchanged.
    func configured(for service: PolicyEnvironment) -> Self

    /// Whether two policies are the same configuration (scenario equality). The default compares
    /// `Equatable` policies by value and others by name.
    func isSame(as other: any ScalingPolicy) -> Bool

    /// Whether the policy decides for itself what to do when metrics are missing or unreadable
    /// (`ServiceSample.missingPods`, `.metricsAvailable`). The default, false, means it is not asked
    /// while the metrics API cannot be read: it keeps the current replicas.
    var handlesMissingMetrics: Bool { get }
}

extension ScalingPolicy {
    public var handlesMissingMetrics: Bool { false }
    public mutating func applied(from old: Int, to new: Int, at time: Double) {}
    public var forecastHorizons: [Double] { [] }
    public func configured(for service: PolicyEnvironment) -> Self { self }
    public func isSame(as other: any ScalingPolicy) -> Bool { type(of: other) == Self.self && other.name == name }
}

extension ScalingPolicy where Self: Equatable {
    public func isSame(as other: any ScalingPolicy) -> Bool { (other as? Self) == self }
}

/// What a scenario knows about a service that a policy may adapt to.
public struct PolicyEnvironment: Sendable {
    /// The service's name.
    public var service: String
    /// Mean replica start-up latency, seconds.
    public var startupMean: Double
    /// The scrape interval, seconds.
    public var scrapeInterval: Double
    /// What a policy may adapt to, for one service.
    public init(service: String, startupMean: Double, scrapeInterval: Double) {
        self.service = service; self.startupMean = startupMean; self.scrapeInterval = scrapeInterval
    }
}

/// What a policy sees at one scrape.
public struct PolicyContext {
    /// The latest observation of the service.
    public var sample: ServiceSample
    /// The replicas the control plane last asked for (the Deployment's `spec.replicas`).
    public var currentReplicas: Int
    /// The service's replica bounds; the safety layer clamps every decision to them.
    public var bounds: ScalingBounds
    /// Recent observations, oldest first (the latest is `sample`): the last 40 to 80 (use `suffix`).
    public var recent: [ServiceSample]
    /// Requests per second one fully busy replica serves, learned from observations (nil until measured).
    public var capacityPerReplica: Double?
    /// When the control plane last changed the replica count (−∞ before the first change).
    public var lastChange: Double
    /// Forecasts of the service's arrival rate (nil when prediction is off).
    public var predictor: ServicePredictor?
    /// The name recorded with the decision (the policy's).
    public var policyName: String

    /// The scrape's time, seconds into the run.
    public var now: Double { sample.time }

    /// The arrival-rate forecast `seconds` ahead, if the predictor has one.
    public func forecast(ahead seconds: Double) -> Forecast? { predictor?.forecast(ahead: seconds) }

    /// A decision with the standard inputs (CPU, arrival rate, ready replicas, queue depth, p95) added.
    /// `final` is what the policy's own limits allow (cooldowns, behavior); bounds are applied after it.
    public func proposal(_ proposal: Int, final: Int? = nil, rule: String, reason: String, limitedBy: LimitReason? = nil,
                         confidence: Double = 1, inputs: [String: Double] = [:], policy: String? = nil,
                         dryRun: Bool = false) -> ScalingDecision {
        var inputs = inputs
        let s = sample
        inputs["cpu_percent"] = s.cpuUtilization * 100
        inputs["arrival_rate"] = s.arrivalRate
        inputs["ready"] = Double(s.readyReplicas)
        inputs["queue_depth"] = Double(s.queueDepth)
        inputs["p95_ms"] = s.p95 * 1000
        return ScalingDecision(time: s.time, service: s.service, policy: policy ?? policyName, rule: rule, current: currentReplicas,
                               proposal: proposal, final: final ?? proposal, limitedBy: limitedBy, confidence: confidence,
                               reason: reason, inputs: inputs, dryRun: dryRun)
    }
}

/// A policy's answer: the decision, and optionally a shadow decision recorded but never applied
/// (what a forecast-only policy would have done).
public struct ScalingProposal: Sendable {
    /// The decision to apply (after the safety layer's limits).
    public var decision: ScalingDecision
    /// A decision recorded beside it but never applied (nil for none).
    public var shadow: ScalingDecision?
    /// A new maximum replica count the policy raises the bound to, and keeps (AWS predictive scaling's
    /// `IncreaseMaxCapacity`); nil leaves the bound alone.
    public var raisedMaximum: Int?
    /// A proposal of `decision`, with an optional `shadow` to record only.
    public init(_ decision: ScalingDecision, shadow: ScalingDecision? = nil) { self.decision = decision; self.shadow = shadow }
}

/// Policies by name, for `--set policy=NAME` and `compare --policy NAME`: the built-in ones and any
/// registered by a user's package. A policy is registered with its default configuration.
public enum ScalingPolicies {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [any ScalingPolicy] = builtIn

    /// The built-in policies with their defaults.
    public static let builtIn: [any ScalingPolicy] = [
        FixedReplicas(), HPAPolicy(HPAConfig()), ThresholdPolicy(ThresholdConfig()), PredictivePolicy(PredictiveConfig()),
        PredictivePolicy(PredictiveConfig(mode: .forecastOnly)), QueuePolicy(QueueConfig()),
        CloudPredictivePolicy(.aws()), CloudPredictivePolicy(.aws(mode: .forecastOnly)), CloudPredictivePolicy(.gcp),
        CloudPredictivePolicy(.azure()), CloudPredictivePolicy(.azure(mode: .forecastOnly)), CranePercentilePolicy(),
    ]

    /// Adds a policy (or replaces the one with the same name).
    public static func register(_ policy: any ScalingPolicy) {
        lock.lock(); defer { lock.unlock() }
        registered.removeAll { $0.name == policy.name }
        registered.append(policy)
    }

    /// The registered policy called `name` (built-in or your own), with its default configuration.
    public static func named(_ name: String) -> (any ScalingPolicy)? {
        lock.lock(); defer { lock.unlock() }
        return registered.first { $0.name == name }
    }

    /// Every registered name, in the order registered (the built-in ones first).
    public static var knownNames: [String] {
        lock.lock(); defer { lock.unlock() }
        return registered.map(\.name)
    }
}

/// The limits a controller must respect for one service.
public struct ScalingBounds: Sendable, Equatable {
    /// Never fewer replicas than this.
    public var minReplicas: Int
    /// Never more replicas than this (unless the policy raises it, see ``ScalingProposal/raisedMaximum``).
    public var maxReplicas: Int
    /// Bounds from `minReplicas` to `maxReplicas`.
    public init(minReplicas: Int, maxReplicas: Int) { self.minReplicas = minReplicas; self.maxReplicas = maxReplicas }
}
