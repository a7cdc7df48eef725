import Foundation
import SimulationKernel
import Telemetry

/// The fluid fidelity's flows: every service a `FluidService`, advanced in steps of at most one
/// second between the events that still happen one by one (replica start-ups and deaths, node
/// changes, faults, scrapes), so capacity changes at their exact instants.
struct FluidWorld {
    var services: [FluidService]
    /// Callers before the services they call: a step's calls reach their callee in the same step.
    let order: [Int]
    /// Per traffic stream: requests per arrival (mean and second moment), and the stream that
    /// draws how many arrive in a step.
    let batchMeans: [Double]
    let batchSecondMoments: [Double]
    var arrivalRngs: [RandomStream]
    /// Integrated up to here (ns).
    var integrated: Int64 = 0
    /// Per service, the leftover fractions of counts not yet reported (counts are whole numbers).
    var carries: [FluidCarry]
    static let step: Int64 = 1_000_000_000

    /// Quantiles standing for an interval's latencies in the run's histogram, each for its share
    /// of the requests, each at its band's upper edge (so the run's p50, p95 and p99 read the
    /// intervals' own): 9 bands of 10 % to p90, 2 of 2.5 % to p95, 4 of 1 % to p99, then p99.5,
    /// p99.9 and p99.95 for the last 1 %.
    static let histogramPoints: [(p: Double, share: Double)] = {
        var points: [(p: Double, share: Double)] = []
        for k in 1...9 { points.append((0.1 * Double(k), 0.1)) }
        points += [(0.925, 0.025), (0.95, 0.025)]
        for k in 1...4 { points.append((0.95 + 0.01 * Double(k), 0.01)) }
        points += [(0.995, 0.005), (0.999, 0.004), (0.9995, 0.001)]
        return points
    }()

    init(spec: ClusterSpec, seed: UInt64, serviceIndex: [String: Int]) {
        var services = spec.services.map { s in
            FluidService(spec: s, callees: s.calls.compactMap { serviceIndex[$0].map(Int32.init) })
        }
        batchMeans = spec.traffic.map { max(0, $0.batchSize.mean) }
        batchSecondMoments = spec.traffic.map { max(0, $0.batchSize.secondMoment) }
        arrivalRngs = spec.traffic.enumerated().map { RandomStream(seed: seed, name: "fluid-arrivals/\($1.service)/\($0)") }
        carries = Array(repeating: FluidCarry(), count: spec.services.count)
        // Depth-first post-order over the call graph, reversed: every caller before its callees.
        var visited = Array(repeating: false, count: services.count), post: [Int] = []
        let callees = services.map(\.callees)
        func visit(_ s: Int) {
            if visited[s] { return }
            visited[s] = true
            for c in callees[s] { visit(Int(c)) }
            post.append(s)
        }
        for s in services.indices { visit(s) }
        // Before the first step, a call's latency is its callees' work (nothing queues yet).
        for s in post {
            services[s].response = services[s].callees.reduce(services[s].work) { $0 + services[Int($1)].response }
        }
        self.services = services
        order = post.reversed()
    }
}

extension FluidWorld {
    /// Requests of stream `t` in a step where `expected` arrivals are due: a Poisson count (so the
    /// control plane sees the noise it would see at request level), by inversion while small and
    /// as a normal with the compound variance λ·E[B²] beyond.
    mutating func arrivals(_ t: Int, expected λ: Double) -> Double {
        guard λ > 0 else { return 0 }
        if λ < 30 {
            let floor = exp(-λ)
            var k = 0.0, product = arrivalRngs[t].uniformPositive()
            while product > floor { k += 1; product *= arrivalRngs[t].uniformPositive() }
            return k * batchMeans[t]
        }
        let u = arrivalRngs[t].uniformPositive(), v = arrivalRngs[t].uniform()
        let z = (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        return max(0, λ * batchMeans[t] + z * (λ * batchSecondMoments[t]).squareRoot())
    }
}

/// Counts not yet reported: the flows are fractional, a scrape reports whole requests.
struct FluidCarry {
    var arrivals = 0.0, completed = 0.0, failed = 0.0, rejected = 0.0, timedOut = 0.0, goodput = 0.0, started = 0.0
    var histogram = Array(repeating: 0.0, count: FluidWorld.histogramPoints.count)

    /// The whole part of `value + carry`, keeping the rest for the next scrape.
    static func whole(_ value: Double, _ carry: inout Double) -> Int {
        let total = value + carry
        let n = max(0, (total + 1e-9).rounded(.down))
        carry = total - n
        return Int(n)
    }
}

extension IntervalCounters {
    /// A fluid interval's flows as the counters a scrape reads: whole requests, the fractions carried
    /// to the next scrape. Slot and replica areas are integrated by the replicas, as at request level.
    /// (Retries and shedding have no fluid form: `Fidelity` refuses scenarios that have them.)
    /// `FluidSteadyStateTests` checks that every counter is filled from the tally.
    init(fluid t: FluidTally, carry: inout FluidCarry, slotArea: Double, replicaArea: Double) {
        self.init()
        arrivals = FluidCarry.whole(t.arrivals, &carry.arrivals)
        completed = FluidCarry.whole(t.completed, &carry.completed)
        failed = FluidCarry.whole(t.failed, &carry.failed)
        rejected = FluidCarry.whole(t.rejected, &carry.rejected)
        timedOut = FluidCarry.whole(t.timedOut, &carry.timedOut)
        goodput = FluidCarry.whole(t.goodput, &carry.goodput)
        waitCount = FluidCarry.whole(t.started, &carry.started)
        waitSum = t.waitSum
        latencySum = t.latency.sum
        busySlotNanos = Int64(t.busyArea * 1e9)
        self.slotArea = slotArea
        self.replicaArea = replicaArea
    }
}

extension ClusterSimulation {
    var isFluid: Bool { fluid != nil }

    /// `run(until:)` for the fluid fidelity: the events in order, the flows integrated up to each.
    mutating func runFluid(until time: SimTime, stopIf shouldStop: () -> Bool) -> Bool {
        var steps: UInt32 = 0
        while let e = events.next(notAfter: time) {
            steps &+= 1
            if steps & 0xFFFF == 0, shouldStop() { return false }
            advanceFluid(to: events.now.nanoseconds)
            handle(e)
        }
        advanceFluid(to: time.nanoseconds)
        if events.now < time { events.advance(to: time) }
        return true
    }

    /// Integrates every service's flows from where they were up to `end` (ns).
    mutating func advanceFluid(to end: Int64) {
        // Checked before the world is taken out: most events find it integrated up to them.
        guard let integrated = fluid?.integrated, integrated < end else { return }
        var world = fluid!
        fluid = nil  // so `world` is the only reference to its storage while it mutates
        defer { fluid = world }
        while world.integrated < end {
            let next = min(end, world.integrated + FluidWorld.step)
            let dt = Double(next - world.integrated) * 1e-9
            let mid = (Double(world.integrated) + Double(next)) * 0.5e-9
            if mid < horizon {
                for t in arrivalProcesses.indices {
                    let expected = arrivalProcesses[t].rate(at: mid) * dt, target = Int(trafficTargets[t])
                    world.services[target].offeredExternal += world.arrivals(t, expected: expected)
                    world.services[target].intensity += expected * world.batchMeans[t]
                }
            }
            for s in world.order {
                var downstream = LatencyMoments.zero, success = 1.0
                for c in world.services[s].callees {
                    downstream = downstream + world.services[Int(c)].response
                    success *= 1 - world.services[Int(c)].failureProbability
                }
                let conditions = FluidService.Conditions(
                    dt: dt, replicas: services[s].ready.count, slots: min(services[s].readySlots, services[s].connectionPool),
                    slowdown: services[s].slowdown, errorFraction: services[s].errorFraction,
                    downstream: downstream, downstreamFailure: 1 - success)
                // Calls go out in order; a failed one ends the request, so the next sees fewer.
                var (calls, intensity) = world.services[s].advance(conditions)
                for c in world.services[s].callees where calls > 0 || intensity > 0 {
                    world.services[Int(c)].offeredByCallers += calls
                    world.services[Int(c)].intensity += intensity
                    calls *= 1 - world.services[Int(c)].failureProbability
                    intensity *= 1 - world.services[Int(c)].failureProbability
                }
            }
            world.integrated = next
        }
    }

    /// A routable replica of fluid service `si` is about to end: its share of the flow is lost.
    mutating func fluidReplicaEnds(_ si: Int) {
        let routable = services[si].ready.count
        guard routable > 0 else { return }
        fluid!.services[si].lose(share: 1 / Double(routable))
    }

    /// Fluid service `si`'s sample: its interval's flows written into the counters a scrape reads
    /// (whole requests, the fractions carried to the next scrape), then its latency percentiles,
    /// queue and requests in service; its interval's latencies into the run's histogram. Then a
    /// fresh interval.
    mutating func fluidSample(_ si: Int, time: Double, interval: Double) -> ServiceSample {
        var world = fluid!
        fluid = nil
        defer { fluid = world }
        let t = world.services[si].tally
        services[si].interval = IntervalCounters(fluid: t, carry: &world.carries[si],
                                                 slotArea: services[si].interval.slotArea,
                                                 replicaArea: services[si].interval.replicaArea)

        var o = sample(services[si], time: time, interval: interval)
        let f = world.services[si]
        o.queueDepth = Int((f.backlog + f.queued).rounded())
        o.inFlight = Int(f.inService.rounded())
        let held = services[si].readyCount + services[si].startingCount + services[si].drainingCount
        o.memoryMiB = Double(held * services[si].spec.memoryMiB) * 0.5 + f.inService * services[si].spec.memoryPerRequestMiB
        o.memoryUtilization = held > 0 ? o.memoryMiB / Double(held * services[si].spec.memoryMiB) : 0
        if let latency = f.tally.latency.moments, o.completed > 0 {
            // Successes only: the quantiles of those that took at most the timeout.
            let kept = f.timeout.map { max(1e-9, 1 - latency.exceedance($0)) } ?? 1
            func quantile(_ p: Double) -> Double { min(f.timeout ?? .infinity, latency.quantile(p * kept)) }
            o.p50 = quantile(0.50)
            o.p95 = quantile(0.95)
            o.p99 = quantile(0.99)
            // The run's histogram gets the interval's successes spread over their quantiles.
            for (k, point) in FluidWorld.histogramPoints.enumerated() {
                let n = FluidCarry.whole(Double(o.completed) * point.share, &world.carries[si].histogram[k])
                guard n > 0 else { continue }
                let micros = min(quantile(point.p) * 1e6, Double(IntervalLatencies.highest))
                services[si].runLatencies.record(UInt64(max(1, micros)), count: UInt64(n))
            }
        }
        world.services[si].tally = FluidTally()
        return o
    }
}
