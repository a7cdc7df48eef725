import Foundation
import Telemetry

public struct HPAConfig: Sendable, Equatable {
    public var metrics: [HPA.MetricTarget]
    public var behavior: HPA.Behavior
    public var tolerance: Double
    /// `--horizontal-pod-autoscaler-sync-period`.
    public var syncPeriod: Double
    /// Seconds of scrapes the metrics are averaged over (metrics-server's resolution, a Prometheus
    /// adapter's `rate(…[W])`); 0: the latest scrape alone.
    public var metricWindow: Double
    /// How CPU utilization over `metricWindow` is read.
    public var windowReading: WindowReading
    public init(metrics: [HPA.MetricTarget] = [.cpu(60)], behavior: HPA.Behavior = HPA.Behavior(), tolerance: Double = 0.1,
                syncPeriod: Double = 15, metricWindow: Double = 0, windowReading: WindowReading = .timeWeighted) {
        self.metrics = metrics; self.behavior = behavior; self.tolerance = tolerance; self.syncPeriod = syncPeriod
        self.metricWindow = metricWindow; self.windowReading = windowReading
    }

    /// How a utilization over a window of scrapes is read; the two differ only while the capacity changes.
    public enum WindowReading: String, Sendable, CaseIterable {
        /// Busy time ÷ the capacity the window held: per-pod metrics (metrics-server), and what each
        /// simulated scrape reports.
        case timeWeighted = "time-weighted"
        /// Busy time ÷ (window × the capacity at its end): a PromQL ratio such as
        /// `sum(rate(busy_seconds[15s])) / sum(slots)`. A replica ready for part of the window counts whole
        /// in the denominator, so right after a scale-up the metric reads low and the next step comes later.
        case currentCapacity = "current-capacity"
    }

    /// The latest sample with its utilizations and arrivals averaged over `samples` (weighted by their
    /// intervals; CPU read as `reading` says).
    static func averaged(_ samples: [ServiceSample], reading: WindowReading = .timeWeighted) -> ServiceSample {
        var s = samples[samples.count - 1]
        let measured = samples.filter(\.metricsAvailable)
        let seconds = measured.reduce(0) { $0 + $1.interval }
        guard measured.count > 1, seconds > 0 else { return s }
        s.cpuUtilization = measured.reduce(0) { $0 + $1.cpuUtilization * $1.interval } / seconds
        let capacity = Double(s.readyReplicas * s.concurrencyPerReplica) * seconds
        // Only where every scrape says what capacity it held (a live sample does not).
        if reading == .currentCapacity, capacity > 0, measured.allSatisfy({ $0.slotSeconds > 0 || $0.cpuUtilization == 0 }) {
            s.cpuUtilization = measured.reduce(0) { $0 + $1.cpuUtilization * $1.slotSeconds } / capacity
        }
        s.memoryUtilization = measured.reduce(0) { $0 + $1.memoryUtilization * $1.interval } / seconds
        // The arrival rate is arrivals ÷ interval: over the window, all its arrivals over all its seconds.
        s.arrivals = measured.reduce(0) { $0 + $1.arrivals }
        s.interval = seconds
        return s
    }
}

extension HPAConfig {
    /// The HPA replica calculation over every configured metric; the largest proposal wins.
    func proposal(_ s: ServiceSample, current: Int) -> (replicas: Int, rule: String) {
        var best = Int.min, winner: (kind: HPA.MetricTarget.Kind, value: Double, target: Double)?
        let up = behavior.scaleUp.tolerance ?? tolerance, down = behavior.scaleDown.tolerance ?? tolerance
        for m in metrics {
            let value = HPAConfig.observed(m.kind, in: s)
            var p = HPAConfig.proposal(m, value: value, sample: s, current: current, tolerance: up)
            if up != down && p <= current {
                // Tolerances differ by direction: a scale-down must clear the scale-down tolerance.
                let d = HPAConfig.proposal(m, value: value, sample: s, current: current, tolerance: down)
                p = d < current ? d : current
            }
            if p > best { best = p; winner = (m.kind, value, m.target) }
        }
        // Formatted once, for the metric that won, without Foundation's `String(format:)` (this runs
        // for every service at every scrape: 1.4 M times a day in large-shop).
        let rule = winner.map { "\($0.kind.rawValue) \(oneDecimal($0.value)) vs target \($0.target)" } ?? ""
        return (best == Int.min ? current : best, rule)
    }

    /// The metric as the HPA reads it: percent of the request, a per-pod average, or a total.
    static func observed(_ kind: HPA.MetricTarget.Kind, in s: ServiceSample) -> Double {
        switch kind {
        case .cpu: return s.cpuUtilization * 100
        case .memory: return s.memoryUtilization * 100
        case .requestsPerPod: return s.readyReplicas > 0 ? s.arrivalRate / Double(s.readyReplicas) : 0
        case .queuePerPod, .queueValue: return Double(s.queueDepth)
        case .requestsAverageValue, .requestsValue: return s.arrivalRate
        }
    }

    /// One metric's proposal, as upstream's replica calculator computes it for that metric source.
    static func proposal(_ m: HPA.MetricTarget, value: Double, sample s: ServiceSample, current: Int, tolerance: Double) -> Int {
        switch m.kind {
        case .cpu, .memory, .requestsPerPod:
            // Pods whose metrics are missing are set aside and counted back as upstream does.
            let missing = min(s.missingPods, s.readyReplicas)
            let perReporting = m.kind == .requestsPerPod && missing > 0 ? value * Double(s.readyReplicas) / Double(s.readyReplicas - missing) : value
            let pods = HPA.PodMetrics(readyPods: s.readyReplicas - missing, readyAverage: missing == s.readyReplicas ? 0 : perReporting,
                                      unreadyPods: s.startingReplicas + s.pendingReplicas, missingPods: missing)
            return HPA.proposal(currentReplicas: current, metrics: pods, target: m, tolerance: tolerance)
        case .queuePerPod, .requestsAverageValue:
            // External AverageValue: total ÷ target, tolerance on total ÷ (target × current).
            let ratio = value / (m.target * Double(max(1, current)))
            return abs(1 - ratio) <= tolerance ? current : Int((value / m.target).rounded(.up))
        case .queueValue, .requestsValue:
            // Object/External Value: usage ratio × ready pods.
            let ratio = value / m.target
            return abs(1 - ratio) <= tolerance ? current : Int((ratio * Double(s.readyReplicas)).rounded(.up))
        }
    }
}

/// The Kubernetes Horizontal Pod Autoscaler: the replica calculator at every sync period, then
/// `behavior` (stabilization windows and rate policies).
public struct HPAPolicy: ScalingPolicy, Equatable {
    /// The settings; a change to the behavior reaches the controller (a `--set` of a stabilization window).
    public var config: HPAConfig { didSet { controller.behavior = config.behavior } }
    var controller: HPA.Controller
    var lastEvaluation = -Double.infinity
    /// The scrapes within `config.metricWindow` of now (empty without a window).
    var recent: [ServiceSample] = []

    public init(_ config: HPAConfig = HPAConfig()) { self.config = config; controller = HPA.Controller(behavior: config.behavior) }
    public var name: String { "hpa" }
    public var handlesMissingMetrics: Bool { true }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        if config.metricWindow > 0 {
            recent.append(c.sample)
            recent.removeAll { $0.time <= c.now - config.metricWindow + 1e-9 }
        }
        guard c.now - lastEvaluation >= config.syncPeriod - 1e-9 else { return nil }
        lastEvaluation = c.now
        // The metrics could not be read: upstream records FailedGetMetrics and leaves the scale alone.
        guard c.sample.metricsAvailable else { return nil }
        let sample = recent.count > 1 ? HPAConfig.averaged(recent, reading: config.windowReading) : c.sample
        let (p, rule) = config.proposal(sample, current: c.currentReplicas)
        let n = controller.normalize(proposal: p, current: c.currentReplicas, min: c.bounds.minReplicas, max: c.bounds.maxReplicas, now: c.now)
        return ScalingProposal(c.proposal(p, final: n.replicas, rule: rule, reason: "HPA: ceil(replicas × metric ÷ target)", limitedBy: n.limitedBy))
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { controller.record(from: old, to: new, now: time) }

    public static func == (a: HPAPolicy, b: HPAPolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == HPAPolicy {
    /// The Kubernetes HPA (`autoscaling/v2`).
    public static func hpa(_ config: HPAConfig = HPAConfig()) -> HPAPolicy { HPAPolicy(config) }
}

/// `x` with one decimal (halves away from zero: 61.25 → "61.3", −0.04 → "0.0", −0.06 → "-0.1").
func oneDecimal(_ x: Double) -> String {
    guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
    let tenths = (x * 10).rounded()
    let whole = Int64(tenths / 10), rest = Int64(abs(tenths)) % 10
    return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(rest)"
}
