@testable import ControlPlane
import Telemetry
import Testing

/// An HPA whose metric is averaged over a window (metrics-server's resolution, a `rate(…[15s])`) sees a
/// spike of one scrape diluted by the scrapes before it; without a window it sees the spike alone.
@Suite struct HPAMetricWindowTests {
    static func decide(window: Double) -> Int? {
        var policy = HPAPolicy(HPAConfig(metrics: [.cpu(60)], metricWindow: window))
        var last: Int?
        // Scrapes every 5 s: 30 %, 30 %, then 120 % at t = 15 (the only sync evaluated with all three in view).
        for (t, cpu) in [(5.0, 0.3), (10, 0.3), (15, 1.2)] {
            var s = sample(time: t, ready: 2, cpu: cpu, rate: 10, desired: 2)
            s.interval = 5
            let context = PolicyContext(sample: s, currentReplicas: 2, bounds: .init(minReplicas: 1, maxReplicas: 10), recent: [s],
                                        capacityPerReplica: 10, lastChange: 0, predictor: nil, policyName: "hpa")
            policy.lastEvaluation = -.infinity   // evaluate at every scrape here; the window is what is tested
            last = policy.propose(context).map(\.decision.proposal)
        }
        return last
    }

    @Test func aWindowAveragesTheScrapesItHolds() {
        // No window: ceil(2 × 120 / 60) = 4. A 15 s window: (30 + 30 + 120) / 3 = 60 % = the target: 2 stays.
        #expect(Self.decide(window: 0) == 4)
        #expect(Self.decide(window: 15) == 2)
        // A 10 s window holds the last two: (30 + 120) / 2 = 75 %: ceil(2 × 75 / 60) = 3.
        #expect(Self.decide(window: 10) == 3)
    }
}

extension HPAMetricWindowTests {
    /// Right after a scale-up the two readings part: every slot busy throughout, but a second replica of 4 slots
    /// ready for the last 2.8 s of a 15 s window.
    @Test func aPromQLRatioReadsANewReplicaWholeFromTheStartOfTheWindow() {
        var scrapes: [ServiceSample] = []
        for (t, ready, slotSeconds) in [(5.0, 1, 20.0), (10, 1, 20), (15, 2, 20 + 4 * 2.8)] {
            var s = sample(time: t, ready: ready, cpu: 1.0, rate: 40, desired: 2)
            s.interval = 5; s.concurrencyPerReplica = 4; s.slotSeconds = slotSeconds
            scrapes.append(s)
        }
        // Busy time over the capacity the window held: every slot was busy, 100 %.
        #expect(abs(HPAConfig.averaged(scrapes, reading: .timeWeighted).cpuUtilization - 1) < 1e-12)
        // Busy time, 20 + 20 + 31.2 slot-seconds, over the window times the 8 slots now: 71.2 / 120.
        #expect(abs(HPAConfig.averaged(scrapes, reading: .currentCapacity).cpuUtilization - 71.2 / 120) < 1e-12)
        // Without the capacity each scrape held (a live sample), the time-weighted reading stands.
        let live = scrapes.map { var s = $0; s.slotSeconds = 0; return s }
        #expect(abs(HPAConfig.averaged(live, reading: .currentCapacity).cpuUtilization - 1) < 1e-12)
    }
}
