import Foundation
import Telemetry

/// Runs one service's scaling policy scrape by scrape, with the safety layer every policy shares:
/// bounds, cooldowns, oscillation damping, and an explanation for every decision.
public struct ServiceAutoscaler: Sendable {
    public let service: String
    public var policy: ScalingPolicy
    public var bounds: ScalingBounds
    /// Replicas the control plane last asked for (the Deployment's spec.replicas).
    public private(set) var desired: Int?
    var hpa: HPA.Controller
    var lastEvaluation = -Double.infinity
    var lastChange = -Double.infinity
    var ruleFired: [String: Double] = [:]
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

    public init(service: String, policy: ScalingPolicy, bounds: ScalingBounds) {
        self.service = service; self.policy = policy; self.bounds = bounds
        switch policy {
        case .hpa(let c): hpa = HPA.Controller(behavior: c.behavior)
        case .predictive(let p): hpa = HPA.Controller(behavior: p.reactive.behavior)
        case .queue(let q): hpa = HPA.Controller(behavior: q.behavior)
        default: hpa = HPA.Controller()
        }
    }

    /// Evaluates the policy on a new sample. Returns a decision when the policy proposed a change
    /// (applied or held back), nil when there was nothing to decide.
    public mutating func evaluate(_ s: ServiceSample, predictor: ServicePredictor?) -> [ScalingDecision] {
        let now = s.time
        learn(s)
        let current = desired ?? s.desiredReplicas
        if desired == nil { desired = current }
        guard let raw = propose(s, current: current, now: now, predictor: predictor) else { return [] }
        var out: [ScalingDecision] = []
        var decision = raw.decision
        if let shadow = raw.shadow { out.append(shadow) }
        decision.final = min(max(decision.final, bounds.minReplicas), bounds.maxReplicas)
        if decision.final != decision.proposal, decision.limitedBy == nil {
            decision.limitedBy = decision.final == bounds.maxReplicas ? "maxReplicas" : "minReplicas"
        }
        if decision.final < current, now < dampedUntil {
            decision.final = current
            decision.limitedBy = "oscillation damping"
        }
        guard decision.final != current || decision.proposal != current else { lastHeld = nil; return out }
        // A held decision is recorded when it changes, not at every sync while it holds.
        if decision.final == current {
            let key = "\(decision.proposal)|\(decision.limitedBy ?? "")"
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
        hpa.record(from: old, to: d.final, now: d.time)
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
            return TimelineEvent(time: d.time, kind: "oscillation", subject: service,
                                 detail: "\(reversals) direction changes within \(Int(oscillationWindow))s: scale-downs held for \(Int(oscillationWindow))s")
        }
        return nil
    }

    mutating func learn(_ s: ServiceSample) {
        recent.append(s)
        if recent.count > 40 { recent.removeFirst(recent.count - 40) }
        // Throughput per fully busy replica, from intervals busy enough to measure it.
        let busyReplicas = s.cpuUtilization * Double(s.readyReplicas)
        if s.cpuUtilization > 0.2, busyReplicas > 0, s.completed > 0 {
            let c = s.throughput / busyReplicas
            capacityPerReplica = capacityPerReplica.map { $0 + 0.1 * (c - $0) } ?? c
        }
    }

    struct Proposal { var decision: ScalingDecision; var shadow: ScalingDecision? }

    func decision(_ s: ServiceSample, current: Int, proposal: Int, final: Int, rule: String, reason: String,
                  limitedBy: String? = nil, confidence: Double = 1, inputs: [String: Double] = [:], policyName: String? = nil,
                  dryRun: Bool = false) -> ScalingDecision {
        var inputs = inputs
        inputs["cpu_percent"] = s.cpuUtilization * 100
        inputs["arrival_rate"] = s.arrivalRate
        inputs["ready"] = Double(s.readyReplicas)
        inputs["queue_depth"] = Double(s.queueDepth)
        inputs["p95_ms"] = s.p95 * 1000
        return ScalingDecision(time: s.time, service: service, policy: policyName ?? policy.name, rule: rule, current: current,
                               proposal: proposal, final: final, limitedBy: limitedBy, confidence: confidence, reason: reason,
                               inputs: inputs, dryRun: dryRun)
    }

    mutating func propose(_ s: ServiceSample, current: Int, now: Double, predictor: ServicePredictor?) -> Proposal? {
        switch policy {
        case .fixed:
            return nil
        case .hpa(let c):
            guard now - lastEvaluation >= c.syncPeriod - 1e-9 else { return nil }
            lastEvaluation = now
            let (p, rule) = hpaProposal(s, current: current, config: c)
            let n = hpa.normalize(proposal: p, current: current, min: bounds.minReplicas, max: bounds.maxReplicas, now: now)
            return Proposal(decision: decision(s, current: current, proposal: p, final: n.replicas, rule: rule,
                                               reason: "HPA: ceil(replicas × metric ÷ target)", limitedBy: n.limitedBy))
        case .predictive(let c):
            guard now - lastEvaluation >= c.reactive.syncPeriod - 1e-9 else { return nil }
            lastEvaluation = now
            let (reactive, rule) = hpaProposal(s, current: current, config: c.reactive)
            let lead = c.leadTime ?? 120
            var predictive: Int?
            var confidence = 0.0
            var inputs: [String: Double] = ["reactive_proposal": Double(reactive), "lead_time_s": lead]
            if let f = predictor?.forecast(ahead: lead), let cap = capacityPerReplica, cap > 0 {
                confidence = f.confidence
                inputs["forecast_rate"] = f.value
                inputs["capacity_per_replica"] = cap
                if f.confidence >= c.minimumConfidence {
                    // Never plan below the demand already arriving, nor below where the last minute's
                    // ramp leads: model forecasts lag a sudden surge that history never showed them.
                    // Only a material ramp counts (≥ 20 % more within the lead time): noise is not a trend.
                    let slope = arrivalSlope()
                    inputs["arrival_slope"] = slope
                    let ramp = slope * lead >= 0.2 * s.arrivalRate ? slope * lead : 0
                    let planned = max(f.value, s.arrivalRate + ramp)
                    inputs["planned_rate"] = planned
                    // The HPA's tolerance applies here too: a forecast wobbling around the boundary
                    // between n and n + 1 replicas must not flap.
                    let ratio = planned / (cap * c.targetUtilization * Double(max(1, current)))
                    predictive = abs(1 - ratio) <= c.reactive.tolerance ? current
                        : Int((max(0, planned) / (cap * c.targetUtilization)).rounded(.up))
                    inputs["predictive_proposal"] = Double(predictive!)
                }
            }
            let combined = max(reactive, predictive ?? reactive)
            let why = predictive.map { "max(reactive \(reactive), plan for \(String(format: "%.1f", inputs["planned_rate"]!))/s = max(forecast in \(Int(lead))s, now + trend) ⇒ \($0))" }
                ?? "reactive only (forecast confidence \(String(format: "%.2f", confidence)) < \(c.minimumConfidence) or no capacity estimate yet)"
            if c.mode == .forecastOnly {
                let n = hpa.normalize(proposal: reactive, current: current, min: bounds.minReplicas, max: bounds.maxReplicas, now: now)
                let real = decision(s, current: current, proposal: reactive, final: n.replicas, rule: rule, reason: "HPA (forecast-only mode)",
                                    limitedBy: n.limitedBy, inputs: inputs, policyName: "hpa")
                let shadowFinal = min(max(combined, bounds.minReplicas), bounds.maxReplicas)
                let shadow = combined != current
                    ? decision(s, current: current, proposal: combined, final: shadowFinal, rule: "forecast", reason: "would scale: " + why,
                               confidence: confidence, inputs: inputs, policyName: "predictive", dryRun: true)
                    : nil
                return Proposal(decision: real, shadow: shadow)
            }
            let n = hpa.normalize(proposal: combined, current: current, min: bounds.minReplicas, max: bounds.maxReplicas, now: now)
            return Proposal(decision: decision(s, current: current, proposal: combined, final: n.replicas,
                                               rule: predictive.map { $0 > reactive ? "forecast" : rule } ?? rule, reason: why,
                                               limitedBy: n.limitedBy, confidence: predictive == nil ? 1 : confidence, inputs: inputs))
        case .threshold(let c):
            guard now - lastEvaluation >= c.evaluationInterval - 1e-9 else { return nil }
            lastEvaluation = now
            var score = 0.0, weights = 0.0, allLow = true
            var inputs: [String: Double] = [:]
            for t in c.thresholds {
                let v = t.metric.value(s)
                inputs[t.metric.rawValue] = v
                score += t.weight * v / t.up
                weights += t.weight
                if v >= t.down { allLow = false }
            }
            score /= max(weights, 1e-12)
            inputs["weighted_score"] = score
            let cooled = now - lastChange >= c.cooldown
            if score >= 1 {
                let p = current + c.scaleUpBy
                return Proposal(decision: decision(s, current: current, proposal: p, final: cooled ? p : current, rule: "weighted score \(String(format: "%.2f", score)) ≥ 1",
                                                   reason: "above the scale-up thresholds", limitedBy: cooled ? nil : "cooldown", inputs: inputs))
            }
            if allLow {
                let p = current - c.scaleDownBy
                return Proposal(decision: decision(s, current: current, proposal: p, final: cooled ? p : current, rule: "all metrics below scale-down thresholds",
                                                   reason: "below the scale-down thresholds", limitedBy: cooled ? nil : "cooldown", inputs: inputs))
            }
            return nil
        case .rules(let set):
            guard now - lastEvaluation >= set.evaluationInterval - 1e-9 else { return nil }
            lastEvaluation = now
            let context = self.context(s, current: current, predictor: predictor)
            for rule in set.rules.sorted(by: { $0.priority > $1.priority }) where rule.condition(context) {
                var p = Int((Double(current) * rule.factor).rounded(.up))
                if rule.factor < 1 { p = Int((Double(current) * rule.factor).rounded(.down)) }
                if let lo = rule.minReplicas { p = max(p, lo) }
                if let hi = rule.maxReplicas { p = min(p, hi) }
                let cooled = now - (ruleFired[rule.name] ?? -.infinity) >= rule.cooldown
                if cooled, p != current { ruleFired[rule.name] = now }
                return Proposal(decision: decision(s, current: current, proposal: p, final: cooled ? p : current, rule: rule.name,
                                                   reason: "rule \(rule.name) (priority \(rule.priority), ×\(rule.factor))",
                                                   limitedBy: cooled ? nil : "rule cooldown",
                                                   inputs: ["queue_growth_per_s": context.queueGrowthPerSecond]))
            }
            return nil
        case .queue(let c):
            guard now - lastEvaluation >= 15 - 1e-9 else { return nil }
            lastEvaluation = now
            let backlog = Double(s.queueDepth + s.inFlight)
            let inputs = ["backlog": backlog, "target_per_replica": c.targetPerReplica]
            if backlog <= c.activationThreshold {
                let p = bounds.minReplicas == 0 ? 0 : current
                guard p != current, now - lastChange >= 300 else { return nil }
                return Proposal(decision: decision(s, current: current, proposal: p, final: p, rule: "backlog ≤ activation",
                                                   reason: "idle: scale to zero", inputs: inputs))
            }
            let p = max(1, Int((backlog / c.targetPerReplica).rounded(.up)))
            if current == 0 {
                return Proposal(decision: decision(s, current: 0, proposal: p, final: max(1, min(p, 4)), rule: "activation",
                                                   reason: "backlog \(Int(backlog)) > activation \(Int(c.activationThreshold)): scale from zero", inputs: inputs))
            }
            let ratio = backlog / (c.targetPerReplica * Double(current))
            let proposal = abs(1 - ratio) <= 0.1 ? current : p
            let n = hpa.normalize(proposal: proposal, current: current, min: max(1, bounds.minReplicas), max: bounds.maxReplicas, now: now)
            return Proposal(decision: decision(s, current: current, proposal: proposal, final: n.replicas,
                                               rule: "backlog \(Int(backlog)) ÷ \(c.targetPerReplica)", reason: "queue-driven (KEDA-like)",
                                               limitedBy: n.limitedBy, inputs: inputs))
        }
    }

    /// The HPA replica calculation over every configured metric; the largest proposal wins.
    func hpaProposal(_ s: ServiceSample, current: Int, config c: HPAConfig) -> (Int, String) {
        var best = Int.min, rule = ""
        let unready = s.startingReplicas + s.pendingReplicas
        for m in c.metrics {
            let p: Int
            let value: Double
            switch m.kind {
            case .cpu:
                value = s.cpuUtilization * 100
                p = HPA.proposal(currentReplicas: current, metrics: .init(readyPods: s.readyReplicas, readyAverage: value, unreadyPods: unready),
                                 target: m, tolerance: c.tolerance)
            case .memory:
                value = s.memoryUtilization * 100
                p = HPA.proposal(currentReplicas: current, metrics: .init(readyPods: s.readyReplicas, readyAverage: value, unreadyPods: unready),
                                 target: m, tolerance: c.tolerance)
            case .requestsPerPod:
                value = s.readyReplicas > 0 ? s.arrivalRate / Double(s.readyReplicas) : 0
                p = HPA.proposal(currentReplicas: current, metrics: .init(readyPods: s.readyReplicas, readyAverage: value, unreadyPods: unready),
                                 target: m, tolerance: c.tolerance)
            case .queuePerPod:
                // An external metric with an AverageValue target: total ÷ target, tolerance on total ÷ (target × current).
                value = Double(s.queueDepth)
                let ratio = value / (m.target * Double(max(1, current)))
                p = abs(1 - ratio) <= c.tolerance ? current : Int((value / m.target).rounded(.up))
            }
            if p > best { best = p; rule = "\(m.kind.rawValue) \(String(format: "%.1f", value)) vs target \(m.target)" }
        }
        return (best == Int.min ? current : best, rule)
    }

    /// Least-squares slope of the arrival rate over the last minute or so (requests/s per second).
    func arrivalSlope() -> Double {
        let last = recent.suffix(5)
        guard last.count >= 3, let first = last.first else { return 0 }
        let n = Double(last.count)
        let mt = last.reduce(0) { $0 + $1.time } / n, mr = last.reduce(0) { $0 + $1.arrivalRate } / n
        var sxy = 0.0, sxx = 0.0
        for x in last { sxy += (x.time - mt) * (x.arrivalRate - mr); sxx += (x.time - mt) * (x.time - mt) }
        _ = first
        return sxx > 0 ? sxy / sxx : 0
    }

    func context(_ s: ServiceSample, current: Int, predictor: ServicePredictor?) -> MetricsContext {
        let depths = recent.suffix(8).map { Double($0.queueDepth) }
        var growth = 0.0
        if depths.count >= 3 {
            let n = Double(depths.count), mx = (n - 1) / 2, my = depths.reduce(0, +) / n
            var sxy = 0.0, sxx = 0.0
            for (i, d) in depths.enumerated() { sxy += (Double(i) - mx) * (d - my); sxx += (Double(i) - mx) * (Double(i) - mx) }
            growth = sxy / sxx / max(s.interval, 1e-9)
        }
        let p = predictor
        return MetricsContext(now: s.time, sample: s, recent: recent, replicas: current,
                              forecastRate: { p?.forecast(ahead: $0)?.value }, queueGrowthPerSecond: growth)
    }
}
