import PropertyBased
import SimulationKernel
import Telemetry
import Testing
@testable import ClusterModel

/// The structures that keep per-event work independent of the model's size, checked against the
/// obvious linear scans they replace, on random operation sequences.
@Suite struct ScaleStructureTests {
    /// Operations on a set of streams: (stream, time) — each sets that stream's next arrival.
    static let arrivalOps = zip(Gen.int(in: 1...300), Gen.int(in: 0...299).array(of: 1...400), Gen.int(in: 0...50).array(of: 400))

    @Test func theTournamentTreeAlwaysHoldsTheEarliestArrival() async {
        await propertyCheck(count: 200, input: Self.arrivalOps) { input in
            let (streams, which, times) = input
            var tree = NextArrivals()
            var linear = Array(repeating: NextArrivals.Arrival(), count: streams)
            var sequence: UInt64 = 0
            // Every stream gets a first arrival, in order, as a world does at time 0.
            for s in 0..<streams {
                sequence += 1
                tree.set(s, stream: s, time: Int64(times[s % times.count]), sequence: sequence)
                linear[s] = .init(time: Int64(times[s % times.count]), sequence: sequence, stream: s)
            }
            for (k, w) in which.enumerated() {
                let s = w % streams
                sequence += 1
                // Some streams end (time .max); ties in time are common (times 0…50), so the
                // sequence must decide them.
                let time = k % 17 == 16 ? Int64.max : Int64(times[k % times.count] + k)
                tree.set(s, stream: s, time: time, sequence: time == .max ? .max : sequence)
                linear[s] = .init(time: time, sequence: time == .max ? .max : sequence, stream: s)
                let expected = linear.min { ($0.time, $0.sequence) < ($1.time, $1.sequence) }!
                let got = tree.earliest
                if expected.time == .max {
                    #expect(got.time == .max)
                } else {
                    #expect(got.time == expected.time && got.sequence == expected.sequence && got.stream == expected.stream)
                }
            }
        }
    }

    /// Operations on replicas 0…39: 0 insert, 1 remove, 2…5 load +1/−1 (more often than jumps), 6 a jump.
    static let indexOps = zip(Gen.int(in: 0...39).array(of: 1...500), Gen.int(in: 0...6).array(of: 500), Gen.int(in: 0...30).array(of: 500))

    @Test func theLeastLoadedIndexAgreesWithAScan() async {
        await propertyCheck(count: 200, input: Self.indexOps) { input in
            let (replicas, kinds, jumps) = input
            var index = LeastLoadedIndex()
            var load: [Int32?] = Array(repeating: nil, count: 40)
            for (k, r) in replicas.enumerated() {
                let replica = Int32(r)
                switch kinds[k] {
                case 0 where load[r] == nil:
                    load[r] = Int32(jumps[k]); index.insert(replica, load: Int32(jumps[k]))
                case 1:
                    load[r] = nil; index.remove(replica)
                case 2...3 where load[r] != nil:
                    load[r]! += 1; index.update(replica, load: load[r]!)
                case 4...5 where load[r] != nil && load[r]! > 0:
                    load[r]! -= 1; index.update(replica, load: load[r]!)
                case 6 where load[r] != nil:
                    load[r] = Int32(jumps[k]); index.update(replica, load: load[r]!)
                default:
                    break
                }
                #expect(index.structuralProblems().isEmpty, "\(index.structuralProblems())")
                let routable = load.compactMap { $0 }
                #expect(index.count == routable.count)
                if let least = index.leastLoaded {
                    #expect(load[Int(least)] == routable.min(), "picked load \(String(describing: load[Int(least)])), least is \(routable.min()!)")
                } else {
                    #expect(routable.isEmpty)
                }
            }
        }
    }

    @Test func tiesRotateThroughTheReplicas() {
        // Five idle replicas: each pick takes the one idle longest, so five requests that each
        // finish before the next arrives still visit every replica in turn.
        var index = LeastLoadedIndex()
        for r in 0..<5 { index.insert(Int32(r), load: 0) }
        var visited: [Int32] = []
        for _ in 0..<10 {
            let r = index.leastLoaded!
            visited.append(r)
            index.update(r, load: 1)
            index.update(r, load: 0)
        }
        #expect(visited == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    }

    @Test func eightHundredReplicasAndTwoHundredStreamsKeepEveryInvariant() {
        // Least-outstanding routing over 800 replicas at 90 % utilization, and 200 traffic streams
        // into 200 services: requests are conserved, the load index matches every replica, and
        // utilization is λ·E[S]/slots.
        let big = ServiceSpec(name: "big", replicas: 800, concurrency: 1, cpuMillicores: 10, memoryMiB: 8,
                              serviceTime: .exponential(mean: 0.09), queueCapacity: 100, timeout: nil)
        var small: [ServiceSpec] = [], traffic = [TrafficSpec(service: "big", source: .constant(8000))]
        for i in 0..<200 {
            small.append(ServiceSpec(name: "s\(i)", replicas: 2, concurrency: 2, cpuMillicores: 10, memoryMiB: 8,
                                     serviceTime: .exponential(mean: 0.01), queueCapacity: 100, timeout: nil))
            traffic.append(TrafficSpec(service: "s\(i)", source: .constant(20)))
        }
        let spec = ClusterSpec(pools: [NodePoolSpec(name: "p", count: 4, cpuMillicores: 1_000_000, memoryMiB: 1_000_000)],
                               services: [big] + small, traffic: traffic)
        var sim = ClusterSimulation(spec: spec, seed: 11)
        sim.run(until: .seconds(60))
        _ = sim.scrape()
        sim.run(until: .seconds(360))
        let scrape = sim.scrape()
        expectConservation(sim, "6 minutes")
        // 8000/s × 0.09 s = 720 busy of 800.
        #expect(abs(scrape.services[0].cpuUtilization - 0.9) < 0.02, "utilization \(scrape.services[0].cpuUtilization)")
        // Every small service saw its own 20/s (Poisson: 6000 ± 4·√6000 over 300 s).
        for s in scrape.services.dropFirst() {
            #expect(abs(Double(s.arrivals) - 6000) < 4 * 6000.0.squareRoot(), "\(s.service): \(s.arrivals) arrivals")
        }
    }
}

/// A world of independent parts runs a part at a time between stops; everything it reports must
/// be what running all its events in one order reports.
@Suite struct WorldInPartsTests {
    /// Three parts: a call chain with timeouts, bounded queues and a shared queue; a service whose
    /// clients retry; a service with admission control and readiness checks. Two traffic streams
    /// into the first part, one into each other.
    static func spec() -> ClusterSpec {
        var guarded = ServiceSpec(name: "guarded", replicas: 3, concurrency: 2, serviceTime: .exponential(mean: 0.05),
                                  startup: .constant(5), queueCapacity: 30, timeout: .seconds(1))
        guarded.admission = AdmissionControl(maxQueueWait: .milliseconds(300), lifoAfter: .milliseconds(100))
        guarded.readinessMaxQueueWait = .milliseconds(400)
        guarded.maxUnavailable = 0   // a drain's evictions wait for replacements to get ready
        // Retries with long backoffs and per-try timeouts, so that some are pending whenever the
        // world splits into parts again after a stretch in one order.
        var front = ServiceSpec(name: "front", replicas: 3, concurrency: 4, serviceTime: .exponential(mean: 0.02), startup: .constant(10),
                                queueCapacity: 20, timeout: .seconds(2), calls: ["mid", "back"])
        front.callPolicies["mid"] = CallPolicy(retry: .attempts(3, backoff: .milliseconds(300), max: .seconds(1), perTryTimeout: .milliseconds(150)))
        return ClusterSpec(
            pools: [NodePoolSpec(name: "p", count: 3, cpuMillicores: 8000, memoryMiB: 16384, zones: ["a", "b"], startup: .constant(40))],
            services: [
                front,
                ServiceSpec(name: "mid", replicas: 2, concurrency: 4, serviceTime: .lognormal(median: 0.03, p99: 0.3),
                            startup: .constant(10), queueCapacity: 10, timeout: .seconds(1)),
                ServiceSpec(name: "back", replicas: 2, concurrency: 8, serviceTime: .exponential(mean: 0.05), queueCapacity: 50,
                            timeout: .milliseconds(500), routing: .sharedQueue),
                ServiceSpec(name: "flaky", replicas: 2, concurrency: 4, serviceTime: .exponential(mean: 0.04), startup: .constant(8),
                            queueCapacity: 5, timeout: .milliseconds(300), routing: .roundRobin),
                guarded,
            ],
            traffic: [
                TrafficSpec(service: "front", source: .constant(80), shapes: [.flashCrowd(start: .minutes(3), multiplier: 3, halfLife: .minutes(1))]),
                TrafficSpec(service: "front", source: .constant(20)),
                TrafficSpec(service: "flaky", source: .constant(90), retry: .attempts(4, backoff: .milliseconds(400), max: .seconds(2))),
                TrafficSpec(service: "guarded", source: .constant(50)),
            ])
    }

    /// Runs 40 scrapes with changes between them (scaling, faults, nodes that are provisioned, one
    /// that crashes and one drained under a disruption budget, so that some stretches must run in
    /// one order and the world splits again after each); returns every scrape and every timeline event.
    static func run(inParts: Bool) -> (scrapes: [Scrape], timeline: [String], parts: Int, inOrder: Int) {
        var sim = ClusterSimulation(spec: spec(), seed: 11)
        if !inParts { sim.parts = .init() }
        var timeline: [String] = []
        let heard = { (e: TimelineEvent) in timeline.append("\(e.time) \(e.kind.rawValue) \(e.subject) \(e.detail)") }
        sim.lifecycleHook = heard
        var scrapes: [Scrape] = []
        for step in 1...40 {
            sim.run(until: .seconds(Double(step) * 15))
            switch step {
            case 2: sim.setErrorFraction(service: 3, 0.3); sim.setErrorFraction(service: 1, 0.2)
            case 4: sim.setDesiredReplicas(3, 5); sim.setDesiredReplicas(0, 5)
            case 6, 14, 24, 34: sim.provisionNode(pool: 0)
            case 8: sim.setExtraLatency(service: 1, .constant(0.2))
            case 18: sim.crashNode(1)
            case 22: sim.setExtraLatency(service: 1, nil)
            case 26: sim.setDesiredReplicas(0, 2)
            case 28: sim.drainNode(0); sim.drainNode(2)
            case 30: sim.setNodeReachable(0, false)
            case 32: sim.setNodeReachable(0, true)
            case 36: sim.setErrorFraction(service: 3, 0); sim.setErrorFraction(service: 1, 0)
            default: break
            }
            scrapes.append(sim.scrape())
        }
        return (scrapes, timeline, sim.parts.stretchesInParts, sim.parts.stretchesInOrder)
    }

    @Test func aWorldRunInPartsReportsExactlyWhatOneOrderReports() {
        let parted = Self.run(inParts: true), ordered = Self.run(inParts: false)
        // Both ways were exercised: stretches in parts, and in one order around the provisioned node.
        #expect(parted.parts > 20)
        #expect(parted.inOrder >= 4)
        #expect(ordered.parts == 0)
        #expect(parted.scrapes.count == ordered.scrapes.count)
        for (a, b) in zip(parted.scrapes, ordered.scrapes) {
            for (x, y) in zip(a.services, b.services) { #expect(x == y, "scrape at \(a.time)") }
            #expect(a.nodes == b.nodes, "nodes at \(a.time)")
        }
        // The same happenings at the same instants (ties between parts may be heard in another order).
        #expect(parted.timeline.sorted() == ordered.timeline.sorted())
        #expect(parted.timeline.map { $0.split(separator: " ")[0] } == ordered.timeline.map { $0.split(separator: " ")[0] })
        // The mess did reach every part: errors of each kind somewhere, retries, and replicas that came and went.
        let services = parted.scrapes.flatMap(\.services)
        #expect(services.contains { $0.timedOut > 0 } && services.contains { $0.rejected > 0 } && services.contains { $0.retries > 0 })
        #expect(parted.timeline.contains { $0.contains("replica-terminated") } && parted.timeline.contains { $0.contains("replica-ready") })
        #expect(parted.timeline.contains { $0.contains("eviction-blocked") }, "the drain's evictions never waited")
    }
}
