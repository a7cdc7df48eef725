import ScenarioKit

extension Scenarios {
    /// A slow dependency: 400 ms extra on payments for 20 minutes, felt upstream in checkout.
    public static let latencyInjection = Scenario("latency-injection", "Payments slows by 400 ms for 20 minutes; checkout feels it upstream") {
        RunFor(.hours(3))
        NodePool("general", count: 6, cpuMillicores: 8000, memoryMiB: 32768)
        Service("checkout") {
            Replicas(8, min: 2, max: 40)
            Concurrency(16)
            ServiceTime(.lognormal(median: 0.030, p99: 0.150))
            Calls("payments")
            SLO(p95: .milliseconds(400), errorRate: 0.01)
        }
        Service("payments") {
            Replicas(6, min: 2, max: 40)
            Concurrency(16)
            ServiceTime(.lognormal(median: 0.050, p99: 0.200))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
        }
        Traffic(to: "checkout", rate: 150) {
            Noise(sigma: 0.05)
        }
        Chaos {
            Fault.latency(.service("payments"), fixed: .milliseconds(400), jitter: .milliseconds(100),
                          at: .hours(1), for: .minutes(20))
        }
    }
}
