import Recorder
import Telemetry

/// What enabling a forecast-only policy would have changed, estimated from the same run: its shadow
/// decisions say how many replicas it wanted at each sync; the run says how the service fared with
/// the replicas it had.
///
/// The estimate, per scrape interval: the replicas the policy wanted become ready after the run's own
/// median start-up delay (measured from its scale-ups); cost changes by the replicas wanted minus those
/// running, from launch; a breached interval counts as avoided when the load on the replicas that would
/// have been ready falls to 80 % CPU or less, and an interval that met the SLO counts as breached when
/// fewer replicas would have carried more than 90 %. It ignores queueing carried between intervals, so
/// treat it as a screening figure, and run the policy enabled to measure it.
public struct ForecastOnlyImpact: Sendable, Equatable {
    public var service: String
    public var policy: String
    public var sloMinutes: Double, estimatedSLOMinutes: Double
    public var cost: Double, estimatedCost: Double

    /// One line for people.
    public var summary: String {
        let dc = cost > 0 ? (estimatedCost / cost - 1) * 100 : 0
        return "forecast-only \(policy) on \(service): enabled, it would have changed SLO-violation minutes "
            + String(format: "%.1f → about %.1f and cost $%.2f → about $%.2f (%+.1f %%), estimated from this run", sloMinutes, estimatedSLOMinutes, cost, estimatedCost, dc)
    }

    /// One estimate per service that has shadow decisions; empty when the run has none.
    public static func estimate(_ store: ResultsStore, run: Int64) throws -> [ForecastOnlyImpact] {
        let shadows = try store.shadowDecisions(run: run)
        guard !shadows.isEmpty else { return [] }
        let samples = try store.serviceSamples(run: run)
        var out: [ForecastOnlyImpact] = []
        for service in try store.serviceDescriptions(run: run) {
            let mine = shadows.filter { $0.service == service.name }
            guard let policy = mine.first?.policy else { continue }
            let wanted = Dictionary(mine.map { ($0.time, $0.final) }, uniquingKeysWith: { _, last in last })
            let series = samples.filter { $0.service == service.name }
            out.append(estimate(series, wanted: wanted, slo: service.slo, price: service.pricePerReplicaHour, service: service.name, policy: policy))
        }
        return out
    }

    /// The estimate over one service's scrapes; `wanted` maps a sync time to the replicas the policy wanted then.
    static func estimate(_ samples: [ServiceSample], wanted: [Double: Int], slo: SLOTarget, price: Double,
                         service: String, policy: String) -> ForecastOnlyImpact {
        let delay = medianStartupDelay(samples)
        var desired: [Double] = []   // what the policy would have asked for at each scrape
        for s in samples { desired.append(Double(wanted[s.time] ?? s.desiredReplicas)) }
        var slo0 = 0.0, slo1 = 0.0, cost0 = 0.0, cost1 = 0.0
        var j = 0
        for (i, s) in samples.enumerated() {
            let minutes = s.interval / 60
            // Replicas wanted `delay` ago are ready now (the extra ones); fewer take effect at once.
            while j + 1 < i, samples[j + 1].time <= s.time - delay { j += 1 }
            let extraReady = samples[j].time <= s.time - delay ? max(0, desired[j] - Double(samples[j].desiredReplicas)) : 0
            let fewer = min(0, desired[i] - Double(s.desiredReplicas))
            let ready = Double(s.readyReplicas), wouldBeReady = max(0, ready + extraReady + fewer)
            cost0 += s.replicaSeconds * price / 3600
            cost1 += max(0, s.replicaSeconds + (desired[i] - Double(s.desiredReplicas)) * s.interval) * price / 3600
            let breached = slo.isBreached(by: s)
            if breached { slo0 += minutes }
            let load = s.cpuUtilization * ready
            if breached {
                if !(wouldBeReady > ready && load / wouldBeReady <= 0.8) { slo1 += minutes }
            } else if wouldBeReady < ready && (wouldBeReady == 0 || load / wouldBeReady > 0.9) {
                slo1 += minutes
            }
        }
        return ForecastOnlyImpact(service: service, policy: policy, sloMinutes: slo0, estimatedSLOMinutes: slo1, cost: cost0, estimatedCost: cost1)
    }

    /// The median time from a rise in desired replicas to that many being ready, from the run's scale-ups.
    static func medianStartupDelay(_ samples: [ServiceSample]) -> Double {
        var delays: [Double] = []
        for i in samples.indices.dropFirst() where samples[i].desiredReplicas > samples[i - 1].desiredReplicas {
            let target = samples[i].desiredReplicas
            if let k = samples[i..<min(samples.count, i + 200)].firstIndex(where: { $0.readyReplicas >= target }) {
                delays.append(samples[k].time - samples[i].time)
            }
        }
        guard !delays.isEmpty else { return 0 }
        delays.sort()
        return delays[delays.count / 2]
    }
}
