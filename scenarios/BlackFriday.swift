import ScenarioKit

extension Scenarios {
    /// The capacity-planning classic: an evening surge 8× above the daily cycle, with replica
    /// start-up slow enough that reacting late costs SLO minutes.
    public static let blackFriday = Scenario("black-friday", "A daily cycle with an 8× evening surge; a minute of start-up latency matters") {
        RunFor(.hours(24))
        NodePool("general", count: 12, cpuMillicores: 8000, memoryMiB: 32768, pricePerHour: 0.40)
        Service("checkout") {
            Replicas(4, min: 2, max: 60)
            Concurrency(8)
            Resources(cpuMillicores: 500, memoryMiB: 512)
            ServiceTime(.lognormal(median: 0.040, p99: 0.200))
            Startup(.lognormal(median: 60, p99: 150))
            Calls("payments")
            SLO(p95: .milliseconds(400), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
        }
        Service("payments") {
            Replicas(3, min: 2, max: 40)
            Concurrency(16)
            Resources(cpuMillicores: 500, memoryMiB: 512)
            ServiceTime(.lognormal(median: 0.060, p99: 0.250))
            Startup(.lognormal(median: 45, p99: 120))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
            Price(perReplicaHour: 0.05)
        }
        Traffic(to: "checkout", rate: 40) {
            DailyCycle(amplitude: 0.6, peakAt: .hours(20))
            Surge(at: .hours(18), multiplier: 8, rampUp: .minutes(30), hold: .hours(2), decay: .hours(1))
            Noise(sigma: 0.08)
        }
    }
}
