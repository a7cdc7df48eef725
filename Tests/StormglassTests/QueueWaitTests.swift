import Lab
import ScenarioKit
import SimulationKernel
import Testing
import Telemetry

/// The run's mean queue wait against queueing theory.
@Suite struct QueueWaitTests {
    /// M/M/1 at ρ = 0.5: Poisson arrivals at 5 a second, one worker slot, exponential work of mean 100 ms, no
    /// queue bound and no timeout. Theory: Wq = ρ / (μ − λ) = 0.5 / 5 = 100 ms. Six hours are 108,000 requests;
    /// the standard error of their mean wait is about 1.6 % of it (M/M/1's waiting-time autocorrelation), so
    /// 8 % is five of them.
    @Test func anMM1QueuesAsTheoryPredicts() throws {
        let spec = Scenario("mm1", "M/M/1 at half load") {
            NodePool("p", count: 1)
            Service("q") {
                Replicas(1, min: 1, max: 1)
                Concurrency(1)
                ServiceTime(.exponential(mean: 0.1))
                QueueCapacity(nil)
                Timeout(nil)
            }
            Traffic(to: "q", rate: 5)
            RunFor(.hours(6))
        }.spec
        let summary = try ScenarioRunner(spec: spec, seed: 7).run().summary
        let q = try #require(summary.services.first)
        #expect(q.started > 100_000 && q.started < 116_000, "\(q.started) requests for about 108,000")
        #expect(abs(q.meanQueueWait - 0.1) < 0.008, "mean queue wait \(q.meanQueueWait) s, theory 0.1 s")
        #expect(summary.meanQueueWait == q.meanQueueWait)
        let stored = summary.figures.first { $0.subject == .service("q") && $0.metric == .meanQueueWait }
        #expect(stored?.value == q.meanQueueWait)
    }
}
