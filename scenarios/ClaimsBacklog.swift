import ControlPlane
import ScenarioKit

extension Scenarios {
    /// A claims-processing pipeline: claims arrive in batches (uploads from partners) into one
    /// shared work queue that worker replicas pull from; the backlog is what matters.
    public static let claimsBacklog = Scenario("claims-backlog", "Batches of claims fill a shared work queue that workers drain") {
        RunFor(.hours(24))
        NodePool("workers", count: 4, cpuMillicores: 8000, memoryMiB: 32768)
        Service("claims-worker") {
            Replicas(8, min: 1, max: 32)
            Concurrency(4)
            Resources(cpuMillicores: 1000, memoryMiB: 2048)
            ServiceTime(.lognormal(median: 2, p99: 10))
            Startup(.lognormal(median: 40, p99: 90))
            LoadBalancing(.sharedQueue)
            QueueCapacity(50_000)
            Timeout(nil)
            // Each claim holds a database connection while it is processed; the pool is resized on use.
            ConnectionPool(size: 16, range: 8...48, scaleUpAt: 0.85, scaleDownBelow: 0.3, step: 4)
            SLO(p95: .minutes(10), errorRate: 0.001)
            Autoscale(.queue(QueueConfig(targetPerReplica: 40)))
        }
        Traffic(to: "claims-worker", rate: 0.2, batchSize: .uniform(low: 10, high: 90)) {
            DailyCycle(amplitude: 0.7, peakAt: .hours(11))
        }
    }
}
