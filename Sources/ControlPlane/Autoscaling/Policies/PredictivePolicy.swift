import Foundation
import Statistics
import Telemetry

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

/// Scale for the forecast load at now + lead time (and never below the current rate plus a material
/// ramp), never below what a reactive HPA asks. In forecast-only mode the HPA acts and the policy
/// records what it would have done as a dry-run shadow decision.
public struct PredictivePolicy: ScalingPolicy, Equatable {
    public var config: PredictiveConfig
    var controller: HPA.Controller
    /// Stabilises the forecast-only shadow (see `ForecastPlanning.forecastOnly`).
    var shadowController: HPA.Controller
    var lastEvaluation = -Double.infinity

    public init(_ config: PredictiveConfig = PredictiveConfig()) {
        self.config = config; controller = HPA.Controller(behavior: config.reactive.behavior)
        shadowController = HPA.Controller(behavior: config.reactive.behavior)
    }
    public var name: String { config.mode == .forecastOnly ? "predictive-dry" : "predictive" }
    public var forecastHorizons: [Double] { config.leadTime.map { [$0] } ?? [] }

    /// Without a lead time, provision for now + start-up + a minute, rounded up to whole scrapes.
    public func configured(for service: PolicyEnvironment) -> PredictivePolicy {
        guard config.leadTime == nil else { return self }
        var p = self
        p.config.leadTime = ((service.startupMean + 60) / service.scrapeInterval).rounded(.up) * service.scrapeInterval
        return p
    }

    public mutating func propose(_ c: PolicyContext) -> ScalingProposal? {
        guard c.now - lastEvaluation >= config.reactive.syncPeriod - 1e-9 else { return nil }
        lastEvaluation = c.now
        let s = c.sample, current = c.currentReplicas
        let (reactive, rule) = config.reactive.proposal(s, current: current)
        let lead = config.leadTime ?? 120
        var predictive: Int?
        var confidence = 0.0
        var inputs: [String: Double] = ["reactive_proposal": Double(reactive), "lead_time_s": lead]
        if let f = c.forecast(ahead: lead), let cap = c.capacityPerReplica, cap > 0 {
            confidence = f.confidence
            inputs["forecast_rate"] = f.value
            inputs["capacity_per_replica"] = cap
            if f.confidence >= config.minimumConfidence {
                // Plan for the forecast, or for where the last minutes' ramp leads when that is higher:
                // model forecasts lag a sudden surge that history never showed them. Only a surge
                // counts: ≥ 50 % more within the lead time (a replayed 5-minute trace moves 20–40 %
                // between rows and then turns), at a slope noise cannot explain (three standard
                // errors). The demand already arriving is the reactive side's to cover.
                // And only one that matters: where the ramp leads must lie above the forecast's own
                // interval (else it is noise the model allows for) and beyond what the replicas already
                // running serve at full CPU (else adding one is the dearer of two actions that both meet
                // the SLO, and the HPA takes it back five minutes later).
                let (slope, significant) = Self.arrivalRamp(c.recent)
                inputs["arrival_slope"] = slope
                inputs["forecast_upper"] = f.upper
                let ahead = s.arrivalRate + slope * lead
                let surge = significant && slope * lead >= 0.5 * s.arrivalRate && ahead > f.upper
                    && ahead > Self.surgeUtilization * Double(current) * cap
                let planned = max(f.value, surge ? ahead : 0)
                inputs["planned_rate"] = planned
                let plan = ForecastPlanning.replicas(for: planned, capacityPerReplica: cap, utilization: config.targetUtilization,
                                                     current: current, tolerance: config.reactive.tolerance)
                predictive = plan
                inputs["predictive_proposal"] = Double(plan)
            }
        }
        let combined = max(reactive, predictive ?? reactive)
        let why = predictive.map { "max(reactive \(reactive), plan for \(String(format: "%.1f", inputs["planned_rate"]!))/s = max(forecast in \(Int(lead))s, now + surge) ⇒ \($0))" }
            ?? "reactive only (forecast confidence \(String(format: "%.2f", confidence)) < \(config.minimumConfidence) or no capacity estimate yet)"
        let bounds = c.bounds
        if config.mode == .forecastOnly {
            return ForecastPlanning.forecastOnly(c, reactive: reactive, rule: rule, combined: combined, maximum: bounds.maxReplicas, why: why,
                                                 confidence: confidence, inputs: inputs, policy: "predictive",
                                                 controller: &controller, shadowController: &shadowController)
        }
        let n = controller.normalize(proposal: combined, current: current, min: bounds.minReplicas, max: bounds.maxReplicas, now: c.now)
        return ScalingProposal(c.proposal(combined, final: n.replicas, rule: predictive.map { $0 > reactive ? "forecast" : rule } ?? rule,
                                          reason: why, limitedBy: n.limitedBy, confidence: predictive == nil ? 1 : confidence, inputs: inputs))
    }

    public mutating func applied(from old: Int, to new: Int, at time: Double) { controller.record(from: old, to: new, now: time) }

    /// The utilization of the running replicas a surge must threaten before it adds capacity.
    static let surgeUtilization = 1.0

    /// Least-squares slope of the arrival rate over the last six scrapes (requests/s per second), and
    /// whether it is at least three standard errors from zero.
    static func arrivalRamp(_ recent: [ServiceSample]) -> (slope: Double, significant: Bool) {
        let last = recent.suffix(6)
        guard last.count >= 4 else { return (0, false) }
        let x = last.map(\.time), y = last.map(\.arrivalRate)
        let fit = LeastSquares.fit(x, y)
        guard fit.sxx > 0 else { return (0, false) }
        var sse = 0.0
        for (xi, yi) in zip(x, y) { let e = yi - fit.value(at: xi); sse += e * e }
        let standardError = (sse / Double(last.count - 2)).squareRoot() / fit.sxx.squareRoot()
        return (fit.slope, fit.slope > 3 * standardError)
    }

    public static func == (a: PredictivePolicy, b: PredictivePolicy) -> Bool { a.config == b.config }
}

extension ScalingPolicy where Self == PredictivePolicy {
    /// Forecast-driven scaling combined with a reactive HPA (the larger proposal wins).
    public static func predictive(_ config: PredictiveConfig = PredictiveConfig()) -> PredictivePolicy { PredictivePolicy(config) }
}
