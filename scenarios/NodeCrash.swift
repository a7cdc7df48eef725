import ScenarioKit

extension Scenarios {
    /// A node dies with no warning in a cluster with no spare room: its replicas stay pending until
    /// capacity returns, so recovery time is set by detection and replacement.
    public static let nodeCrash = Scenario("node-crash", "One node of a full cluster crashes; the self-healer replaces it after the heartbeat timeout") {
        RunFor(.hours(2))
        NodePool("general", count: 4, cpuMillicores: 4000, memoryMiB: 16384,
                 startup: .lognormal(median: 90, p99: 150))
        Service("api") {
            Replicas(16, min: 4, max: 32)
            Concurrency(4)
            Resources(cpuMillicores: 1000, memoryMiB: 1024)
            ServiceTime(.lognormal(median: 0.050, p99: 0.200))
            Startup(.lognormal(median: 30, p99: 60))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
        }
        Traffic(to: "api", rate: 850) {
            Noise(sigma: 0.05)
        }
        SelfHealing(timeout: .seconds(30), checkPeriod: .seconds(10))
        SteadyState(.p95("api", below: .milliseconds(300)), .availability("api", atLeast: 0.999))
        Chaos {
            Fault.crash(.randomNodes(count: 1), at: .minutes(30))
        }
    }
}
