import Foundation
import Telemetry

/// A KEDA `ScaledObject`'s settings (keda.sh/docs/2.x/reference/scaledobject-spec).
public struct KEDAConfig: Sendable, Equatable {
    /// One scaler: the metric it reads, its target and the activation threshold.
    public struct Trigger: Sendable, Equatable {
        /// What the simulated system supplies for the scaler's metric.
        public enum Metric: String, Sendable { case queueLength = "queue-length", requestRate = "request-rate", cpu, memory }
        /// KEDA's `metricType`.
        public enum TargetType: String, Sendable { case averageValue = "AverageValue", value = "Value", utilization = "Utilization" }
        public var metric: Metric
        public var targetType: TargetType
        public var threshold: Double
        /// The scaler is active when the metric is above this (KEDA: `activation…` metadata, default 0).
        public var activationThreshold: Double
        public init(_ metric: Metric, threshold: Double, activationThreshold: Double = 0, targetType: TargetType = .averageValue) {
            self.metric = metric; self.threshold = threshold; self.activationThreshold = activationThreshold; self.targetType = targetType
        }

        /// The HPA metric KEDA registers for this trigger.
        var hpaMetric: HPA.MetricTarget {
            switch (metric, targetType) {
            case (.cpu, _): return .cpu(threshold)
            case (.memory, _): return .memory(threshold)
            case (.queueLength, .value): return .init(.queueValue, target: threshold)
            case (.queueLength, _): return .queuePerPod(threshold)
            case (.requestRate, .value): return .init(.requestsValue, target: threshold)
            case (.requestRate, _): return .init(.requestsAverageValue, target: threshold)
            }
        }

        /// CPU and memory scalers cannot activate from zero (KEDA documents them as always active).
        func isActive(_ s: ServiceSample) -> Bool {
            switch metric {
            case .cpu, .memory: return true
            case .queueLength: return Double(s.queueDepth) > activationThreshold
            case .requestRate: return s.arrivalRate > activationThreshold
            }
        }
    }

    public var triggers: [Trigger]
    public var minReplicaCount = 0
    public var maxReplicaCount = 100
    /// Replicas while no trigger is active (must be below `minReplicaCount`); nil = `minReplicaCount`.
    public var idleReplicaCount: Int?
    public var pollingInterval: Double = 30
    public var cooldownPeriod: Double = 300
    /// `advanced.horizontalPodAutoscalerConfig.behavior`.
    public var behavior = HPA.Behavior()
    /// `fallback`: replicas to hold after `failureThreshold` failed metric reads.
    public struct Fallback: Sendable, Equatable {
        public var failureThreshold: Int
        public var replicas: Int
        public init(failureThreshold: Int, replicas: Int) { self.failureThreshold = failureThreshold; self.replicas = replicas }
    }
    public var fallback: Fallback?

    public init(triggers: [Trigger], minReplicaCount: Int = 0, maxReplicaCount: Int = 100, idleReplicaCount: Int? = nil,
                pollingInterval: Double = 30, cooldownPeriod: Double = 300, behavior: HPA.Behavior = HPA.Behavior(),
                fallback: Fallback? = nil) {
        self.triggers = triggers; self.minReplicaCount = minReplicaCount; self.maxReplicaCount = maxReplicaCount
        self.idleReplicaCount = idleReplicaCount; self.pollingInterval = pollingInterval; self.cooldownPeriod = cooldownPeriod
        self.behavior = behavior; self.fallback = fallback
    }

    /// The replicas when idle: `idleReplicaCount`, else 0 when `minReplicaCount` is 0.
    public var idleReplicas: Int? { idleReplicaCount ?? (minReplicaCount == 0 ? 0 : nil) }
}

/// KEDA: its operator activates the workload from idle when any scaler is active (checked every
/// `pollingInterval`) and returns it to idle after `cooldownPeriod` without activity; in between,
/// the HPA that KEDA creates (one External or Resource metric per trigger, minimum at least 1)
/// scales it as ``HPAPolicy`` does.
public struct KEDAPolicy: ScalingPolicy, Equatable {
    public var config: KEDAConfig
    var hpa: HPAPolicy
    var lastPoll = -Double.infinity
    var lastActive = -Double.infinity
    var active = false
    /// Consecutive polls whose metrics could not be read (towards `fallback.failureThreshold`).
    var failedReads = 0

    public init(_ config: KEDAConfig) {
        self.config = config
        hpa = HPAPolicy(HPAConfig(metrics: config.triggers.map(\.hpaMetric), behavior: config.behavior))
    }
    public var name: String { "keda" }
    public var handlesMissingMetrics: Bool { true }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        if c.now - lastPoll >= config.pollingInterval - 1e-9 {
            lastPoll = c.now
            if c.sample.metricsAvailable {
                failedReads = 0
                active = config.triggers.contains { $0.isActive(c.sample) }
                if active { lastActive = c.now }
            } else {
                failedReads += 1
            }
        }
        if !c.sample.metricsAvailable {
            // The scaler errors: with a fallback, after `failureThreshold` failed reads KEDA holds its
            // replicas; without one, nothing scales (the HPA gets no metric either).
            guard let fallback = config.fallback, failedReads >= fallback.failureThreshold else { return nil }
            return ScalingProposal(c.proposal(fallback.replicas, rule: "\(failedReads) failed metric reads (threshold \(fallback.failureThreshold))",
                                              reason: "KEDA: fallback to \(fallback.replicas) replicas"))
        }
        let hpaMinimum = max(1, config.minReplicaCount)
        if let idle = config.idleReplicas, c.currentReplicas <= idle, idle < hpaMinimum {
            // Idle: only the operator acts, and only on activation (the HPA does not scale from idle).
            guard active else { return nil }
            return ScalingProposal(c.proposal(hpaMinimum, rule: "a trigger is above its activation threshold",
                                              reason: "KEDA: activate from \(idle) to \(hpaMinimum)"))
        }
        if let idle = config.idleReplicas, idle < hpaMinimum, !active, c.now - lastActive >= config.cooldownPeriod {
            return ScalingProposal(c.proposal(idle, rule: "no trigger active for the \(Int(config.cooldownPeriod))s cooldown period",
                                              reason: "KEDA: deactivate to \(idle)"))
        }
        var inner = c
        inner.bounds = ScalingBounds(minReplicas: hpaMinimum, maxReplicas: config.maxReplicaCount)
        guard var proposal = hpa.propose(inner) else { return nil }
        proposal.decision.final = min(max(proposal.decision.final, hpaMinimum), config.maxReplicaCount)
        return proposal
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { hpa.applied(from: old, to: new, at: time) }

    public static func == (a: KEDAPolicy, b: KEDAPolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == KEDAPolicy {
    /// A KEDA `ScaledObject`.
    public static func keda(_ config: KEDAConfig) -> KEDAPolicy { KEDAPolicy(config) }
}
