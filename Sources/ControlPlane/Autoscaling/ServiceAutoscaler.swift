import Foundation
import Telemetry

/// Runs one service's scaling policy scrape by scrape, with the safety layer every policy shares:
/// bounds, cooldowns, oscillation damping, and an explanation for every decision.
public struct ServiceAutoscaler: Sendable {
    public let service: String
    public var policy: any ScalingPolicy
    public var bounds: ScalingBounds
    /// Replicas the control plane last asked for (the Deployment's spec.replicas).
    public private(set) var desired: Int?
    var lastChange = -Double.infinity
    var recent: [ServiceSample] = []
    /// Requests per second one replica serves when fully busy, learned from observations.
    public private(set) var capacityPerReplica: Double?
    var changes: [(time: Double, direction: Int)] = []
    var dampedUntil = -Double.infinity
    public private(set) var oscillations = 0
    var lastHeld: String?

    /// Alternating up/down changes this many times within `oscillationWindow` ⇒ damp scale-downs.
    public var oscillationReversals = 2
    public var oscillationWindow = 600.0
    /// Take the current replicas from each sample (`desiredReplicas`, the real Deployment's) rather than from
    /// what this autoscaler last asked for: a shadow policy, whose decisions are never applied, reasons
    /// about the system as it is.
    public var followsObservedReplicas = false

    public init(service: String, policy: some ScalingPolicy, bounds: ScalingBounds) {
        self.service = service; self.policy = policy; self.bounds = bounds
    }

    /// Evaluates the policy on a new sample. Returns a decision when the policy proposed a change
    /// (applied or held back), nil when there was nothing to decide.
    public mutating func evaluate(_ s: ServiceSample, predictor: ServicePredictor?) -> [ScalingDecision] {
        let now = s.time
        learn(s)
        if followsObservedReplicas || desired == nil { desired = s.desiredReplicas }
        let current = desired!
        guard let raw = propose(s, current: current, predictor: predictor) else { return [] }
        var out: [ScalingDecision] = []
        var decision = raw.decision
        if let shadow = raw.shadow { out.append(shadow) }
        if let raised = raw.raisedMaximum, raised > bounds.maxReplicas { bounds.maxReplicas = raised }
        decision.final = min(max(decision.final, bounds.minReplicas), bounds.maxReplicas)
        if decision.final != decision.proposal, decision.limitedBy == nil {
            decision.limitedBy = decision.final == bounds.maxReplicas ? .maxReplicas : .minReplicas
        }
        if decision.final < current, now < dampedUntil {
            decision.final = current
            decision.limitedBy = .oscillationDamping
        }
        guard decision.final != current || decision.proposal != current else { lastHeld = nil; return out }
        // A held decision is recorded when it changes, not at every sync while it holds.
        if decision.final == current {
            let key = "\(decision.proposal)|\(decision.limitedBy?.rawValue ?? "")"
            if key == lastHeld { return out }
            lastHeld = key
        } else {
            lastHeld = nil
        }
        out.append(decision)
        return out
    }

    /// Records that a decision was applied (it may have been cut by a global cap meanwhile).
    public mutating func applied(_ d: ScalingDecision) -> TimelineEvent? {
        let old = desired ?? d.current
        guard d.final != old else { return nil }
        policy.applied(from: old, to: d.final, at: d.time)
        desired = d.final
        lastChange = d.time
        let direction = d.final > old ? 1 : -1
        changes.removeAll { d.time - $0.time > oscillationWindow }
        changes.append((d.time, direction))
        var reversals = 0
        for i in changes.indices.dropFirst() where changes[i].direction != changes[i - 1].direction { reversals += 1 }
        if reversals >= oscillationReversals, d.time >= dampedUntil {
            oscillations += 1
            dampedUntil = d.time + oscillationWindow
            changes.removeAll()
            return TimelineEvent(time: d.time, kind: .oscillation, subject: service,
                                 detail: "\(reversals) direction changes within \(Int(oscillationWindow))s: scale-downs held for \(Int(oscillationWindow))s")
        }
        return nil
    }

    mutating func learn(_ s: ServiceSample) {
        // Trimmed 40 at a time: dropping the oldest at every scrape moved the whole window each time.
        recent.append(s)
        if recent.count > 80 { recent.removeFirst(recent.count - 40) }
        // Throughput per fully busy replica, from intervals busy enough to measure it.
        let busyReplicas = s.cpuUtilization * Double(s.readyReplicas)
        if s.cpuUtilization > 0.2, busyReplicas > 0, s.completed > 0 {
            let c = s.throughput / busyReplicas
            capacityPerReplica = capacityPerReplica.map { $0 + 0.1 * (c - $0) } ?? c
        }
    }

    /// Asks the policy, with what a production controller would see.
    mutating func propose(_ s: ServiceSample, current: Int, predictor: ServicePredictor?) -> ScalingProposal? {
        if !s.metricsAvailable && !policy.handlesMissingMetrics { return nil }
        return policy.propose(PolicyContext(sample: s, currentReplicas: current, bounds: bounds, recent: recent,
                                     capacityPerReplica: capacityPerReplica, lastChange: lastChange, predictor: predictor,
                                     policyName: policy.name))
    }
}
