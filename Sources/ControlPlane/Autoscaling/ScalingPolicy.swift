import Foundation
import Telemetry

/// How a service's replica count is managed. Policies are plain values, set per service.
public enum ScalingPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The replica count never changes (the baseline policies are compared against).
    case fixed
    /// The Kubernetes Horizontal Pod Autoscaler.
    case hpa(HPAConfig)
    /// Weighted metric thresholds with fixed steps and a cooldown.
    case threshold(ThresholdConfig)
    /// Rules written as Swift closures over the metrics context.
    case rules(RuleSet)
    /// Scale for the forecast load at now + lead time, never below what a reactive HPA asks.
    case predictive(PredictiveConfig)
    /// KEDA-like: target backlog per replica, activation threshold, to and from zero.
    case queue(QueueConfig)

    public var name: String {
        switch self {
        case .fixed: return "fixed"
        case .hpa: return "hpa"
        case .threshold: return "threshold"
        case .rules: return "rules"
        case .predictive(let p): return p.mode == .forecastOnly ? "predictive-dry" : "predictive"
        case .queue: return "queue"
        }
    }
    public var description: String { name }

    /// Policies a scenario can be switched to by name (`--set policy=…`, `compare --policy …`), with defaults.
    public static func named(_ name: String) -> ScalingPolicy? {
        switch name {
        case "fixed": return .fixed
        case "hpa": return .hpa(HPAConfig())
        case "threshold": return .threshold(ThresholdConfig())
        case "predictive": return .predictive(PredictiveConfig())
        case "predictive-dry": return .predictive(PredictiveConfig(mode: .forecastOnly))
        case "queue": return .queue(QueueConfig())
        default: return nil
        }
    }
    public static let knownNames = ["fixed", "hpa", "threshold", "predictive", "predictive-dry", "queue"]
}

/// The limits a controller must respect for one service.
public struct ScalingBounds: Sendable, Equatable {
    public var minReplicas: Int
    public var maxReplicas: Int
    public init(minReplicas: Int, maxReplicas: Int) { self.minReplicas = minReplicas; self.maxReplicas = maxReplicas }
}

public struct HPAConfig: Sendable, Equatable {
    public var metrics: [HPA.MetricTarget]
    public var behavior: HPA.Behavior
    public var tolerance: Double
    /// `--horizontal-pod-autoscaler-sync-period`.
    public var syncPeriod: Double
    public init(metrics: [HPA.MetricTarget] = [.cpu(60)], behavior: HPA.Behavior = HPA.Behavior(), tolerance: Double = 0.1,
                syncPeriod: Double = 15) {
        self.metrics = metrics; self.behavior = behavior; self.tolerance = tolerance; self.syncPeriod = syncPeriod
    }
}

/// A metric a threshold policy or a rule can read from a sample.
public enum ScalingMetric: String, Sendable, CaseIterable {
    case cpu, memory, requestRate = "request-rate", queueLength = "queue-length", errorRate = "error-rate", p95
    public func value(_ s: ServiceSample) -> Double {
        switch self {
        case .cpu: return s.cpuUtilization * 100
        case .memory: return s.memoryUtilization * 100
        case .requestRate: return s.arrivalRate / Double(max(1, s.readyReplicas))
        case .queueLength: return Double(s.queueDepth)
        case .errorRate: return s.errorRate * 100
        case .p95: return s.p95 * 1000
        }
    }
}

public struct ThresholdConfig: Sendable, Equatable {
    public struct Threshold: Sendable, Equatable {
        public var metric: ScalingMetric
        public var weight: Double
        /// Scale up when the weighted score of value ÷ `up` reaches 1.
        public var up: Double
        /// Scale down when every metric is below its `down`.
        public var down: Double
        public init(_ metric: ScalingMetric, weight: Double = 1, up: Double, down: Double) {
            self.metric = metric; self.weight = weight; self.up = up; self.down = down
        }
    }
    public var thresholds: [Threshold]
    public var scaleUpBy: Int
    public var scaleDownBy: Int
    public var cooldown: Double
    public var evaluationInterval: Double
    public init(thresholds: [Threshold] = [.init(.cpu, weight: 0.7, up: 75, down: 30), .init(.p95, weight: 0.3, up: 400, down: 100)],
                scaleUpBy: Int = 2, scaleDownBy: Int = 1, cooldown: Double = 120, evaluationInterval: Double = 30) {
        self.thresholds = thresholds; self.scaleUpBy = scaleUpBy; self.scaleDownBy = scaleDownBy
        self.cooldown = cooldown; self.evaluationInterval = evaluationInterval
    }
}

/// What a rule sees.
public struct MetricsContext: Sendable {
    public var now: Double
    public var sample: ServiceSample
    /// Recent samples, oldest first (the latest is `sample`).
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

public struct PredictiveConfig: Sendable, Equatable {
    public enum Mode: String, Sendable { case forecastAndScale = "forecast-and-scale", forecastOnly = "forecast-only" }
    /// The reactive policy it is combined with (by taking the larger proposal).
    public var reactive: HPAConfig
    /// How far ahead to provision: replica start-up + a buffer. nil = the scenario's start-up mean + 60 s.
    public var leadTime: Double?
    /// Utilization to plan the forecast load at.
    public var targetUtilization: Double
    public var mode: Mode
    /// Below this forecast confidence the policy is purely reactive.
    public var minimumConfidence: Double
    public init(reactive: HPAConfig = HPAConfig(), leadTime: Double? = nil, targetUtilization: Double = 0.6,
                mode: Mode = .forecastAndScale, minimumConfidence: Double = 0.5) {
        self.reactive = reactive; self.leadTime = leadTime; self.targetUtilization = targetUtilization
        self.mode = mode; self.minimumConfidence = minimumConfidence
    }
}

public struct QueueConfig: Sendable, Equatable {
    /// Backlog (queued + in flight) one replica should carry.
    public var targetPerReplica: Double
    /// At or below this backlog the service may scale to zero (with minReplicas 0); above it, from zero.
    public var activationThreshold: Double
    public var behavior: HPA.Behavior
    public init(targetPerReplica: Double = 20, activationThreshold: Double = 0, behavior: HPA.Behavior = HPA.Behavior()) {
        self.targetPerReplica = targetPerReplica; self.activationThreshold = activationThreshold; self.behavior = behavior
    }
}
