import ClusterModel
import ScenarioKit

extension Scenarios {
    /// Overload turns liveness probes into a weapon: a 10-minute CPU slowdown pushes api past capacity,
    /// its queues grow past the probe timeout, the kubelet restarts the replicas that miss their probes
    /// (losing their work), and the survivors take their load and miss theirs. `--set api.maxQueueWait=500ms`
    /// (shed arrivals behind a standing queue) keeps queue waits under the probe timeout: no restarts.
    public static let probeCascade = Scenario("probe-cascade", "A CPU slowdown overloads api; failing liveness probes restart replicas in a cascade") {
        RunFor(.hours(1))
        NodePool("general", count: 6, cpuMillicores: 8000, memoryMiB: 32768)
        Service("api") {
            Replicas(10)
            Concurrency(8)
            ServiceTime(.lognormal(median: 0.085, p99: 0.250))
            Startup(.lognormal(median: 30, p99: 60))
            QueueCapacity(500)
            Timeout(.seconds(10))
            Health(liveness: LivenessProbe(period: .seconds(10), timeout: .seconds(1), failureThreshold: 3))
            SLO(p95: .milliseconds(500), errorRate: 0.01)
        }
        Traffic(to: "api", rate: 600) {
            Noise(sigma: 0.03)
        }
        Chaos {
            Fault.cpuStress("api", factor: 1.6, at: .minutes(20), for: .minutes(10))
        }
        Gates("recovery-after-end <= 5m")
    }
}
