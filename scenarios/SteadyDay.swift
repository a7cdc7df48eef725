import ScenarioKit

extension Scenarios {
    /// The baseline: an ordinary day, sized with headroom, nothing broken.
    public static let steadyDay = Scenario("steady-day", "An ordinary day: a daily cycle on a two-tier shop, sized with headroom") {
        RunFor(.hours(24))
        NodePool("general", count: 6, cpuMillicores: 8000, memoryMiB: 32768)
        Service("frontend") {
            Replicas(8, min: 2, max: 40)
            Concurrency(8)
            ServiceTime(.lognormal(median: 0.020, p99: 0.100))
            Startup(.lognormal(median: 20, p99: 60))
            Calls("catalog")
            SLO(p95: .milliseconds(250), errorRate: 0.01)
        }
        Service("catalog") {
            Replicas(6, min: 2, max: 40)
            Concurrency(16)
            ServiceTime(.lognormal(median: 0.015, p99: 0.080))
            SLO(p95: .milliseconds(150), errorRate: 0.01)
        }
        Traffic(to: "frontend", rate: 300) {
            DailyCycle(amplitude: 0.5, peakAt: .hours(14))
            Noise(sigma: 0.05)
        }
    }
}
