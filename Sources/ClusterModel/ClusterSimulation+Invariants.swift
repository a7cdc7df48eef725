extension ClusterSimulation {
    /// Cross-checks the counters the hot path keeps redundantly (per-service totals, per-replica
    /// queue lengths, the ready and free lists) against the state they summarise. Empty when
    /// consistent. O(replicas); for tests and `-D STORMGLASS_INVARIANTS` builds, not the hot path.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for si in services.indices {
            problems += services[si].invariantViolations()
        }
        return problems
    }
}

extension ServiceState {
    func invariantViolations() -> [String] {
        var problems: [String] = []
        let name = spec.name
        var busy = 0, queued = sharedQueue.count
        for ri in replicas.indices {
            let r = replicas[ri]
            busy += Int(r.busy)
            queued += r.queue.count
            if Int(r.queued) != r.queue.count { problems.append("\(name) replica \(ri): queued \(r.queued) ≠ queue length \(r.queue.count)") }
            if r.busy < 0 || r.busy > concurrency { problems.append("\(name) replica \(ri): busy \(r.busy) outside 0…\(concurrency)") }
            // Only ready replicas take traffic (a ready one may be left out, e.g. while partitioned).
            if r.readyPosition >= 0 {
                if r.phase != .ready { problems.append("\(name) replica \(ri): routable while \(r.phase)") }
                if ready[Int(r.readyPosition)] != Int32(ri) { problems.append("\(name) replica \(ri): stale ready position") }
                if indexesLoad {
                    if !byLoad.contains(Int32(ri)) { problems.append("\(name) replica \(ri): routable but not indexed by load") }
                    else if byLoad.load(of: Int32(ri)) != r.outstanding { problems.append("\(name) replica \(ri): routing sees load \(byLoad.load(of: Int32(ri))), has \(r.outstanding)") }
                }
            } else if indexesLoad && byLoad.contains(Int32(ri)) {
                problems.append("\(name) replica \(ri): indexed by load but not routable")
            }
        }
        if indexesLoad {
            problems += byLoad.structuralProblems().map { "\(name): least-loaded index: \($0)" }
            if byLoad.count != ready.count { problems.append("\(name): \(byLoad.count) replicas indexed by load, \(ready.count) routable") }
        }
        if busy != busyTotal { problems.append("\(name): busyTotal \(busyTotal) ≠ Σ busy \(busy)") }
        if queued != queuedTotal { problems.append("\(name): queuedTotal \(queuedTotal) ≠ Σ queue lengths \(queued)") }
        if busyTotal > connectionPool { problems.append("\(name): \(busyTotal) in service > pool \(connectionPool)") }
        return problems
    }
}
