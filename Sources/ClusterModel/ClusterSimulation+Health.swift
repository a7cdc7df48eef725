import SimulationKernel
import Telemetry

/// Replica health: liveness and readiness checks, and OOM kills at the memory limit.
extension ClusterSimulation {
    /// The period of service `s`'s checks, nil when it has none.
    func probePeriod(_ s: Int32) -> SimDuration? {
        let spec = services[Int(s)].spec
        if let l = spec.liveness { return l.period }
        return spec.readinessMaxQueueWait == nil ? nil : readinessPeriod
    }

    mutating func scheduleProbes(_ s: Int32) {
        if let period = probePeriod(s) { events.schedule(.probe(service: s), after: period) }
    }

    /// How long replica `r`'s oldest waiting request has waited: what a probe (or a new request)
    /// queues behind. 0 when a worker slot is free.
    func standingQueueWait(_ si: Int, _ ri: Int, now: Int64) -> Int64 {
        let head: Job?
        if services[si].sharedQueueMode {
            guard services[si].replicas[ri].busy >= services[si].concurrency else { return 0 }
            head = services[si].sharedQueue.first
        } else {
            head = services[si].replicas[ri].queue.first
        }
        return head.map { now &- $0.arrival } ?? 0
    }

    /// One round of checks on every ready replica of service `s`, then the next round.
    mutating func probe(_ s: Int32) {
        let si = Int(s), now = events.now.nanoseconds
        let spec = services[si].spec
        var restarted = false
        for ri in services[si].replicas.indices where services[si].replicas[ri].phase == .ready {
            let node = Int(services[si].replicas[ri].node)
            guard node >= 0, nodes[node].reachable else { continue }
            let wait = standingQueueWait(si, ri, now: now)
            if let bound = spec.readinessMaxQueueWait?.nanoseconds {
                let routable = services[si].replicas[ri].readyPosition >= 0
                if wait > bound, routable {
                    makeUnroutable(s, Int32(ri))
                    services[si].replicas[ri].unreadyByProbe = true
                    log(.replicaUnready, replicaName(si, ri), "queue wait \(SimDuration(nanoseconds: wait)) > \(SimDuration(nanoseconds: bound))")
                } else if wait <= bound, services[si].replicas[ri].unreadyByProbe {
                    services[si].replicas[ri].unreadyByProbe = false
                    makeRoutable(s, Int32(ri))
                    log(.replicaReady, replicaName(si, ri), "readiness check passes again")
                }
            }
            if let liveness = spec.liveness {
                if wait >= liveness.timeout.nanoseconds {
                    services[si].replicas[ri].probeFailures &+= 1
                    if Int(services[si].replicas[ri].probeFailures) >= liveness.failureThreshold {
                        log(.livenessRestart, replicaName(si, ri), "\(liveness.failureThreshold) liveness probes failed (queue wait \(SimDuration(nanoseconds: wait)))")
                        terminateReplica(s, Int32(ri), reason: "liveness probe failed")
                        restarted = true
                    }
                } else {
                    services[si].replicas[ri].probeFailures = 0
                }
            }
        }
        if restarted { reconcile(s) }
        scheduleProbes(s)
    }

    /// Replica `r` went over its memory limit: the kernel kills it, and the deployment restarts it.
    mutating func oomKill(_ s: Int32, _ r: Int32) {
        events.schedule(.oomKill(service: s, replica: r, incarnation: services[Int(s)].replicas[Int(r)].incarnation), after: .zero)
    }

    mutating func oomKilled(_ s: Int32, _ r: Int32, _ inc: UInt32) {
        let si = Int(s), ri = Int(r)
        guard services[si].replicas[ri].incarnation == inc, services[si].replicas[ri].phase != .terminated else { return }
        let busy = Int(services[si].replicas[ri].busy)
        let used = services[si].memoryInUse(ri)
        log(.oomKilled, replicaName(si, ri), String(format: "%.0f MiB in use with %d requests, limit %d MiB", used, busy, services[si].spec.memoryLimitMiB ?? 0))
        terminateReplica(s, r, reason: "OOM-killed")
        reconcile(s)
    }
}
