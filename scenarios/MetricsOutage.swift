import ControlPlane
import ScenarioKit

extension Scenarios {
    /// The metrics API goes down for 40 minutes while traffic ramps from 400 to 1000 requests/s.
    /// Two identical services see the same traffic and the same outage: `orders` is scaled by the HPA,
    /// which (as upstream does) keeps its replicas while it cannot read metrics and so stays sized for
    /// 400/s; `orders-keda` is scaled by KEDA with a `fallback`, which after three failed reads holds
    /// 24 replicas. (`Fault.metrics(.metricsZero, …)` instead reproduces kubernetes#104387, an outage
    /// read as zero load.)
    public static let metricsOutage = Scenario("metrics-outage", "The metrics API is down during a ramp; the HPA holds, KEDA's fallback scales") {
        RunFor(.minutes(90))
        NodePool("general", count: 8, cpuMillicores: 16000, memoryMiB: 65536)
        for name in ["orders", "orders-keda"] {
            Service(name) {
                Replicas(8, min: 2, max: 40)
                Concurrency(8)
                ServiceTime(.lognormal(median: 0.090, p99: 0.250))
                SLO(p95: .milliseconds(500), errorRate: 0.01)
                if name == "orders" {
                    Autoscale(.hpa(HPAConfig(metrics: [.init(.requestsAverageValue, target: 50)])))
                } else {
                    Autoscale(.keda(KEDAConfig(triggers: [.init(.requestRate, threshold: 50)], minReplicaCount: 2, maxReplicaCount: 40,
                                               fallback: .init(failureThreshold: 3, replicas: 24))))
                }
            }
            Traffic(to: name, rate: 400) {
                Ramp(to: 2.5, start: .minutes(30), end: .minutes(50))
                Noise(sigma: 0.03)
            }
        }
        Chaos {
            Fault.metrics(.metricsOutage, of: "orders", at: .minutes(25), for: .minutes(40), name: "outage")
            Fault.metrics(.metricsOutage, of: "orders-keda", at: .minutes(25), for: .minutes(40), name: "outage-keda")
        }
        Gates("p95:orders <= 500ms", "p95:orders-keda <= 500ms")
    }
}
