import ScenarioKit

extension Scenarios {
    /// A metastable failure (Huang et al., OSDI 2022): a 5-minute slowdown of payments pushes checkout
    /// past capacity; its clients time out and retry, and the retries keep checkout overloaded long
    /// after payments is fast again — the queue stays a timeout deep, so the work checkout does is for
    /// clients that have already given up. The same traffic without the slowdown stays healthy.
    /// `--set checkout.retry.budget=0.1` (retries ≤ 10 % of requests) or `--set checkout.maxQueueWait=200ms`
    /// (shed arrivals behind a standing queue) lets it recover once the trigger ends.
    public static let retryStorm = Scenario("retry-storm", "A 5-minute payments slowdown; naive client retries keep checkout down after it ends") {
        RunFor(.hours(1))
        NodePool("general", count: 6, cpuMillicores: 8000, memoryMiB: 32768)
        Service("checkout") {
            Replicas(12)
            Concurrency(8)
            ServiceTime(.lognormal(median: 0.035, p99: 0.120))
            QueueCapacity(1000)
            Timeout(.seconds(1))
            Calls("payments")
            SLO(p95: .milliseconds(400), errorRate: 0.01)
        }
        Service("payments") {
            Replicas(6)
            Concurrency(16)
            ServiceTime(.lognormal(median: 0.015, p99: 0.060))
            Timeout(.seconds(1))
            SLO(p95: .milliseconds(300), errorRate: 0.01)
        }
        // Clients try three times, backing off 100 ms … 1 s with full jitter, with no budget.
        Traffic(to: "checkout", rate: 1000, retry: .attempts(3, backoff: .milliseconds(100), max: .seconds(1))) {
            Noise(sigma: 0.03)
        }
        Chaos {
            Fault.latency(.service("payments"), fixed: .milliseconds(500), at: .minutes(20), for: .minutes(5))
        }
        Gates("recovery-after-end <= 5m")
    }
}
