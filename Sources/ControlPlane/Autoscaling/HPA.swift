import Foundation
import Telemetry

/// The Kubernetes Horizontal Pod Autoscaler algorithm, as documented and as implemented in
/// `pkg/controller/podautoscaler` (replica calculator + `behavior`), over aggregate pod metrics.
///
/// Pods of one workload share the same resource request here, so per-pod sums reduce to counts
/// times averages; the missing-metric and not-yet-ready rules are applied exactly as upstream.
public enum HPA {
    /// A metric the HPA scales on, with its target.
    public struct MetricTarget: Sendable, Equatable {
        /// `cpu`/`memory`: Resource Utilization. `requestsPerPod`: a Pods metric (AverageValue per ready pod).
        /// `queuePerPod`/`requestsAverageValue`: an External metric with an AverageValue target
        /// (total ÷ target). `queueValue`/`requestsValue`: an Object or External metric with a Value target.
        public enum Kind: String, Sendable {
            case cpu, memory, requestsPerPod = "requests-per-pod", queuePerPod = "queue-per-pod"
            case requestsAverageValue = "requests-average-value", queueValue = "queue-value", requestsValue = "requests-value"
        }
        public var kind: Kind
        /// Utilization in percent of the request (cpu, memory) or an average value per pod.
        public var target: Double
        public init(_ kind: Kind, target: Double) { self.kind = kind; self.target = target }
        public static func cpu(_ percent: Double) -> MetricTarget { .init(.cpu, target: percent) }
        public static func memory(_ percent: Double) -> MetricTarget { .init(.memory, target: percent) }
        public static func requestsPerPod(_ value: Double) -> MetricTarget { .init(.requestsPerPod, target: value) }
        public static func queuePerPod(_ value: Double) -> MetricTarget { .init(.queuePerPod, target: value) }
        var isUtilization: Bool { kind == .cpu || kind == .memory }
    }

    /// What the metrics pipeline says about the pods of the workload for one metric.
    public struct PodMetrics: Sendable, Equatable {
        /// Ready pods that reported the metric.
        public var readyPods: Int
        /// Their average: utilization in percent for resource metrics, a value for the others.
        public var readyAverage: Double
        /// Pods not yet ready (starting); they are set aside, and count as 0 on a scale-up.
        public var unreadyPods: Int
        /// Ready pods with no metric; 100 % (or the target) on a scale-down, 0 on a scale-up.
        public var missingPods: Int
        public init(readyPods: Int, readyAverage: Double, unreadyPods: Int = 0, missingPods: Int = 0) {
            self.readyPods = readyPods; self.readyAverage = readyAverage; self.unreadyPods = unreadyPods; self.missingPods = missingPods
        }
    }

    /// Replica count proposed for one metric (the replica calculator).
    /// - Parameter currentReplicas: the scale target's current `spec.replicas`.
    public static func proposal(currentReplicas: Int, metrics m: PodMetrics, target: MetricTarget, tolerance: Double = 0.1) -> Int {
        guard m.readyPods > 0 else { return currentReplicas }  // "did not receive metrics for any ready pods"
        // Resource utilization is an integer percentage upstream (truncating division).
        let current = target.isUtilization ? m.readyAverage.rounded(.towardZero) : m.readyAverage
        let usageRatio = current / target.target
        let scaleUpWithUnready = m.unreadyPods > 0 && usageRatio > 1
        if !scaleUpWithUnready && m.missingPods == 0 {
            if abs(1 - usageRatio) <= tolerance { return currentReplicas }
            return Int((usageRatio * Double(m.readyPods)).rounded(.up))
        }
        var total = m.readyAverage * Double(m.readyPods)
        var pods = m.readyPods
        if m.missingPods > 0 {
            if usageRatio < 1 {
                // Scale-down: missing pods use 100 % of their request (or the target, if above 100 %).
                let fallback = target.isUtilization ? max(100, target.target) : target.target
                total += fallback * Double(m.missingPods)
            }
            pods += m.missingPods  // on a scale-up they count as 0
        }
        if scaleUpWithUnready { pods += m.unreadyPods }  // as 0
        var newAverage = total / Double(pods)
        if target.isUtilization { newAverage = newAverage.rounded(.towardZero) }
        let newRatio = newAverage / target.target
        if abs(1 - newRatio) <= tolerance || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1) {
            return currentReplicas
        }
        let newReplicas = Int((newRatio * Double(pods)).rounded(.up))
        if (newRatio < 1 && newReplicas > currentReplicas) || (newRatio > 1 && newReplicas < currentReplicas) {
            return currentReplicas
        }
        return newReplicas
    }

    // MARK: behavior

    public struct ScalingPolicy: Sendable, Equatable {
        public enum Kind: String, Sendable { case pods = "Pods", percent = "Percent" }
        public var kind: Kind
        public var value: Int
        public var periodSeconds: Double
        public init(_ kind: Kind, value: Int, periodSeconds: Double) { self.kind = kind; self.value = value; self.periodSeconds = periodSeconds }
    }

    public enum SelectPolicy: String, Sendable { case max = "Max", min = "Min", disabled = "Disabled" }

    public struct ScalingRules: Sendable, Equatable {
        public var stabilizationWindowSeconds: Double
        public var policies: [ScalingPolicy]
        public var selectPolicy: SelectPolicy
        /// This direction's tolerance (`behavior.scaleUp.tolerance`, Kubernetes 1.33+); nil uses the HPA's.
        public var tolerance: Double?
        public init(stabilizationWindowSeconds: Double, policies: [ScalingPolicy], selectPolicy: SelectPolicy = .max, tolerance: Double? = nil) {
            self.stabilizationWindowSeconds = stabilizationWindowSeconds; self.policies = policies; self.selectPolicy = selectPolicy
            self.tolerance = tolerance
        }
    }

    /// `spec.behavior`, with the Kubernetes defaults.
    public struct Behavior: Sendable, Equatable {
        public var scaleUp: ScalingRules
        public var scaleDown: ScalingRules
        public init(scaleUp: ScalingRules = Behavior.defaultScaleUp, scaleDown: ScalingRules = Behavior.defaultScaleDown) {
            self.scaleUp = scaleUp; self.scaleDown = scaleDown
        }
        /// No stabilization; at most double, or add 4 pods, per 15 s (whichever is more).
        public static let defaultScaleUp = ScalingRules(stabilizationWindowSeconds: 0,
                                                        policies: [.init(.percent, value: 100, periodSeconds: 15), .init(.pods, value: 4, periodSeconds: 15)])
        /// A 5-minute stabilization window; any reduction per 15 s.
        public static let defaultScaleDown = ScalingRules(stabilizationWindowSeconds: 300,
                                                          policies: [.init(.percent, value: 100, periodSeconds: 15)])
    }

    /// The stateful part of the controller for one workload: recommendation history and scale events.
    public struct Controller: Sendable {
        public var behavior: Behavior
        var recommendations: [(time: Double, replicas: Int)] = []
        var scaleUpEvents: [(time: Double, change: Int)] = []
        var scaleDownEvents: [(time: Double, change: Int)] = []

        public init(behavior: Behavior = Behavior()) { self.behavior = behavior }

        /// Applies stabilization, then the rate policies and min/max, to a raw proposal (upstream's
        /// `normalizeDesiredReplicasWithBehaviors`). Does not record a scale event: call `record`.
        public mutating func normalize(proposal: Int, current: Int, min minReplicas: Int, max maxReplicas: Int, now: Double) -> (replicas: Int, limitedBy: LimitReason?) {
            // Stabilization: scale up to the lowest, down to the highest recommendation in the windows.
            var up = proposal, down = proposal
            let upWindow = behavior.scaleUp.stabilizationWindowSeconds, downWindow = behavior.scaleDown.stabilizationWindowSeconds
            recommendations.removeAll { now - $0.time > Swift.max(upWindow, downWindow) }
            for r in recommendations {
                if now - r.time < upWindow { up = Swift.min(up, r.replicas) }
                if now - r.time < downWindow { down = Swift.max(down, r.replicas) }
            }
            recommendations.append((now, proposal))
            var desired = current
            if desired < up { desired = up }
            if desired > down { desired = down }
            var limitedBy: LimitReason? = desired != proposal ? .stabilizationWindow : nil

            if desired > current {
                let limit = Swift.min(scaleUpLimit(current: current, now: now), maxReplicas)
                if desired > limit { desired = limit; limitedBy = limit == maxReplicas ? .maxReplicas : .scaleUpPolicy }
            } else if desired < current {
                let limit = Swift.max(scaleDownLimit(current: current, now: now), minReplicas)
                if desired < limit { desired = limit; limitedBy = limit == minReplicas ? .minReplicas : .scaleDownPolicy }
            }
            if desired > maxReplicas { desired = maxReplicas; limitedBy = .maxReplicas }
            if desired < minReplicas { desired = minReplicas; limitedBy = .minReplicas }
            return (desired, limitedBy)
        }

        /// Records an applied change, for the rate policies.
        public mutating func record(from old: Int, to new: Int, now: Double) {
            let longest = (behavior.scaleUp.policies + behavior.scaleDown.policies).map(\.periodSeconds).max() ?? 0
            scaleUpEvents.removeAll { now - $0.time > longest }
            scaleDownEvents.removeAll { now - $0.time > longest }
            if new > old { scaleUpEvents.append((now, new - old)) }
            if new < old { scaleDownEvents.append((now, old - new)) }
        }

        func scaleUpLimit(current: Int, now: Double) -> Int {
            let rules = behavior.scaleUp
            if rules.selectPolicy == .disabled { return current }
            var result = rules.selectPolicy == .max ? Int.min : Int.max
            for p in rules.policies {
                let added = scaleUpEvents.filter { now - $0.time < p.periodSeconds }.reduce(0) { $0 + $1.change }
                let start = current - added
                let proposed = p.kind == .pods ? start + p.value : Int((Double(start) * (1 + Double(p.value) / 100)).rounded(.up))
                result = rules.selectPolicy == .max ? Swift.max(result, proposed) : Swift.min(result, proposed)
            }
            return result
        }

        func scaleDownLimit(current: Int, now: Double) -> Int {
            let rules = behavior.scaleDown
            if rules.selectPolicy == .disabled { return current }
            var result = rules.selectPolicy == .max ? Int.max : Int.min
            for p in rules.policies {
                let removed = scaleDownEvents.filter { now - $0.time < p.periodSeconds }.reduce(0) { $0 + $1.change }
                let start = current + removed
                let proposed = p.kind == .pods ? start - p.value : Int(Double(start) * (1 - Double(p.value) / 100))
                result = rules.selectPolicy == .max ? Swift.min(result, proposed) : Swift.max(result, proposed)
            }
            return result
        }
    }
}
