import Foundation
import SimulationKernel
import Testing
@testable import ClusterModel

/// The queueing approximations the fluid fidelity will report latency from, checked against
/// published Erlang C values, the closed form of M/M/c response times, and the request-level
/// simulation on a queue where only approximations exist (M/G/c with log-normal work).
@Suite struct MultiServerQueueTests {
    @Test func erlangCMatchesPublishedValues() {
        // M/M/2 at ρ = 0.5 waits with probability 1/3; the call-centre table's 10 agents at 8 erlangs, 40.9 %.
        #expect(abs(MultiServerQueue.erlangC(servers: 2, offeredLoad: 1) - 1.0 / 3) < 1e-12)
        #expect(abs(MultiServerQueue.erlangC(servers: 10, offeredLoad: 8) - 0.4092) < 1e-4)
        // Stable where the textbook sum overflows: 2,000 servers at ρ = 0.99.
        let big = MultiServerQueue.erlangC(servers: 2000, offeredLoad: 1980)
        #expect(big > 0 && big < 1)
    }

    @Test(arguments: [(c: 1, rho: 0.7), (c: 8, rho: 0.85), (c: 50, rho: 0.95)])
    func mmcMeanWaitAndResponsePercentilesAreExact(_ q: (c: Int, rho: Double)) {
        let mu = 10.0, lambda = q.rho * Double(q.c) * mu
        let model = MultiServerQueue(arrivalRate: lambda, servers: q.c, serviceTime: .exponential(mean: 1 / mu), samples: 8192)
        // Mean wait: the textbook Erlang C sum (TheoryHelpers), an independent formula.
        #expect(abs(model.meanWait / erlangCWait(lambda: lambda, mu: mu, c: q.c) - 1) < 0.02)
        // Response time of M/M/c: with probability 1 − P_W just the service, else an Exp(cμ − λ) wait plus it:
        // P(T > t) = (1 − P_W)e^{−μt} + P_W (θe^{−μt} − μe^{−θt}) / (θ − μ), θ = cμ − λ.
        let pw = model.probabilityOfWaiting, theta = Double(q.c) * mu - lambda
        func exceed(_ t: Double) -> Double {
            let waited = abs(theta - mu) < 1e-9 ? (1 + mu * t) * exp(-mu * t) : (theta * exp(-mu * t) - mu * exp(-theta * t)) / (theta - mu)
            return (1 - pw) * exp(-mu * t) + pw * waited
        }
        for p in [50.0, 95, 99] {
            var lo = 0.0, hi = 100.0
            for _ in 0..<80 { let m = (lo + hi) / 2; if exceed(m) > 1 - p / 100 { lo = m } else { hi = m } }
            let got = model.responseTime(percentile: p)
            #expect(abs(got / hi - 1) < 0.03, "c \(q.c) ρ \(q.rho) p\(Int(p)): \(got) vs exact \(hi)")
        }
    }

    @Test func mgcAgreesWithTheRequestLevelSimulation() {
        // 8 servers, log-normal work (median 20 ms, p99 100 ms, SCV ≈ 0.6), ρ = 0.85, Poisson arrivals.
        let work = Distribution.lognormal(median: 0.020, p99: 0.100)
        let lambda = 0.85 * 8 / work.mean
        let model = MultiServerQueue(arrivalRate: lambda, servers: 8, serviceTime: work)
        var sim = ClusterSimulation(spec: station(servers: 8, arrivalRate: lambda, service: work), seed: 5)
        sim.run(until: .seconds(600))
        _ = sim.scrape()
        let before = sim.totals(0)
        var t = 600.0
        while t < 7800 { t += 15; sim.run(until: .seconds(t)); _ = sim.scrape() }
        let after = sim.totals(0)
        let simulatedWait = (after.waitSum - before.waitSum) / Double(after.started - before.started)
        // Allen–Cunneen is an approximation: within 15 % of the simulated mean wait here.
        #expect(abs(model.meanWait / simulatedWait - 1) < 0.15, "wait \(model.meanWait) vs simulated \(simulatedWait)")
        // The run's p95 response time (the warm-up's 10 minutes included: a small bias).
        let buckets = sim.runLatencyBuckets(0)
        let total = buckets.reduce(0) { $0 + $1.count }
        var seen: UInt64 = 0, p95 = 0.0
        for b in buckets { seen += b.count; if Double(seen) >= 0.95 * Double(total) { p95 = Double(b.upperMicros) / 1e6; break } }
        #expect(abs(model.responseTime(percentile: 95) / p95 - 1) < 0.10, "p95 \(model.responseTime(percentile: 95)) vs simulated \(p95)")
    }
}
