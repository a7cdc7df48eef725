import Foundation
import Testing
import ClusterModel
import SimulationKernel

/// The simulated queues against closed-form queueing theory. Each estimate is the mean of 10
/// independent replications (seeds 1…10) after a warm-up; the test passes when the theoretical value
/// lies inside the 99 % confidence interval and that interval is narrower than the stated tolerance
/// (so a loose, uninformative estimate cannot pass by accident).
@Suite struct QueueingTheoryTests {
    @Test func mm1MeanWaitMatchesTheory() {
        // λ = 0.8, μ = 1 ⇒ ρ = 0.8, Wq = ρ / (μ − λ) = 4 s.
        let est = replicate(station(servers: 1, arrivalRate: 0.8, service: .exponential(mean: 1)),
                            warmup: .seconds(2000), measure: .seconds(200_000), meanWait)
        #expect(est.contains(4.0), "M/M/1 Wq \(est) vs 4.0")
        #expect(est.halfWidth99 / 4.0 < 0.06, "estimate too loose: \(est)")
    }

    @Test func mmcMeanWaitMatchesErlangC() {
        // c = 5, λ = 4, μ = 1 ⇒ ρ = 0.8.
        let theory = erlangCWait(lambda: 4, mu: 1, c: 5)
        let est = replicate(station(servers: 5, arrivalRate: 4, service: .exponential(mean: 1)),
                            warmup: .seconds(1000), measure: .seconds(60_000), meanWait)
        #expect(est.contains(theory), "M/M/5 Wq \(est) vs Erlang C \(theory)")
        #expect(est.halfWidth99 / theory < 0.06, "estimate too loose: \(est)")
    }

    @Test func mmcWithSlotsOnFewerReplicasIsTheSameQueue() {
        // 5 worker slots as 1 replica × 5 slots: still M/M/5.
        let theory = erlangCWait(lambda: 4, mu: 1, c: 5)
        let est = replicate(station(servers: 1, perReplica: 5, arrivalRate: 4, service: .exponential(mean: 1)),
                            warmup: .seconds(1000), measure: .seconds(60_000), meanWait)
        #expect(est.contains(theory), "M/M/5 (1×5 slots) Wq \(est) vs Erlang C \(theory)")
    }

    @Test func md1MeanWaitMatchesPollaczekKhinchine() {
        // λ = 0.8, D = 1 ⇒ Wq = λ E[S²] / (2(1 − ρ)) = 0.8 / 0.4 = 2 s.
        let est = replicate(station(servers: 1, arrivalRate: 0.8, service: .constant(1)),
                            warmup: .seconds(2000), measure: .seconds(40_000), meanWait)
        #expect(est.contains(2.0), "M/D/1 Wq \(est) vs 2.0")
        #expect(est.halfWidth99 / 2.0 < 0.06, "estimate too loose: \(est)")
    }

    @Test func mg1WithLognormalServiceMatchesPollaczekKhinchine() {
        let s = Distribution.lognormal(median: 0.8, p99: 3)
        let lambda = 0.7 / s.mean
        let theory = lambda * s.secondMoment / (2 * (1 - 0.7))
        let est = replicate(station(servers: 1, arrivalRate: lambda, service: s),
                            warmup: .seconds(2000), measure: .seconds(50_000), meanWait)
        #expect(est.contains(theory), "M/G/1 Wq \(est) vs P-K \(theory)")
        #expect(est.halfWidth99 / theory < 0.08, "estimate too loose: \(est)")
    }

    @Test func mm1kBlockingProbabilityMatchesTheory() {
        // M/M/1/K with K = 5 (1 in service + 4 waiting), ρ = 0.9: P(block) = (1−ρ)ρ^K / (1 − ρ^(K+1)).
        let rho = 0.9, k = 5.0
        let theory = (1 - rho) * pow(rho, k) / (1 - pow(rho, k + 1))
        let est = replicate(station(servers: 1, arrivalRate: 0.9, service: .exponential(mean: 1), queueCapacity: 4),
                            warmup: .seconds(500), measure: .seconds(30_000)) { a, b in
            Double(b.rejected - a.rejected) / Double(b.arrivals - a.arrivals)
        }
        #expect(est.contains(theory), "M/M/1/5 blocking \(est) vs \(theory)")
        #expect(est.halfWidth99 / theory < 0.05)
    }

    @Test func littlesLawHoldsForALoadBalancedService() {
        // L (time-average number in system, sampled every second) = λ W (mean sojourn time).
        let spec = station(servers: 4, perReplica: 2, arrivalRate: 6, service: .lognormal(median: 0.9, p99: 4),
                           queueCapacity: nil, routing: .leastOutstanding, scrape: .seconds(1))
        var ratios: [Double] = []
        for seed in 1...10 {
            var sim = ClusterSimulation(spec: spec, seed: UInt64(seed))
            sim.run(until: .seconds(500)); _ = sim.scrape()
            let before = sim.totals(0)
            var lSum = 0.0, n = 0
            var t = 500.0
            while t < 8000 {
                t += 1
                sim.run(until: .seconds(t))
                let s = sim.scrape().services[0]
                lSum += Double(s.inFlight + s.queueDepth)
                n += 1
            }
            let after = sim.totals(0)
            let lambda = Double(after.arrivals - before.arrivals) / 7500
            let w = (after.latencySum - before.latencySum) / Double(after.completed - before.completed)
            ratios.append((lSum / Double(n)) / (lambda * w))
        }
        let est = ReplicationEstimate(values: ratios)
        #expect(est.contains(1.0), "L / (λW) = \(est)")
        #expect(est.halfWidth99 < 0.03)
    }
}
