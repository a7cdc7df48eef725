import Foundation
import Testing
import ClusterModel
import SimulationKernel
import Telemetry

/// A small cluster with every mechanism in play: calls, timeouts, bounded queues.
func messySpec() -> ClusterSpec {
    ClusterSpec(
        pools: [NodePoolSpec(name: "p", count: 4, cpuMillicores: 4000, memoryMiB: 8192, zones: ["a", "b"],
                             startup: .constant(60))],
        services: [
            ServiceSpec(name: "front", replicas: 4, concurrency: 4, cpuMillicores: 500, serviceTime: .exponential(mean: 0.02),
                        startup: .constant(10), queueCapacity: 20, timeout: .seconds(2), calls: ["mid", "back"]),
            ServiceSpec(name: "mid", replicas: 3, concurrency: 4, cpuMillicores: 500, serviceTime: .lognormal(median: 0.03, p99: 0.3),
                        startup: .constant(10), queueCapacity: 10, timeout: .seconds(1)),
            ServiceSpec(name: "back", replicas: 2, concurrency: 8, cpuMillicores: 500, serviceTime: .exponential(mean: 0.05),
                        queueCapacity: 50, timeout: .milliseconds(500), routing: .sharedQueue),
        ],
        traffic: [TrafficSpec(service: "front", source: .constant(150),
                              shapes: [.flashCrowd(start: .minutes(5), multiplier: 3, halfLife: .minutes(2))])])
}

func expectConservation(_ sim: borrowing ClusterSimulation, _ when: String) {
    for i in 0..<sim.serviceCount {
        let t = sim.totals(i)
        #expect(t.arrivals == t.completed + t.errors + sim.inSystem(i),
                "\(sim.serviceName(i)) at \(when): arrived \(t.arrivals) ≠ completed \(t.completed) + errors \(t.errors) + in system \(sim.inSystem(i))")
    }
    let problems = sim.invariantViolations()
    #expect(problems.isEmpty, "at \(when): \(problems.joined(separator: "; "))")
}

@Suite struct WorldBehaviourTests {
    @Test func requestsAreConservedThroughCrashesDrainsPartitionsAndScaling() {
        var sim = ClusterSimulation(spec: messySpec(), seed: 3)
        var errorsSeen = 0
        for step in 1...80 {
            sim.run(until: .seconds(Double(step) * 15))
            switch step {
            case 10: sim.crashNode(0)
            case 15: sim.setDesiredReplicas(0, 8)
            case 20: sim.drainNode(1)
            case 25: sim.setNodeReachable(2, false)
            case 30: sim.setNodeReachable(2, true); sim.provisionNode(pool: 0)
            case 35: sim.killReplica(service: 1, ordinal: 0)
            case 40: sim.setDesiredReplicas(0, 2); sim.setDesiredReplicas(2, 1)
            case 50: sim.setErrorFraction(service: 1, 0.3)
            case 55: sim.setErrorFraction(service: 1, 0); sim.setExtraLatency(service: 2, .constant(0.4))
            default: break
            }
            let scrape = sim.scrape()
            errorsSeen += scrape.services.reduce(0) { $0 + $1.errors }
            expectConservation(sim, "step \(step)")
        }
        // The mess did cause errors of every kind somewhere, so conservation was actually exercised.
        let totals = (0..<sim.serviceCount).map { sim.totals($0) }
        #expect(totals.contains { $0.failed > 0 })
        #expect(totals.contains { $0.rejected > 0 })
        #expect(totals.contains { $0.timedOut > 0 })
        #expect(errorsSeen == totals.reduce(0) { $0 + $1.errors })
    }

    @Test func sameSeedGivesAnIdenticalObservationStream() {
        func stream(_ seed: UInt64) -> [ServiceSample] {
            var sim = ClusterSimulation(spec: messySpec(), seed: seed)
            var out: [ServiceSample] = []
            for step in 1...40 {
                sim.run(until: .seconds(Double(step) * 15))
                if step == 10 { sim.crashNode(1) }
                out += sim.scrape().services
            }
            return out
        }
        let a = stream(11), b = stream(11), c = stream(12)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func aQueuedRequestTimesOutExactlyAtItsDeadline() {
        let svc = ServiceSpec(name: "s", replicas: 1, concurrency: 1, serviceTime: .constant(10), startup: .constant(1),
                              queueCapacity: 5, timeout: .seconds(3))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [svc], traffic: []), seed: 1)
        sim.inject(service: 0, count: 2)  // one starts (10 s of work), one waits
        sim.run(until: .seconds(2.999))
        #expect(sim.totals(0).timedOut == 0)
        sim.run(until: .seconds(3))
        #expect(sim.totals(0).timedOut == 1)
        #expect(sim.inSystem(0) == 1)
        // The one in service finishes after its 10 s, later than the client's 3 s timeout: an error too.
        sim.run(until: .seconds(10))
        #expect(sim.totals(0).timedOut == 2)
        #expect(sim.totals(0).completed == 0)
    }

    @Test func aFullQueueRejects() {
        let svc = ServiceSpec(name: "s", replicas: 1, concurrency: 2, serviceTime: .constant(10), queueCapacity: 3, timeout: nil)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [svc], traffic: []), seed: 1)
        sim.inject(service: 0, count: 10)
        #expect(sim.totals(0).rejected == 5)  // 2 in service + 3 queued
        #expect(sim.inSystem(0) == 5)
    }

    @Test func replicasBecomeReadyOnlyAfterTheirStartupLatency() {
        let svc = ServiceSpec(name: "s", replicas: 1, startup: .constant(30))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 2)], services: [svc], traffic: []), seed: 1)
        sim.run(until: .seconds(10))
        sim.setDesiredReplicas(0, 3)
        sim.run(until: .seconds(39.9))
        var s = sim.scrape().services[0]
        #expect(s.readyReplicas == 1 && s.startingReplicas == 2)
        sim.run(until: .seconds(40))
        s = sim.scrape().services[0]
        #expect(s.readyReplicas == 3 && s.startingReplicas == 0 && s.desiredReplicas == 3)
    }

    @Test func replicasWithNoRoomWaitPendingUntilANodeJoins() {
        // Nodes hold 2 replicas each; 2 nodes; 6 desired ⇒ 2 pending until a third node is up (60 s).
        let svc = ServiceSpec(name: "s", replicas: 4, cpuMillicores: 2000, startup: .constant(5))
        let pool = NodePoolSpec(name: "p", count: 2, cpuMillicores: 4000, memoryMiB: 8192, startup: .constant(60))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [pool], services: [svc], traffic: []), seed: 1)
        sim.setDesiredReplicas(0, 6)
        #expect(sim.scrape().services[0].pendingReplicas == 2)
        sim.provisionNode(pool: 0)
        sim.run(until: .seconds(59))
        #expect(sim.scrape().services[0].pendingReplicas == 2)
        sim.run(until: .seconds(60))
        var s = sim.scrape().services[0]
        #expect(s.pendingReplicas == 0 && s.startingReplicas == 2)
        sim.run(until: .seconds(65))
        s = sim.scrape().services[0]
        #expect(s.readyReplicas == 6)
    }

    @Test func aCrashFailsInFlightRequestsAndTheDeploymentRecreatesReplicas() {
        let svc = ServiceSpec(name: "s", replicas: 2, concurrency: 1, cpuMillicores: 1000, serviceTime: .constant(100),
                              startup: .constant(5), timeout: nil)
        let pool = NodePoolSpec(name: "p", count: 2, cpuMillicores: 2000, memoryMiB: 8192)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [pool], services: [svc], traffic: []), seed: 1)
        sim.inject(service: 0, count: 2)  // one on each replica (least-outstanding)
        sim.crashNode(0)
        #expect(sim.totals(0).failed == 1)
        var s = sim.scrape().services[0]
        #expect(s.readyReplicas == 1 && s.startingReplicas == 1)  // recreated on the surviving node
        sim.run(until: .seconds(5))
        s = sim.scrape().services[0]
        #expect(s.readyReplicas == 2)
        expectConservation(sim, "after crash")
    }

    @Test func aDownstreamFailurePropagatesToTheCaller() {
        let front = ServiceSpec(name: "front", replicas: 1, concurrency: 4, serviceTime: .constant(0.01), calls: ["back"])
        let back = ServiceSpec(name: "back", replicas: 1, concurrency: 4, serviceTime: .constant(0.01))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [front, back], traffic: []), seed: 1)
        sim.setErrorFraction(service: 1, 1.0)
        sim.inject(service: 0, count: 3)
        sim.run(until: .seconds(1))
        #expect(sim.totals(1).failed == 3)
        #expect(sim.totals(0).failed == 3)
        sim.setErrorFraction(service: 1, 0)
        sim.inject(service: 0, count: 2)
        sim.run(until: .seconds(2))
        #expect(sim.totals(0).completed == 2 && sim.totals(1).completed == 2)
    }

    @Test func callerLatencyIncludesDownstreamLatency() {
        let front = ServiceSpec(name: "front", replicas: 2, concurrency: 8, serviceTime: .constant(0.010), calls: ["back"])
        let back = ServiceSpec(name: "back", replicas: 2, concurrency: 8, serviceTime: .constant(0.040))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [front, back],
                                                      traffic: [TrafficSpec(service: "front", source: .constant(10))]), seed: 1)
        sim.run(until: .seconds(60))
        let s = sim.scrape().services
        // Light load: no queueing, so front's latency is its own 10 ms plus back's 40 ms (±1 % histogram precision).
        #expect(abs(s[0].p50 - 0.050) < 0.001)
        #expect(abs(s[1].p50 - 0.040) < 0.001)
    }

    @Test func aPartitionedNodeGetsNoTrafficUntilItHeals() {
        let svc = ServiceSpec(name: "s", replicas: 2, cpuMillicores: 4000, serviceTime: .constant(0.01))
        let pool = NodePoolSpec(name: "p", count: 2, cpuMillicores: 4000, memoryMiB: 8192)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [pool], services: [svc],
                                                      traffic: [TrafficSpec(service: "s", source: .constant(100))]), seed: 1)
        sim.run(until: .seconds(10)); _ = sim.scrape()
        sim.setNodeReachable(0, false)
        sim.run(until: .seconds(20))
        let during = sim.scrape()
        #expect(during.services[0].readyReplicas == 2)  // alive, just unreachable
        #expect(during.services[0].completed > 0 && during.services[0].errors == 0)  // the other replica serves
        #expect(during.nodes[0].reachable == false)
        sim.setNodeReachable(0, true)
        sim.run(until: .seconds(30))
        #expect(sim.scrape().services[0].errors == 0)
    }

    @Test func aGracefulDrainLosesNoRequests() {
        let svc = ServiceSpec(name: "s", replicas: 4, cpuMillicores: 1000, serviceTime: .exponential(mean: 0.05), startup: .constant(5))
        let pool = NodePoolSpec(name: "p", count: 3, cpuMillicores: 4000, memoryMiB: 16384)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [pool], services: [svc],
                                                      traffic: [TrafficSpec(service: "s", source: .constant(50))]), seed: 2)
        sim.run(until: .seconds(30))
        sim.drainNode(0)
        sim.run(until: .seconds(120))
        #expect(sim.totals(0).errors == 0)
        let s = sim.scrape()
        #expect(s.services[0].readyReplicas == 4)
        #expect(s.nodes[0].replicas == 0 && s.nodes[0].state.rawValue == "removed")
    }

    @Test func leastOutstandingSpreadsLoadEvenly() {
        let svc = ServiceSpec(name: "s", replicas: 5, concurrency: 2, serviceTime: .exponential(mean: 0.1), queueCapacity: nil, timeout: nil)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [svc],
                                                      traffic: [TrafficSpec(service: "s", source: .constant(70))]), seed: 4)
        sim.run(until: .seconds(3000))
        let s = sim.scrape().services[0]
        // 70/s × 0.1 s = 7 busy slots of 10: utilization 0.7 over all slots.
        #expect(abs(s.cpuUtilization - 0.7) < 0.03)
        #expect(s.errors == 0)
    }

    @Test func thinningReproducesTheRateFunction() {
        // A daily cycle compressed to one hour: expected arrivals per 6-minute window = ∫λ.
        let shape = LoadShape.cycle(period: .hours(1), amplitude: 0.8, peakAt: .minutes(15))
        let traffic = TrafficSpec(service: "s", source: .constant(50), shapes: [shape])
        let svc = ServiceSpec(name: "s", replicas: 50, concurrency: 50, serviceTime: .constant(0.001))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 4)], services: [svc], traffic: [traffic]), seed: 9)
        var last = 0
        for w in 1...10 {
            sim.run(until: .seconds(Double(w) * 360))
            let n = sim.totals(0).arrivals - last
            last = sim.totals(0).arrivals
            // ∫ 50·(1 + 0.8 cos(2π(t − 900)/3600)) dt over the window.
            let a = Double(w - 1) * 360, b = Double(w) * 360, k = 2 * Double.pi / 3600
            let expected = 50 * ((b - a) + 0.8 / k * (sin(k * (b - 900)) - sin(k * (a - 900))))
            // Poisson: sd = √expected; allow 4 sd.
            #expect(abs(Double(n) - expected) < 4 * expected.squareRoot(), "window \(w): \(n) arrivals vs \(expected)")
        }
    }

    @Test(arguments: [
        LoadShape.cycle(period: .hours(1), amplitude: 0.8, peakAt: .minutes(15)),
        .ramp(start: .minutes(5), end: .minutes(25), from: 2, to: 0.5),
        .surge(start: .minutes(10), rampUp: .minutes(3), hold: .minutes(4), decay: .minutes(6), multiplier: 8),
        .surge(start: .minutes(10), rampUp: .minutes(3), hold: .minutes(4), decay: .minutes(6), multiplier: 0.25),
        .flashCrowd(start: .minutes(12), multiplier: 5, halfLife: .minutes(2)),
        .flashCrowd(start: .minutes(12), multiplier: 0.2, halfLife: .minutes(2)),
        .noise(sigma: 0.3, every: .seconds(60)),  // windows up to 5 min: few enough buckets for an exact bound
    ])
    func everyShapeBoundsItselfOverAnyWindow(_ shape: LoadShape) {
        // Thinning is exact only if the bounds hold everywhere in the window: check densely, and
        // check they are tight (attained within 1 %), or thinning would waste candidates.
        var rng = RandomStream(seed: 5, name: "windows")
        for _ in 0..<300 {
            let t0 = rng.uniform() * 2400, t1 = t0 + 1 + rng.uniform() * 300
            let (lower, upper) = shape.factorRange(from: t0, to: t1, noiseSeed: 77)
            var seenMin = Double.infinity, seenMax = -Double.infinity
            for k in 0...2000 {
                let f = shape.factor(at: t0 + (t1 - t0) * Double(k) / 2000, noiseSeed: 77)
                seenMin = min(seenMin, f); seenMax = max(seenMax, f)
            }
            #expect(seenMin >= lower - 1e-12 && seenMax <= upper + 1e-12, "\(shape) on [\(t0), \(t1)]: \(seenMin)…\(seenMax) outside \(lower)…\(upper)")
            #expect(seenMin <= lower * 1.01 + 1e-9 && seenMax >= upper * 0.99 - 1e-9, "\(shape) on [\(t0), \(t1)]: bounds \(lower)…\(upper) loose vs \(seenMin)…\(seenMax)")
        }
    }

    @Test func aDipInTrafficIsReproducedNotJustAPeak() {
        // A surge with multiplier < 1 is a dip: the thinning bound must come from the ends, not the plateau.
        let dip = LoadShape.surge(start: .minutes(10), rampUp: .minutes(1), hold: .minutes(20), decay: .minutes(1), multiplier: 0.25)
        let svc = ServiceSpec(name: "s", replicas: 20, concurrency: 20, serviceTime: .constant(0.001))
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 4)], services: [svc],
                                                      traffic: [TrafficSpec(service: "s", source: .constant(200), shapes: [dip])]), seed: 2)
        sim.run(until: .seconds(600))
        let before = sim.totals(0).arrivals
        sim.run(until: .seconds(720))
        let during0 = sim.totals(0).arrivals
        sim.run(until: .seconds(1800))
        let during = sim.totals(0).arrivals - during0
        // 600 s at 200/s and 1,080 s at 50/s; allow 4 sd.
        #expect(abs(Double(before) - 120_000) < 4 * 120_000.0.squareRoot())
        #expect(abs(Double(during) - 54_000) < 4 * 54_000.0.squareRoot())
    }

    @Test func batchArrivalsBringSeveralRequestsAtOnce() {
        let traffic = TrafficSpec(service: "s", source: .constant(2), batchSize: .constant(25))
        let svc = ServiceSpec(name: "s", replicas: 10, concurrency: 10, serviceTime: .constant(0.001), routing: .sharedQueue)
        var sim = ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 2)], services: [svc], traffic: [traffic]), seed: 1)
        sim.run(until: .seconds(1000))
        let n = sim.totals(0).arrivals
        #expect(n % 25 == 0)
        #expect(abs(Double(n) / 25 - 2000) < 4 * 2000.0.squareRoot())
    }
}

@Suite struct ConnectionPoolTests {
    func pooled(_ routing: Routing) -> ClusterSimulation {
        var svc = ServiceSpec(name: "s", replicas: 2, concurrency: 8, serviceTime: .constant(10), queueCapacity: nil, timeout: nil,
                              routing: routing)
        svc.connectionPool = 3
        return ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [svc], traffic: []), seed: 1)
    }

    @Test(arguments: [Routing.leastOutstanding, .sharedQueue])
    func thePoolCapsRequestsInServiceAcrossReplicas(_ routing: Routing) {
        var sim = pooled(routing)
        sim.inject(service: 0, count: 10)
        var s = sim.scrape().services[0]
        #expect(s.inFlight == 3 && s.queueDepth == 7)   // 16 slots, 3 connections
        sim.run(until: .seconds(10))                     // the first 3 finish; 3 more take their connections
        s = sim.scrape().services[0]
        #expect(s.completed == 3 && s.inFlight == 3 && s.queueDepth == 4)
        #expect(abs(s.connectionPoolUtilization - 1) < 1e-9 && s.connectionPool == 3)
        // A bigger pool lets waiting requests start at once.
        sim.setConnectionPool(service: 0, size: 10)
        s = sim.scrape().services[0]
        #expect(s.inFlight == 7 && s.queueDepth == 0)
        sim.run(until: .seconds(30))
        #expect(sim.totals(0).completed == 10)
        expectConservation(sim, "pool")
    }
}
