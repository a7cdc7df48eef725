import Foundation
import Telemetry

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

/// Weighted metric thresholds with fixed steps and a cooldown.
public struct ThresholdPolicy: ScalingPolicy, Equatable {
    public var config: ThresholdConfig
    var lastEvaluation = -Double.infinity

    public init(_ config: ThresholdConfig = ThresholdConfig()) { self.config = config }
    public var name: String { "threshold" }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        guard c.now - lastEvaluation >= config.evaluationInterval - 1e-9 else { return nil }
        lastEvaluation = c.now
        var score = 0.0, weights = 0.0, allLow = true
        var inputs: [String: Double] = [:]
        for t in config.thresholds {
            let v = t.metric.value(c.sample)
            inputs[t.metric.rawValue] = v
            score += t.weight * v / t.up
            weights += t.weight
            if v >= t.down { allLow = false }
        }
        score /= max(weights, 1e-12)
        inputs["weighted_score"] = score
        let cooled = c.now - c.lastChange >= config.cooldown
        let current = c.currentReplicas
        if score >= 1 {
            let p = current + config.scaleUpBy
            return ScalingProposal(c.proposal(p, final: cooled ? p : current, rule: "weighted score \(String(format: "%.2f", score)) ≥ 1",
                                              reason: "above the scale-up thresholds", limitedBy: cooled ? nil : .cooldown, inputs: inputs))
        }
        if allLow {
            let p = current - config.scaleDownBy
            return ScalingProposal(c.proposal(p, final: cooled ? p : current, rule: "all metrics below scale-down thresholds",
                                              reason: "below the scale-down thresholds", limitedBy: cooled ? nil : .cooldown, inputs: inputs))
        }
        return nil
    }

    public static func == (a: ThresholdPolicy, b: ThresholdPolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == ThresholdPolicy {
    /// Weighted metric thresholds with fixed steps and a cooldown.
    public static func threshold(_ config: ThresholdConfig = ThresholdConfig()) -> ThresholdPolicy { ThresholdPolicy(config) }
}
