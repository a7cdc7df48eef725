import Testing
@testable import ControlPlane
import Telemetry

/// What autoscalers do when the metrics pipeline fails: upstream HPA's missing-pod rules
/// (pkg/controller/podautoscaler/replica_calculator.go), no scaling on an unreadable API, KEDA's fallback.
@Suite struct MissingMetricsTests {
    func cpuSample(ready: Int, average: Double, missing: Int = 0, available: Bool = true, time: Double = 15) -> ServiceSample {
        var s = sample(time: time, ready: ready, cpu: average / 100, rate: 100, desired: ready)
        s.missingPods = missing; s.metricsAvailable = available
        return s
    }

    @Test func missingPodsCountAsZeroOnAScaleUpAndFullOnAScaleDown() {
        let hpa = HPAConfig(metrics: [.cpu(50)])
        // All 10 reporting: 80 % ⇒ ceil(10 × 80/50) = 16; 20 % ⇒ ceil(10 × 20/50) = 4.
        #expect(hpa.proposal(cpuSample(ready: 10, average: 80), current: 10).replicas == 16)
        #expect(hpa.proposal(cpuSample(ready: 10, average: 20), current: 10).replicas == 4)
        // 4 of 10 missing. Scale-up: (6 × 80 + 4 × 0)/10 = 48 %, ratio 0.96 — within tolerance and the
        // other direction: no change. Scale-down: (6 × 20 + 4 × 100)/10 = 52 %, ratio 1.04: no change.
        #expect(hpa.proposal(cpuSample(ready: 10, average: 80, missing: 4), current: 10).replicas == 10)
        #expect(hpa.proposal(cpuSample(ready: 10, average: 20, missing: 4), current: 10).replicas == 10)
        // 2 of 10 missing at 90 %: (8 × 90)/10 = 72 %, ratio 1.44 ⇒ ceil(1.44 × 10) = 15 (upstream's example shape).
        #expect(hpa.proposal(cpuSample(ready: 10, average: 90, missing: 2), current: 10).replicas == 15)
    }

    @Test func anUnreadableMetricsAPILeavesTheHPAsScaleAlone() {
        // Unreadable, the same zeros would have scaled 10 pods down to 1.
        var a = ServiceAutoscaler(service: "s", policy: .hpa(HPAConfig(metrics: [.cpu(50)])), bounds: .init(minReplicas: 1, maxReplicas: 100))
        let d = a.evaluate(cpuSample(ready: 10, average: 0, available: false), predictor: nil)
        #expect(d.isEmpty || d.allSatisfy { $0.final == 10 }, "\(d)")
        var b = ServiceAutoscaler(service: "s", policy: .hpa(HPAConfig(metrics: [.cpu(50)])), bounds: .init(minReplicas: 1, maxReplicas: 100))
        #expect(b.evaluate(cpuSample(ready: 10, average: 0), predictor: nil).last?.final == 1)
        // A policy that does not handle missing metrics is not asked at all.
        var t = ServiceAutoscaler(service: "s", policy: .threshold(ThresholdConfig(thresholds: [.init(.cpu, up: 75, down: 30)], scaleUpBy: 2,
                                                                                    scaleDownBy: 1, cooldown: 0, evaluationInterval: 15)),
                                  bounds: .init(minReplicas: 1, maxReplicas: 100))
        #expect(t.evaluate(cpuSample(ready: 10, average: 0, available: false), predictor: nil).isEmpty)
    }

    @Test func kedaFallsBackAfterItsFailureThreshold() {
        let config = KEDAConfig(triggers: [.init(.requestRate, threshold: 50)], minReplicaCount: 2, maxReplicaCount: 40,
                                pollingInterval: 30, fallback: .init(failureThreshold: 3, replicas: 24))
        var keda = ServiceAutoscaler(service: "s", policy: .keda(config), bounds: .init(minReplicas: 2, maxReplicas: 40))
        var finals: [Int] = []
        for k in 1...4 {
            let d = keda.evaluate(cpuSample(ready: 8, average: 0, available: false, time: Double(30 * k)), predictor: nil)
            if let last = d.last { finals.append(last.final); _ = keda.applied(last) } else { finals.append(finals.last ?? 8) }   // no decision: unchanged
        }
        #expect(finals == [8, 8, 24, 24], "two failed reads hold, the third falls back: \(finals)")
        var plain = KEDAConfig(triggers: [.init(.requestRate, threshold: 50)], minReplicaCount: 2, maxReplicaCount: 40, pollingInterval: 30)
        plain.fallback = nil
        var noFallback = ServiceAutoscaler(service: "s", policy: .keda(plain), bounds: .init(minReplicas: 2, maxReplicas: 40))
        for k in 1...5 {
            let d = noFallback.evaluate(cpuSample(ready: 8, average: 0, available: false, time: Double(30 * k)), predictor: nil)
            #expect(d.allSatisfy { $0.final == 8 })
        }
    }
}

@Suite struct PredictorUnderOutageTests {
    /// While metrics cannot be read the predictor is fed the last rate it saw, not the hidden truth.
    @Test func thePredictorHoldsTheLastRateItSaw() {
        var cp = ControlPlane(services: [.init(service: "s", policy: FixedReplicas(), bounds: .init(minReplicas: 1, maxReplicas: 10))],
                              predictor: PredictorSettings(horizons: [60]))
        var predictions: [PredictionRecord] = []
        for k in 1...40 {
            var s = sample(time: Double(15 * k), ready: 2, cpu: 0.5, rate: k <= 20 ? 100 : 900, desired: 2)
            s.metricsAvailable = k <= 20
            predictions += cp.observe(Scrape(time: s.time, interval: 15, services: [s], nodes: [])).predictions
        }
        let late = predictions.filter { $0.madeAt > 450 }
        #expect(!late.isEmpty && late.allSatisfy { abs($0.value - 100) < 5 }, "\(late.map(\.value).prefix(5))")
    }
}
