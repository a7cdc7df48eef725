import SimulationKernel
import Telemetry

/// Replica lifecycle: pending → starting → ready → draining → terminated, with placement on nodes.
extension ClusterSimulation {
    /// Sets a service's desired replica count, as a Deployment's `spec.replicas`. Scale-in removes
    /// pending replicas first, then starting ones, then drains the newest ready ones.
    public mutating func setDesiredReplicas(_ service: Int, _ count: Int) {
        services[service].desired = max(0, count)
        reconcile(Int32(service))
    }

    public func desiredReplicas(_ service: Int) -> Int { services[service].desired }

    /// Brings the number of live (pending + starting + ready) replicas to the desired count.
    mutating func reconcile(_ s: Int32) {
        let si = Int(s)
        while services[si].activeCount < services[si].desired { createReplica(s, warm: false) }
        var excess = services[si].activeCount - services[si].desired
        guard excess > 0 else { return }
        for phase in [ReplicaPhase.pending, .starting, .ready] where excess > 0 {
            // Newest first: highest slot numbers were (re)used most recently often enough; scan backwards.
            for r in services[si].replicas.indices.reversed() where excess > 0 && services[si].replicas[r].phase == phase {
                if phase == .ready { drainReplica(s, Int32(r)) } else { terminateReplica(s, Int32(r), reason: "scaled in") }
                excess -= 1
            }
        }
    }

    mutating func createReplica(_ s: Int32, warm: Bool) {
        let si = Int(s)
        let r: Int32
        if let slot = services[si].unusedSlots.popLast() { r = slot } else {
            services[si].replicas.append(ReplicaState())
            r = Int32(services[si].replicas.count - 1)
        }
        let ri = Int(r)
        if ri < services[si].leakedMiB.count { services[si].leakedMiB[ri] = 0 }  // a new replica has leaked nothing
        services[si].replicas[ri].phase = .pending
        services[si].replicas[ri].node = -1
        services[si].pendingCount += 1
        if !place(s, r, warm: warm) {
            unplaced.append((s, r, services[si].replicas[ri].incarnation))
            log(.replicaPending, replicaName(si, ri), "no node has room")
        }
    }

    /// Puts a pending replica on the up, reachable node with the most free CPU that fits it.
    mutating func place(_ s: Int32, _ r: Int32, warm: Bool) -> Bool {
        let si = Int(s), ri = Int(r)
        let cpu = services[si].spec.cpuMillicores, mem = services[si].spec.memoryMiB
        var best = -1, bestFree = Int.min
        for (n, node) in nodes.enumerated() where node.phase == .up && node.reachable {
            let freeCPU = node.cpuCapacity - node.cpuUsed
            if freeCPU >= cpu, node.memoryCapacity - node.memoryUsed >= mem, freeCPU > bestFree {
                best = n; bestFree = freeCPU
            }
        }
        guard best >= 0 else { return false }
        nodes[best].cpuUsed += cpu
        nodes[best].memoryUsed += mem
        nodes[best].replicas += 1
        account(si)
        services[si].pendingCount -= 1
        services[si].replicas[ri].node = Int32(best)
        services[si].replicas[ri].phase = .starting
        services[si].startingCount += 1
        let inc = services[si].replicas[ri].incarnation
        if warm {
            replicaReady(s, r, inc)
        } else {
            let delay = services[si].spec.startup.sample(&services[si].startupRng) * startupMultiplier(si)
            events.schedule(.replicaReady(service: s, replica: r, incarnation: inc), after: .seconds(delay))
            log(.replicaStarting, replicaName(si, ri), "on \(nodes[best].name)")
        }
        return true
    }

    mutating func replicaReady(_ s: Int32, _ r: Int32, _ inc: UInt32) {
        let si = Int(s), ri = Int(r)
        guard services[si].replicas[ri].incarnation == inc, services[si].replicas[ri].phase == .starting else { return }
        account(si)
        services[si].startingCount -= 1
        services[si].replicas[ri].phase = .ready
        services[si].readyCount += 1
        if events.now > .zero { log(.replicaReady, replicaName(si, ri), "") }
        if nodes[Int(services[si].replicas[ri].node)].reachable { makeRoutable(s, r) }
        if !blockedEvictions.isEmpty { retryEvictions(s) }
    }

    /// Adds a ready replica to the load balancer (and, for a shared queue, lets it pull work).
    mutating func makeRoutable(_ s: Int32, _ r: Int32) {
        let si = Int(s), ri = Int(r)
        guard services[si].replicas[ri].readyPosition < 0 else { return }
        account(si)
        services[si].replicas[ri].readyPosition = Int32(services[si].ready.count)
        services[si].ready.append(r)
        if services[si].indexesLoad { services[si].byLoad.insert(r, load: services[si].replicas[ri].outstanding) }
        services[si].readySlots += Int(services[si].concurrency)
        if services[si].sharedQueueMode {
            while services[si].replicas[ri].busy < services[si].concurrency,
                  services[si].busyTotal < services[si].connectionPool, let job = popLive(si, -1) {
                startJob(s, r, job)
            }
            if services[si].replicas[ri].busy < services[si].concurrency { services[si].addToFreeList(r) }
        }
    }

    /// Takes a replica out of the load balancer (drain, death, or its node unreachable).
    mutating func makeUnroutable(_ s: Int32, _ r: Int32) {
        let si = Int(s), ri = Int(r)
        let pos = Int(services[si].replicas[ri].readyPosition)
        guard pos >= 0 else { return }
        account(si)
        let last = services[si].ready.removeLast()
        if pos < services[si].ready.count {
            services[si].ready[pos] = last
            services[si].replicas[Int(last)].readyPosition = Int32(pos)
        }
        if services[si].indexesLoad { services[si].byLoad.remove(r) }
        services[si].replicas[ri].readyPosition = -1
        services[si].readySlots -= Int(services[si].concurrency)
        if services[si].rrCursor >= services[si].ready.count { services[si].rrCursor = 0 }
        if services[si].replicas[ri].freePosition >= 0 { services[si].removeFromFreeList(r) }
    }

    mutating func drainReplica(_ s: Int32, _ r: Int32) {
        let si = Int(s), ri = Int(r)
        makeUnroutable(s, r)
        account(si)
        services[si].readyCount -= 1
        services[si].replicas[ri].phase = .draining
        services[si].drainingCount += 1
        log(.replicaDraining, replicaName(si, ri), "")
        if services[si].replicas[ri].busy == 0, services[si].replicas[ri].queued == 0 {
            terminateReplica(s, r, reason: "drained")
        }
    }

    /// Ends a replica. Requests it still held (in service or queued) are counted as failed.
    mutating func terminateReplica(_ s: Int32, _ r: Int32, reason: String) {
        let si = Int(s), ri = Int(r)
        account(si)
        if isFluid, services[si].replicas[ri].readyPosition >= 0 { fluidReplicaEnds(si) }
        makeUnroutable(s, r)
        switch services[si].replicas[ri].phase {
        case .pending: services[si].pendingCount -= 1
        case .starting: services[si].startingCount -= 1
        case .ready: services[si].readyCount -= 1
        case .draining: services[si].drainingCount -= 1
        case .terminated: return
        }
        let lost = Int(services[si].replicas[ri].busy)
        if lost > 0 {
            services[si].interval.failed += lost
            services[si].busyTotal -= lost
        }
        services[si].replicas[ri].queued = 0
        while let job = services[si].replicas[ri].queue.popFirst() {
            services[si].queuedTotal -= 1
            services[si].interval.failed += 1
            failCaller(of: job, .failed)
        }
        let n = Int(services[si].replicas[ri].node)
        if n >= 0 {
            nodes[n].cpuUsed -= services[si].spec.cpuMillicores
            nodes[n].memoryUsed -= services[si].spec.memoryMiB
            nodes[n].replicas -= 1
        }
        services[si].replicas[ri].phase = .terminated
        services[si].replicas[ri].busy = 0
        services[si].replicas[ri].node = -1
        services[si].replicas[ri].timerArmed = false
        services[si].replicas[ri].probeFailures = 0
        services[si].replicas[ri].unreadyByProbe = false
        services[si].replicas[ri].incarnation &+= 1
        services[si].unusedSlots.append(r)
        log(.replicaTerminated, replicaName(si, ri), reason + (lost > 0 ? ", \(lost) requests lost" : ""))
        if n >= 0 { placeUnplaced() }
    }

    /// Kills one replica unexpectedly; the deployment replaces it (as a ReplicaSet would).
    public mutating func killReplica(service: Int, ordinal: Int) {
        let live = services[service].replicas.indices.filter {
            [.ready, .starting].contains(services[service].replicas[$0].phase)
        }
        guard !live.isEmpty else { return }
        terminateReplica(Int32(service), Int32(live[ordinal % live.count]), reason: "killed")
        reconcile(Int32(service))
    }

    /// Retries placement of pending replicas, oldest first, after capacity appeared.
    mutating func placeUnplaced() {
        var still = [(service: Int32, replica: Int32, incarnation: UInt32)]()
        while let p = unplaced.popFirst() {
            let si = Int(p.service), ri = Int(p.replica)
            guard services[si].replicas[ri].incarnation == p.incarnation, services[si].replicas[ri].phase == .pending else { continue }
            if !place(p.service, p.replica, warm: false) { still.append(p) }
        }
        unplaced.append(contentsOf: still)
    }

    func startupMultiplier(_ si: Int) -> Double { services[si].startupMultiplier }

    func replicaName(_ si: Int, _ ri: Int) -> String { "\(services[si].spec.name)/\(ri)" }

    func log(_ kind: EventKind, _ subject: String, _ detail: String) {
        lifecycleHook?(TimelineEvent(time: events.now.seconds, kind: kind, subject: subject, detail: detail))
    }
}
