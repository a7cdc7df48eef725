import ControlPlane
import ScenarioKit

extension Scenarios {
    /// The capacity-planning classic: an evening surge 8× above the daily cycle that arrives in ten
    /// minutes, with replica start-up (and, beyond the pool, node start-up) slow enough that reacting
    /// late costs SLO minutes. Production's policy is the HPA; `compare` tries others.
    public static let blackFriday = Scenario("black-friday", "A daily cycle with an 8× evening surge in 10 minutes; slow start-up makes reacting late costly") {
        RunFor(.hours(24))
        NodePool("general", count: 4, cpuMillicores: 8000, memoryMiB: 32768, pricePerHour: 0.40,
                 startup: .lognormal(median: 90, p99: 180))
        ClusterAutoscaling(pool: "general", minNodes: 2, maxNodes: 20)
        Service("checkout") {
            Replicas(4, min: 2, max: 80)
            Concurrency(8)
            Resources(cpuMillicores: 500, memoryMiB: 512)
            ServiceTime(.lognormal(median: 0.040, p99: 0.200))
            Startup(.lognormal(median: 90, p99: 240))
            Calls("payments")
            SLO(p95: .milliseconds(400), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
        Service("payments") {
            Replicas(3, min: 2, max: 60)
            Concurrency(16)
            Resources(cpuMillicores: 500, memoryMiB: 512)
            ServiceTime(.lognormal(median: 0.060, p99: 0.250))
            Startup(.lognormal(median: 60, p99: 150))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
            Autoscale(.hpa(HPAConfig(metrics: [.cpu(60)])))
        }
        Traffic(to: "checkout", rate: 40) {
            DailyCycle(amplitude: 0.6, peakAt: .hours(20))
            Surge(at: .hours(18), multiplier: 8, rampUp: .minutes(10), hold: .hours(2), decay: .hours(1))
            Noise(sigma: 0.08)
        }
    }
}
