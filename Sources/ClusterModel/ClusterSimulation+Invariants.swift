extension ClusterSimulation {
    /// Cross-checks the counters the hot path keeps redundantly (per-service totals, per-replica
    /// queue lengths, the ready and free lists) against the state they summarise. Empty when
    /// consistent. O(replicas); for tests and `-D STORMGLASS_INVARIANTS` builds, not the hot path.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for s in services {
            let name = s.spec.name
            var busy = 0, queued = s.sharedQueue.count
            for (ri, r) in s.replicas.enumerated() {
                busy += Int(r.busy)
                queued += r.queue.count
                if Int(r.queued) != r.queue.count { problems.append("\(name) replica \(ri): queued \(r.queued) ≠ queue length \(r.queue.count)") }
                if r.busy < 0 || r.busy > s.concurrency { problems.append("\(name) replica \(ri): busy \(r.busy) outside 0…\(s.concurrency)") }
                // Only ready replicas take traffic (a ready one may be left out, e.g. while partitioned).
                if r.readyPosition >= 0 {
                    if r.phase != .ready { problems.append("\(name) replica \(ri): routable while \(r.phase)") }
                    if s.ready[Int(r.readyPosition)] != Int32(ri) { problems.append("\(name) replica \(ri): stale ready position") }
                    if s.readyLoad[Int(r.readyPosition)] != r.outstanding { problems.append("\(name) replica \(ri): routing sees load \(s.readyLoad[Int(r.readyPosition)]), has \(r.outstanding)") }
                }
            }
            if busy != s.busyTotal { problems.append("\(name): busyTotal \(s.busyTotal) ≠ Σ busy \(busy)") }
            if queued != s.queuedTotal { problems.append("\(name): queuedTotal \(s.queuedTotal) ≠ Σ queue lengths \(queued)") }
            if s.busyTotal > s.connectionPool { problems.append("\(name): \(s.busyTotal) in service > pool \(s.connectionPool)") }
        }
        return problems
    }
}
