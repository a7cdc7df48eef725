import Foundation
import Testing
@testable import ClusterModel
import SimulationKernel
import Telemetry

/// Liveness and readiness checks, OOM kills at the memory limit, spot interruptions.
@Suite struct ReplicaHealthTests {
    func world(replicas: Int = 1, concurrency: Int = 1, work: Double = 5, nodes: Int = 1, edit: (inout ServiceSpec) -> Void) -> ClusterSpec {
        var s = ServiceSpec(name: "s", replicas: replicas, concurrency: concurrency, cpuMillicores: 100, memoryMiB: 512,
                            memoryPerRequestMiB: 10, serviceTime: .constant(work), queueCapacity: nil, timeout: nil, routing: .roundRobin)
        edit(&s)
        return ClusterSpec(pools: [NodePoolSpec(name: "p", count: nodes, cpuMillicores: 1000, memoryMiB: 4096)], services: [s],
                           traffic: [TrafficSpec(service: "s", source: .constant(1e-9))])
    }

    final class Log: @unchecked Sendable { var events: [TimelineEvent] = [] }

    @Test func anOOMKillHappensAtTheMemoryLimitAndNotBefore() {
        // Idle: half the 512 MiB request = 256 MiB; each request in service adds 10 MiB; limit 300 MiB:
        // 4 requests use 296 MiB, the 5th would use 306.
        let spec = world(concurrency: 100) { $0.memoryLimitMiB = 300 }
        #expect(spec.services[0].requestsBeforeOOM == 4)
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let log = Log()
        sim.lifecycleHook = { log.events.append($0) }
        sim.inject(service: 0, count: 4)
        sim.run(until: .seconds(1))
        #expect(!log.events.contains { $0.kind == .oomKilled } && sim.totals(0).failed == 0)
        sim.inject(service: 0)
        sim.run(until: .seconds(2))
        let kill = log.events.first { $0.kind == .oomKilled }
        #expect(kill?.time == 1 && kill?.detail.hasPrefix("306 MiB in use with 5 requests, limit 300 MiB") == true, "\(String(describing: kill))")
        #expect(sim.totals(0).failed == 5, "the five requests in service die with the container")
    }

    @Test func aReplicaThatMissesThreeProbesInARowIsRestarted() {
        // One slot, 5 s per request, 20 requests at t = 0: at each probe (every 10 s) the queue's head has
        // waited well over the 1 s timeout, so the third probe, at 30 s, restarts it.
        let spec = world { $0.liveness = LivenessProbe(period: .seconds(10), timeout: .seconds(1), failureThreshold: 3); $0.startup = .constant(30) }
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let log = Log()
        sim.lifecycleHook = { log.events.append($0) }
        sim.inject(service: 0, count: 20)
        sim.run(until: .seconds(40))
        let restarts = log.events.filter { $0.kind == .livenessRestart }
        #expect(restarts.map(\.time) == [30], "\(restarts)")
        // Done: the requests that finished at 5, 10, …, 25 s. The one due at 30 s loses to the probe
        // (same-instant events run in scheduling order, and the probe was scheduled first, at 20 s), so
        // it and the 14 queued are lost.
        #expect(sim.totals(0).completed == 5 && sim.totals(0).failed == 15, "\(sim.totals(0))")
        // A replica whose queue stays shorter than the timeout is never restarted.
        var calm = ClusterSimulation(spec: world(work: 0.2) { $0.liveness = LivenessProbe() }, seed: 1)
        let calmLog = Log()
        calm.lifecycleHook = { calmLog.events.append($0) }
        calm.inject(service: 0, count: 4)        // at most 0.8 s of queue
        calm.run(until: .seconds(60))
        #expect(!calmLog.events.contains { $0.kind == .livenessRestart })
    }

    @Test func aReplicaLeavesTheLoadBalancerWhileItsQueueWaitIsAboveTheBound() {
        let spec = world(replicas: 2) { $0.readinessMaxQueueWait = .seconds(2) }
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let log = Log()
        sim.lifecycleHook = { log.events.append($0) }
        sim.inject(service: 0, count: 6)          // 3 per replica: one in service, two waiting
        sim.run(until: .seconds(5.5))             // the check at 5 s: both heads waited 5 s > 2 s
        #expect(log.events.filter { $0.kind == .replicaUnready }.count == 2)
        sim.inject(service: 0)
        #expect(sim.totals(0).rejected == 1, "no replica is in the load balancer")
        sim.run(until: .seconds(16))              // queues drain by 15 s; the check at 15 s lets them back
        sim.inject(service: 0)
        #expect(sim.totals(0).rejected == 1)
    }

    @Test func aSpotNoticeDrainsTheNodeSoNothingIsLostWhenItIsReclaimed() {
        var spec = world(replicas: 2, concurrency: 4, work: 0.05, nodes: 3) { _ in }
        spec.traffic = [TrafficSpec(service: "s", source: .constant(50))]
        var sim = ClusterSimulation(spec: spec, seed: 1)
        let log = Log()
        sim.lifecycleHook = { log.events.append($0) }
        sim.run(until: .seconds(10))
        sim.noticeSpotInterruption(0, notice: .minutes(2))
        sim.run(until: .seconds(130))
        sim.reclaimSpotNode(0)
        sim.run(until: .seconds(200))
        #expect(log.events.contains { $0.kind == .spotNotice && $0.subject == "p-0" })
        #expect(log.events.contains { $0.kind == .replicaDraining }, "a replica was on the reclaimed node")
        #expect(log.events.contains { $0.kind == .nodeRemoved && $0.detail == "spot instance reclaimed" })
        #expect(sim.totals(0).failed == 0, "the notice left time to move the replicas")
        #expect(sim.desiredReplicas(0) == 2)
    }
}

@Suite struct DisruptionBudgetTests {
    /// 4 replicas over 2 nodes (2 each); draining node 0 with maxUnavailable 1 evicts one replica, and the
    /// second only once the first one's replacement is ready: ready replicas never drop below 3.
    @Test(arguments: [nil, 1] as [Int?])
    func aDrainEvictsNoMoreThanTheBudgetAllows(maxUnavailable: Int?) {
        var s = ServiceSpec(name: "s", replicas: 4, concurrency: 4, cpuMillicores: 100, memoryMiB: 128,
                            serviceTime: .constant(0.01), startup: .constant(20), queueCapacity: nil, timeout: nil)
        s.maxUnavailable = maxUnavailable
        let spec = ClusterSpec(pools: [NodePoolSpec(name: "p", count: 3, cpuMillicores: 1000, memoryMiB: 4096)], services: [s],
                               traffic: [TrafficSpec(service: "s", source: .constant(10))])
        var sim = ClusterSimulation(spec: spec, seed: 1)
        final class Log: @unchecked Sendable { var events: [TimelineEvent] = [] }
        let log = Log()
        sim.lifecycleHook = { log.events.append($0) }
        sim.run(until: .seconds(5))
        // Placement takes the node with the most free CPU (the first on a tie): nodes 0, 1, 2, 0.
        sim.drainNode(0)
        var lowest = Int.max
        for t in stride(from: 5.5, through: 120, by: 0.5) {
            sim.run(until: .seconds(t))
            lowest = min(lowest, sim.scrape().services[0].readyReplicas)
        }
        if maxUnavailable == nil {
            #expect(lowest == 2, "both replicas on node 0 leave at once")
        } else {
            #expect(lowest == 3, "one at a time")
            #expect(log.events.contains { $0.kind == .evictionBlocked })
        }
        #expect(sim.scrape().services[0].readyReplicas == 4, "all replaced in the end")
    }
}

@Suite struct CPULimitAndLIFOTests {
    func one(concurrency: Int, work: Double, edit: (inout ServiceSpec) -> Void) -> ClusterSimulation {
        var s = ServiceSpec(name: "s", replicas: 1, concurrency: concurrency, cpuMillicores: 1000, memoryMiB: 128,
                            serviceTime: .constant(work), queueCapacity: nil, timeout: nil)
        edit(&s)
        return ClusterSimulation(spec: ClusterSpec(pools: [NodePoolSpec(name: "p", count: 1)], services: [s],
                                                   traffic: [TrafficSpec(service: "s", source: .constant(1e-9))]), seed: 1)
    }

    /// CPU-bound workers demand a core each; with a 2-core limit the 3rd and 4th concurrent requests are
    /// stretched by 3/2 and 4/2: 1 + 1 + 1.5 + 2 = 5.5 s of latency in all.
    @Test func aCPULimitThrottlesWorkByDemandOverLimit() {
        var sim = one(concurrency: 4, work: 1) { $0.cpuLimitMillicores = 2000 }
        sim.inject(service: 0, count: 4)
        sim.run(until: .seconds(10))
        #expect(abs(sim.totals(0).latencySum - 5.5) < 1e-9, "\(sim.totals(0).latencySum)")
        var unlimited = one(concurrency: 4, work: 1) { _ in }
        unlimited.inject(service: 0, count: 4)
        unlimited.run(until: .seconds(10))
        #expect(abs(unlimited.totals(0).latencySum - 4) < 1e-9)
    }

    /// One slot, 3 s per request; A, B, C at 0 and D at 0.5 s. At 3 s the queue's head (B) has waited
    /// 3 s > 2.5 s, so adaptive LIFO serves D (waited 2.5 s) instead of B (3 s).
    @Test func behindAStandingQueueTheNewestRequestGoesFirst() {
        for lifo in [false, true] {
            var sim = one(concurrency: 1, work: 3) { if lifo { $0.admission = AdmissionControl(lifoAfter: .milliseconds(2500)) } }
            sim.inject(service: 0, count: 3)
            sim.run(until: .seconds(0.5))
            sim.inject(service: 0)
            sim.run(until: .seconds(3.5))
            #expect(abs(sim.totals(0).waitSum - (lifo ? 2.5 : 3)) < 1e-9, "lifo \(lifo): \(sim.totals(0).waitSum)")
        }
    }
}
