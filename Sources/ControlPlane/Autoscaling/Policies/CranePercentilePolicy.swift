import Foundation
import Telemetry

/// Crane's EffectiveHorizontalPodAutoscaler with its percentile predictor (gocrane.io, "Effective HPA"
/// and "percentile" prediction): the HPA scales on the larger of the observed metric and the predicted
/// one; the percentile predictor keeps a histogram of samples whose weights halve every `halfLife`
/// (24 h in Crane's examples) and predicts its `percentile`. Crane documents no minimum history; this
/// preset predicts once it has one half-life of samples.
public struct CranePercentileConfig: Sendable, Equatable {
    public var percentile: Double
    public var halfLife: Double
    public var sampleInterval: Double
    public var reactive: HPAConfig
    public init(percentile: Double = 0.95, halfLife: Double = 86_400, sampleInterval: Double = 60, reactive: HPAConfig = HPAConfig()) {
        self.percentile = percentile; self.halfLife = halfLife; self.sampleInterval = sampleInterval; self.reactive = reactive
    }
}

public struct CranePercentilePolicy: ScalingPolicy, Equatable {
    public var config: CranePercentileConfig
    var controller: HPA.Controller
    var lastEvaluation = -Double.infinity
    var lastSample = -Double.infinity
    var firstSample: Double?
    var histogram = DecayingHistogram()

    public init(_ config: CranePercentileConfig = CranePercentileConfig()) {
        self.config = config
        controller = HPA.Controller(behavior: config.reactive.behavior)
    }
    public var name: String { "crane-percentile" }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        let s = c.sample, current = c.currentReplicas
        if s.metricsAvailable, s.time - lastSample >= config.sampleInterval - 1e-9 {
            if firstSample == nil { firstSample = s.time }
            histogram.add(s.arrivalRate, weight: exp2((s.time - firstSample!) / config.halfLife))
            lastSample = s.time
        }
        guard c.now - lastEvaluation >= config.reactive.syncPeriod - 1e-9 else { return nil }
        lastEvaluation = c.now
        let (reactive, rule) = config.reactive.proposal(s, current: current)
        var inputs: [String: Double] = ["reactive_proposal": Double(reactive)]
        var predicted: Int?
        if let first = firstSample, c.now - first >= config.halfLife, let cap = c.capacityPerReplica, cap > 0,
           let load = histogram.quantile(config.percentile) {
            inputs["predicted_rate"] = load
            let plan = ForecastPlanning.replicas(for: load, capacityPerReplica: cap, utilization: config.reactive.plannedUtilization,
                                                 current: current, tolerance: config.reactive.tolerance)
            predicted = plan
            inputs["predictive_proposal"] = Double(plan)
        }
        let combined = max(reactive, predicted ?? reactive)
        let why = predicted.map { "max(reactive \(reactive), p\(Int(config.percentile * 100)) of the load history ⇒ \($0))" }
            ?? "reactive only (less than \(Int(config.halfLife / 3600)) h of history)"
        let n = controller.normalize(proposal: combined, current: current, min: c.bounds.minReplicas, max: c.bounds.maxReplicas, now: c.now)
        return ScalingProposal(c.proposal(combined, final: n.replicas, rule: (predicted ?? 0) > reactive ? "forecast" : rule,
                                          reason: why, limitedBy: n.limitedBy, inputs: inputs))
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { controller.record(from: old, to: new, now: time) }

    public static func == (a: CranePercentilePolicy, b: CranePercentilePolicy) -> Bool { a.config == b.config }
}

/// Weighted samples in logarithmic buckets 2 % wide (from 0.001 up): a weighted quantile within 2 %.
/// Decay is applied by weighting newer samples more (2^(age/half-life) from the first sample), which
/// stays finite for a thousand half-lives.
struct DecayingHistogram: Sendable, Equatable {
    static let base = 1.02, floor = 0.001
    var weights: [Double] = []
    var total = 0.0

    mutating func add(_ value: Double, weight: Double) {
        let i = value <= Self.floor ? 0 : Int((log(value / Self.floor) / log(Self.base)).rounded(.down)) + 1
        if i >= weights.count { weights += [Double](repeating: 0, count: i - weights.count + 1) }
        weights[i] += weight
        total += weight
    }

    /// The upper edge of the bucket where the cumulative weight reaches `q` of the total.
    func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        var acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if acc >= q * total { return i == 0 ? Self.floor : Self.floor * pow(Self.base, Double(i)) }
        }
        return Self.floor * pow(Self.base, Double(weights.count))
    }
}
