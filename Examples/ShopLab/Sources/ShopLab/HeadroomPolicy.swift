import Foundation
import Stormglass

/// The shop's own scaling policy: enough replicas to keep CPU at the target, plus a fixed number of
/// spare replicas, and scale-in only after the lower proposal has held for three evaluations.
/// Registered as `my-policy`, so `compare --policy hpa --policy my-policy` runs both on the same traffic.
public struct HeadroomPolicy: ScalingPolicy, Equatable {
    public var targetCPU = 60.0
    public var spare = 2
    public var evaluationInterval = 30.0
    private var lastEvaluation = -Double.infinity
    private var lowerProposals = 0

    public init() {}

    public var name: String { "my-policy" }

    public mutating func propose(_ context: PolicyContext) -> ScalingProposal? {
        guard context.now - lastEvaluation >= evaluationInterval else { return nil }
        lastEvaluation = context.now
        let s = context.sample, current = context.currentReplicas
        let needed = Int((Double(max(1, s.readyReplicas)) * s.cpuUtilization * 100 / targetCPU).rounded(.up)) + spare
        lowerProposals = needed < current ? lowerProposals + 1 : 0
        let final = needed < current && lowerProposals < 3 ? current : needed
        guard needed != current else { return nil }
        return ScalingProposal(context.proposal(needed, final: final, rule: "cpu ÷ \(Int(targetCPU))% + \(spare) spare",
                                                reason: "headroom policy", limitedBy: final == current ? .stabilizationWindow : nil))
    }
}
