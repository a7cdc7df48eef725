import Foundation
import Telemetry

/// What the forecast-driven policies share: sizing for a planned load, and the forecast-only answer.
enum ForecastPlanning {
    /// Replicas to carry `load` at `utilization` of `capacityPerReplica` each; within `tolerance` of
    /// the current replicas' ratio it keeps them (as the HPA does), so a plan wobbling around the
    /// boundary between n and n + 1 replicas does not flap.
    static func replicas(for load: Double, capacityPerReplica cap: Double, utilization: Double, current: Int, tolerance: Double) -> Int {
        let ratio = load / (cap * utilization * Double(max(1, current)))
        return abs(1 - ratio) <= tolerance ? current : Int((max(0, load) / (cap * utilization)).rounded(.up))
    }

    /// Forecast-only mode: the reactive HPA acts; what the policy would have done is a dry-run shadow,
    /// stabilised by its own controller as the real one would have been, so it is what enabling it would do.
    static func forecastOnly(_ c: PolicyContext, reactive: Int, rule: String, combined: Int, maximum: Int, why: String,
                             confidence: Double = 1, inputs: [String: Double], policy: String,
                             controller: inout HPA.Controller, shadowController: inout HPA.Controller) -> ScalingProposal {
        let bounds = c.bounds
        let n = controller.normalize(proposal: reactive, current: c.currentReplicas, min: bounds.minReplicas, max: bounds.maxReplicas, now: c.now)
        let real = c.proposal(reactive, final: n.replicas, rule: rule, reason: "HPA (forecast-only mode)", limitedBy: n.limitedBy,
                              inputs: inputs, policy: "hpa")
        let stabilised = shadowController.normalize(proposal: combined, current: c.currentReplicas, min: bounds.minReplicas, max: maximum, now: c.now)
        let shadow = stabilised.replicas != c.currentReplicas
            ? c.proposal(combined, final: stabilised.replicas, rule: "forecast", reason: "would scale: " + why, confidence: confidence,
                         inputs: inputs, policy: policy, dryRun: true)
            : nil
        return ScalingProposal(real, shadow: shadow)
    }
}
