import Foundation
import Telemetry

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

/// KEDA-like: replicas for a target backlog per replica, with an activation threshold, to and from zero.
public struct QueuePolicy: ScalingPolicy, Equatable {
    public var config: QueueConfig
    var controller: HPA.Controller
    var lastEvaluation = -Double.infinity

    public init(_ config: QueueConfig = QueueConfig()) { self.config = config; controller = HPA.Controller(behavior: config.behavior) }
    public var name: String { "queue" }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        guard c.now - lastEvaluation >= 15 - 1e-9 else { return nil }
        lastEvaluation = c.now
        let s = c.sample, current = c.currentReplicas
        let backlog = Double(s.queueDepth + s.inFlight)
        let inputs = ["backlog": backlog, "target_per_replica": config.targetPerReplica]
        if backlog <= config.activationThreshold {
            let p = c.bounds.minReplicas == 0 ? 0 : current
            guard p != current, c.now - c.lastChange >= 300 else { return nil }
            return ScalingProposal(c.proposal(p, rule: "backlog ≤ activation", reason: "idle: scale to zero", inputs: inputs))
        }
        let p = max(1, Int((backlog / config.targetPerReplica).rounded(.up)))
        if current == 0 {
            return ScalingProposal(c.proposal(p, final: max(1, min(p, 4)), rule: "activation",
                                              reason: "backlog \(Int(backlog)) > activation \(Int(config.activationThreshold)): scale from zero", inputs: inputs))
        }
        let ratio = backlog / (config.targetPerReplica * Double(current))
        let proposal = abs(1 - ratio) <= 0.1 ? current : p
        let n = controller.normalize(proposal: proposal, current: current, min: max(1, c.bounds.minReplicas), max: c.bounds.maxReplicas, now: c.now)
        return ScalingProposal(c.proposal(proposal, final: n.replicas, rule: "backlog \(Int(backlog)) ÷ \(config.targetPerReplica)",
                                          reason: "queue-driven (KEDA-like)", limitedBy: n.limitedBy, inputs: inputs))
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { controller.record(from: old, to: new, now: time) }

    public static func == (a: QueuePolicy, b: QueuePolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == QueuePolicy {
    /// Queue-driven scaling (KEDA-like).
    public static func queue(_ config: QueueConfig = QueueConfig()) -> QueuePolicy { QueuePolicy(config) }
}
