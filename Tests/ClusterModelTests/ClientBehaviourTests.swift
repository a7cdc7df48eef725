import Foundation
import Testing
@testable import ClusterModel
import SimulationKernel
import Telemetry

/// Retries, budgets, backoff, circuit breakers and admission control, against closed forms.
@Suite struct ClientBehaviourTests {
    /// One service that fails each request independently with probability `p` (error injection),
    /// with ample capacity, so every try's outcome is an independent coin.
    func flakyStation(rate: Double, retry: RetryPolicy, calls: Bool = false) -> ClusterSpec {
        let front = ServiceSpec(name: "front", replicas: 4, concurrency: 64, cpuMillicores: 1, memoryMiB: 1,
                                serviceTime: .exponential(mean: 0.002), queueCapacity: nil, timeout: nil, calls: calls ? ["back"] : [])
        var spec = ClusterSpec(pools: [NodePoolSpec(name: "big", count: 1, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                               services: [front], traffic: [TrafficSpec(service: "front", source: .constant(rate), retry: calls ? .none : retry)])
        if calls {
            spec.services[0].callPolicies["back"] = CallPolicy(retry: retry)
            spec.services.append(ServiceSpec(name: "back", replicas: 4, concurrency: 64, cpuMillicores: 1, memoryMiB: 1,
                                             serviceTime: .exponential(mean: 0.002), queueCapacity: nil, timeout: nil))
        }
        return spec
    }

    /// Tries per request when each fails independently with probability p, up to n tries: a geometric
    /// law truncated at n, E[K] = (1 − pⁿ)/(1 − p), and its variance.
    func truncatedGeometric(p: Double, n: Int) -> (mean: Double, variance: Double) {
        var m = 0.0, m2 = 0.0
        for k in 1...n {
            let prob = k < n ? pow(p, Double(k - 1)) * (1 - p) : pow(p, Double(n - 1))
            m += Double(k) * prob; m2 += Double(k * k) * prob
        }
        return (m, m2 - m * m)
    }

    @Test(arguments: [(0.2, 3), (0.5, 4), (0.7, 2)])
    func meanTriesPerRequestIsTheTruncatedGeometricMean(p: Double, n: Int) {
        for viaCallEdge in [false, true] {
            let policy = RetryPolicy.attempts(n, on: .error, backoff: .milliseconds(1), max: .milliseconds(5))
            var sim = ClusterSimulation(spec: flakyStation(rate: 400, retry: policy, calls: viaCallEdge), seed: 11)
            let failing = viaCallEdge ? 1 : 0
            sim.setErrorFraction(service: failing, p)
            sim.run(until: .seconds(600))
            let t = sim.totals(failing)
            let first = Double(t.arrivals - t.retries)
            let tries = Double(t.arrivals) / first
            let law = truncatedGeometric(p: p, n: n)
            #expect(abs(law.mean - (1 - pow(p, Double(n))) / (1 - p)) < 1e-12)
            // 4 standard errors of the mean over ~240,000 requests.
            let bound = 4 * sqrt(law.variance / first)
            #expect(abs(tries - law.mean) < bound, "p=\(p) n=\(n) call edge=\(viaCallEdge): \(tries) vs \(law.mean) ± \(bound)")
            if !viaCallEdge {
                // Goodput: a request succeeds unless all n tries fail.
                let success = Double(t.goodput) / first
                #expect(abs(success - (1 - pow(p, Double(n)))) < 4 * sqrt(pow(p, Double(n)) * (1 - pow(p, Double(n))) / first) + 1e-3)
            }
        }
    }

    @Test func aRetryBudgetCapsTriesAtOnePlusTheBudgetTimesRequests() {
        for budget in [0.1, 0.25] {
            let policy = RetryPolicy.attempts(10, on: .error, backoff: .milliseconds(1), max: .milliseconds(5), budget: budget, burst: 10)
            var sim = ClusterSimulation(spec: flakyStation(rate: 400, retry: policy), seed: 5)
            sim.setErrorFraction(service: 0, 0.9)   // nearly every try fails: the budget, not the attempts, binds
            sim.run(until: .seconds(300))
            let t = sim.totals(0)
            let requests = Double(t.arrivals - t.retries)
            #expect(Double(t.arrivals) <= (1 + budget) * requests + 10, "budget \(budget): \(t.arrivals) tries for \(requests) requests")
            // And it is used: at p = 0.9 without it tries would be (1 − 0.9¹⁰)/0.1 ≈ 6.5 per request.
            #expect(Double(t.arrivals) >= (1 + budget) * requests * 0.98)
        }
    }

    @Test func backoffDelaysFollowTheirJitterLaw() {
        var rng = RandomStream(seed: 3, name: "backoff-test")
        let n = 20_000
        for retry in 1...5 {
            let policy = RetryPolicy.attempts(6, backoff: .milliseconds(100), max: .seconds(1))
            let d = min(1.0, 0.1 * pow(2, Double(retry - 1)))
            #expect(abs(policy.ceiling(retry: retry) - d) < 1e-12)
            var none = policy; none.jitter = .none
            #expect(none.delay(retry: retry, previous: 0, using: &rng) == d)
            // Full jitter: uniform on [0, d] — mean d/2, variance d²/12, all within the range.
            let full = (0..<n).map { _ in policy.delay(retry: retry, previous: 0, using: &rng) }
            let mean = full.reduce(0, +) / Double(n)
            #expect(abs(mean - d / 2) < 4 * d / sqrt(12 * Double(n)) && full.allSatisfy { (0...d).contains($0) })
            // The share below d/4 is 1/4 (a uniform's CDF), within 4 binomial standard errors.
            let quarter = Double(full.filter { $0 < d / 4 }.count) / Double(n)
            #expect(abs(quarter - 0.25) < 4 * sqrt(0.25 * 0.75 / Double(n)))
            var equal = policy; equal.jitter = .equal
            let eq = (0..<n).map { _ in equal.delay(retry: retry, previous: 0, using: &rng) }
            #expect(eq.allSatisfy { (d / 2...d).contains($0) } && abs(eq.reduce(0, +) / Double(n) - 0.75 * d) < 4 * d / 2 / sqrt(12 * Double(n)))
        }
        // Decorrelated: uniform on [base, 3 × previous], capped.
        var decorrelated = RetryPolicy.attempts(6, backoff: .milliseconds(100), max: .seconds(1)); decorrelated.jitter = .decorrelated
        let xs = (0..<n).map { _ in decorrelated.delay(retry: 3, previous: 0.2, using: &rng) }
        #expect(xs.allSatisfy { (0.1...0.6).contains($0) } && abs(xs.reduce(0, +) / Double(n) - 0.35) < 4 * 0.5 / sqrt(12 * Double(n)))
        #expect((0..<1000).allSatisfy { _ in decorrelated.delay(retry: 3, previous: 5, using: &rng) <= 1 })
    }

    @Test func aCircuitBreakerOpensHalfOpensAndCloses() {
        let s = 1_000_000_000 as Int64
        var b = CircuitBreaker(CircuitBreakerPolicy(consecutiveFailures: 3, openFor: .seconds(30), halfOpenProbes: 2))
        var states: [CircuitBreaker.State] = []
        for t in 0..<3 {
            let allowed = b.allow(now: Int64(t) * s)
            #expect(allowed)
            b.record(success: false, now: Int64(t) * s); states.append(b.state)
        }
        #expect(states == [.closed, .closed, .open] && b.trips == 1)
        let shut = (b.allow(now: 10 * s), b.allow(now: 32 * s - 1))
        #expect(shut == (false, false))
        // Half-open after 30 s: two probes, then nothing until they report; a failure re-opens.
        let probes = (b.allow(now: 32 * s), b.state, b.allow(now: 32 * s), b.allow(now: 32 * s))
        #expect(probes == (true, .halfOpen, true, false))
        b.record(success: false, now: 33 * s)
        let stillOpen = !b.allow(now: 62 * s)
        #expect(b.state == .open && b.trips == 2 && stillOpen)
        let again = (b.allow(now: 63 * s), b.allow(now: 63 * s))
        #expect(again == (true, true))
        b.record(success: true, now: 64 * s)
        #expect(b.state == .halfOpen)
        b.record(success: true, now: 64 * s)
        let closed = b.allow(now: 64 * s)
        #expect(b.state == .closed && closed)
        // A success resets the run of failures.
        b.record(success: false, now: 65 * s); b.record(success: false, now: 65 * s); b.record(success: true, now: 65 * s)
        b.record(success: false, now: 66 * s); b.record(success: false, now: 66 * s)
        #expect(b.state == .closed)

        // By error rate: at least 10 calls in the window, half of them failing.
        var r = CircuitBreaker(CircuitBreakerPolicy(consecutiveFailures: nil, errorRate: 0.5, minimumCalls: 10, window: .seconds(10)))
        for k in 0..<9 { r.record(success: k % 2 == 0, now: s) }
        #expect(r.state == .closed)   // 4 of 9 failed, and fewer than 10 calls
        r.record(success: false, now: s)
        #expect(r.state == .open)     // 5 of 10
    }

    @Test func aBreakerStopsCallsToAFailingServiceAndTheCallerFailsFast() {
        var spec = flakyStation(rate: 200, retry: .none, calls: true)
        spec.services[0].callPolicies["back"] = CallPolicy(breaker: CircuitBreakerPolicy(consecutiveFailures: 5, openFor: .seconds(10)))
        var sim = ClusterSimulation(spec: spec, seed: 2)
        var events: [TimelineEventKindProbe] = []
        sim.lifecycleHook = { e in if e.kind == .breakerOpen || e.kind == .breakerClosed { events.append(.init(kind: e.kind.rawValue, time: e.time)) } }
        sim.setErrorFraction(service: 1, 1)
        sim.run(until: .seconds(60))
        let back = sim.totals(1), front = sim.totals(0)
        // Open 10 s, then one probe that fails: about 5 + 6 probes in a minute reach the failing service.
        #expect(back.arrivals < 20, "\(back.arrivals) calls reached a service behind an open breaker")
        #expect(front.failed == front.arrivals - Int(sim.inSystem(0)), "every request failed at the caller")
        #expect(events.first?.kind == "breaker-open" && events.count >= 5)
        sim.setErrorFraction(service: 1, 0)
        sim.run(until: .seconds(90))
        #expect(events.last?.kind == "breaker-closed")
    }
    struct TimelineEventKindProbe { var kind: String; var time: Double }

    @Test func admissionShedsBehindAStandingQueueAndAboveTheRateLimit() {
        // One slot, 1 s of work each: the queue's head waits exactly as long as the time since it came.
        var spec = ClusterSpec(pools: [NodePoolSpec(name: "big", count: 1, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                               services: [ServiceSpec(name: "s", replicas: 1, concurrency: 1, cpuMillicores: 1, memoryMiB: 1,
                                                      serviceTime: .constant(1), queueCapacity: nil, timeout: nil)],
                               traffic: [TrafficSpec(service: "s", source: .constant(1e-9))])
        spec.services[0].admission = AdmissionControl(maxQueueWait: .milliseconds(2500))
        var sim = ClusterSimulation(spec: spec, seed: 1)
        sim.inject(service: 0, count: 4)            // one starts, three wait; at 2 s the last of them heads the queue
        sim.run(until: .seconds(2.4))
        sim.inject(service: 0)                       // head waited 2.4 s: admitted
        sim.run(until: .seconds(2.6))
        sim.inject(service: 0)                       // head (arrived at 0) still waits, now 2.6 s: shed
        #expect(sim.totals(0).shed == 1 && sim.totals(0).rejected == 1)

        spec.services[0].admission = AdmissionControl(rateLimit: (rate: 10, burst: 5))
        spec.services[0].concurrency = 1000
        var limited = ClusterSimulation(spec: spec, seed: 1)
        limited.inject(service: 0, count: 20)        // a burst of 5 passes, 15 are shed
        #expect(limited.totals(0).shed == 15)
        limited.run(until: .seconds(1))
        limited.inject(service: 0, count: 20)        // 1 s refills 10 tokens (capped at the burst of 5)
        #expect(limited.totals(0).shed == 30)
    }

    @Test func sameSeedSameRetries() {
        let policy = RetryPolicy.attempts(3, backoff: .milliseconds(10), max: .milliseconds(100), budget: 0.5)
        func run() -> ServiceTotals {
            var sim = ClusterSimulation(spec: flakyStation(rate: 300, retry: policy), seed: 9)
            sim.setErrorFraction(service: 0, 0.4)
            sim.run(until: .seconds(120))
            return sim.totals(0)
        }
        #expect(run() == run())
    }
}

@Suite struct PerTryTimeoutTests {
    /// front calls a slow back (2 s per request); with a 0.5 s per-try timeout and 3 tries, front gives up
    /// on each try at 0.5 s (plus a ≤ 5 ms backoff) while back finishes all three: wasted work.
    @Test func aCallerAbandonsASlowTryAndTheCalleeKeepsWorking() {
        let front = ServiceSpec(name: "front", replicas: 1, concurrency: 4, cpuMillicores: 1, memoryMiB: 1,
                                serviceTime: .constant(0.001), queueCapacity: nil, timeout: nil, calls: ["back"])
        let back = ServiceSpec(name: "back", replicas: 1, concurrency: 4, cpuMillicores: 1, memoryMiB: 1,
                               serviceTime: .constant(2), queueCapacity: nil, timeout: nil)
        for tries in [1, 3] {
            var spec = ClusterSpec(pools: [NodePoolSpec(name: "big", count: 1, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                                   services: [front, back], traffic: [TrafficSpec(service: "front", source: .constant(1e-9))])
            spec.services[0].callPolicies["back"] = CallPolicy(retry: .attempts(tries, backoff: .milliseconds(1), max: .milliseconds(5),
                                                                                perTryTimeout: .milliseconds(500)))
            var sim = ClusterSimulation(spec: spec, seed: 1)
            sim.inject(service: 0)
            sim.run(until: .seconds(0.001 + 0.5 * Double(tries) + 0.005 * Double(tries) + 0.01))
            #expect(sim.totals(0).failed == 1, "front gave up after \(tries) tries")
            #expect(sim.totals(1).arrivals == tries && sim.totals(1).completed == 0)
            sim.run(until: .seconds(10))
            #expect(sim.totals(1).completed == tries, "back finished every abandoned try")
            #expect(sim.totals(0).failed == 1 && sim.totals(0).completed == 0, "late answers reach nobody")
        }
    }
}
