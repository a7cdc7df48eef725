import Foundation
import Testing
import ClusterModel
import SimulationKernel
import Telemetry

/// The fluid fidelity's steady states against queueing theory, with the tolerances the FluidFidelity article
/// states: mean wait within 10 % of Erlang C, Little's law within 3 %, throughput within 0.5 % of
/// the offered load (1 % of capacity when overloaded), and p95 within 10 % of the request-level
/// simulation of the same station.
@Suite struct FluidSteadyStateTests {
    /// A station in the fluid fidelity, scraped every 15 s from `warmup` to `warmup + measure`.
    struct Measured {
        var before: ServiceTotals, after: ServiceTotals
        var samples: [ServiceSample]
        var seconds: Double
        var meanWait: Double { (after.waitSum - before.waitSum) / Double(after.started - before.started) }
        var meanLatency: Double { (after.latencySum - before.latencySum) / Double(after.completed - before.completed) }
        var arrivalRate: Double { Double(after.arrivals - before.arrivals) / seconds }
        var throughput: Double { Double(after.completed - before.completed) / seconds }
        /// Time-average requests in the system, from the scrapes.
        var meanInSystem: Double {
            samples.map { Double($0.inFlight + $0.queueDepth) }.reduce(0, +) / Double(samples.count)
        }
    }

    func measure(_ spec: ClusterSpec, seed: UInt64 = 1, warmup: Double = 600, measure: Double = 7200) -> Measured {
        var sim = ClusterSimulation(spec: spec, seed: seed)
        var t = 0.0
        while t < warmup { t += 15; sim.run(until: .seconds(t)); _ = sim.scrape() }
        let before = sim.totals(0)
        var samples: [ServiceSample] = []
        while t < warmup + measure { t += 15; sim.run(until: .seconds(t)); samples.append(sim.scrape().services[0]) }
        return Measured(before: before, after: sim.totals(0), samples: samples, seconds: measure)
    }

    func fluid(_ spec: ClusterSpec) -> ClusterSpec { var s = spec; s.fidelity = .fluid; return s }

    @Test(arguments: [(c: 20, rho: 0.8), (c: 50, rho: 0.9), (c: 8, rho: 0.7)])
    func mmcMeanWaitMatchesErlangC(c: Int, rho: Double) {
        let lambda = rho * Double(c)
        let theory = erlangCWait(lambda: lambda, mu: 1, c: c)
        let m = measure(fluid(station(servers: c, arrivalRate: lambda, service: .exponential(mean: 1))))
        #expect(abs(m.meanWait - theory) / theory < 0.10, "fluid M/M/\(c) Wq \(m.meanWait) vs Erlang C \(theory)")
        #expect(abs(m.arrivalRate - lambda) / lambda < 0.005, "arrivals \(m.arrivalRate)/s vs λ \(lambda)")
        #expect(abs(m.throughput - lambda) / lambda < 0.005, "throughput \(m.throughput)/s vs λ \(lambda)")
    }

    @Test func littlesLawHoldsForTheFluidState() {
        // L (requests in service or queued, at the scrapes) = λ W (mean latency of the completed).
        let s = Distribution.lognormal(median: 0.9, p99: 4)
        let lambda = 0.85 * 12 / s.mean
        let m = measure(fluid(station(servers: 12, arrivalRate: lambda, service: s)))
        let littles = m.throughput * m.meanLatency
        #expect(abs(m.meanInSystem - littles) / littles < 0.03, "L \(m.meanInSystem) vs λW \(littles)")
    }

    @Test func mgcP95AgreesWithTheRequestLevelSimulation() {
        // Lognormal work (the fluid fidelity's latency shape) on 16 slots at 85 % busy: the waits
        // come from Erlang C and Allen–Cunneen, the tail from the moments.
        let s = Distribution.lognormal(median: 0.08, p99: 0.6)
        let spec = station(servers: 16, arrivalRate: 0.85 * 16 / s.mean, service: s)
        let reference = measure(spec).samples.map(\.p95).sorted()
        let flows = measure(fluid(spec)).samples.map(\.p95).sorted()
        let (r, f) = (reference[reference.count / 2], flows[flows.count / 2])
        #expect(abs(f - r) / r < 0.10, "median per-scrape p95: fluid \(f) s vs request level \(r) s")
    }

    @Test func overloadServesAtCapacityAndTheBacklogGrowsAtTheExcess() {
        // λ = 12 on 10 servers of μ = 1, no timeout, no bound: the fluid limit serves 10/s and
        // queues the other 2/s.
        let m = measure(fluid(station(servers: 10, arrivalRate: 12, service: .exponential(mean: 1))), warmup: 60, measure: 1800)
        #expect(abs(m.throughput - 10) / 10 < 0.01, "throughput \(m.throughput)/s vs capacity 10/s")
        let first = m.samples.first!, last = m.samples.last!
        let growth = Double(last.queueDepth - first.queueDepth) / (last.time - first.time)
        #expect(abs(growth - 2) / 2 < 0.05, "backlog grows \(growth)/s vs λ − cμ = 2/s")
    }

    @Test func timeoutsBoundTheSuccessfulLatencyAndCountTheRest() {
        // Overloaded with a 5 s timeout: successes take at most 5 s; what cannot be served in
        // time times out, so completed + timed out = arrivals (nothing else fails).
        var spec = station(servers: 10, arrivalRate: 12, service: .exponential(mean: 1))
        spec.services[0].timeout = .seconds(5)
        let m = measure(fluid(spec), warmup: 120, measure: 1800)
        #expect(m.samples.allSatisfy { $0.p99 <= 5 + 1e-9 }, "a success slower than the timeout")
        let arrivals = Double(m.after.arrivals - m.before.arrivals)
        let accounted = Double(m.after.completed - m.before.completed + m.after.timedOut - m.before.timedOut)
        #expect(abs(accounted - arrivals) / arrivals < 0.01, "completed + timed out \(accounted) vs arrivals \(arrivals)")
        #expect(m.after.timedOut > m.before.timedOut)
    }

    @Test func sameSeedSameFlowsOtherSeedOtherNoise() {
        let spec = fluid(station(servers: 8, arrivalRate: 6, service: .exponential(mean: 1)))
        let a = measure(spec, seed: 7, warmup: 60, measure: 900).samples
        let b = measure(spec, seed: 7, warmup: 60, measure: 900).samples
        let c = measure(spec, seed: 8, warmup: 60, measure: 900).samples
        #expect(a == b)
        #expect(a.map(\.arrivals) != c.map(\.arrivals))
    }
}
