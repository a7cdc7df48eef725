import SimulationKernel
import Telemetry

/// Service-to-service calls: a request waits for its downstream calls in turn, each with its
/// retries, per-try timeout and circuit breaker.
extension ClusterSimulation {
    struct ParentRecord {
        var service: Int32
        var replica: Int32
        var incarnation: UInt32
        var job: Job
        var nextCall: Int32
        /// Tries of the current call made so far (0 before the first) and the last backoff.
        var attempt: Int32 = 0
        var previousDelay: Double = 0
        /// When the current try started, and whether its answer is still awaited (a per-try timeout
        /// stops the wait; the callee's late answer is then ignored).
        var tryStart: Int64 = 0
        var awaiting = false
    }

    mutating func allocateParent(_ rec: ParentRecord) -> Int32 {
        if let id = freeParents.popLast() { parents[Int(id)] = rec; return id }
        parents.append(rec)
        return Int32(parents.count - 1)
    }

    /// Makes parent `id`'s current call (a first try or a retry), unless the edge's breaker is open:
    /// then the call fails at once, and so does the request that makes it.
    mutating func callDownstream(_ id: Int32) {
        let rec = parents[Int(id)]
        let si = Int(rec.service), edge = Int(rec.nextCall)
        let now = events.now.nanoseconds
        if services[si].edges[edge].hasBreaker, !services[si].edges[edge].breaker!.allow(now: now) {
            freeParents.append(id)
            finishJob(rec.service, rec.replica, rec.job, ok: false)
            return
        }
        let target = services[si].callTargets[edge]
        if rec.attempt == 0 { services[si].edges[edge].budget.firstTry() } else { services[Int(target)].interval.retries &+= 1 }
        parents[Int(id)].attempt = rec.attempt + 1
        parents[Int(id)].tryStart = now
        parents[Int(id)].awaiting = true
        if let limit = services[si].edges[edge].retry.perTryTimeout {
            events.schedule(.tryDeadline(caller: id, tryStart: now), at: SimTime(nanoseconds: now &+ limit.nanoseconds))
        }
        route(target, Job(arrival: now, parent: id))
    }

    /// A request failed (rejected, timed out, lost with its replica): its caller learns of it now.
    @inline(__always)
    mutating func failCaller(of job: Job, _ outcome: TryOutcome) {
        if job.parent != -1 { tellCaller(of: job, outcome) }
    }

    /// Tells whoever waits for `job` (a parent request or a retrying client) how its try ended.
    @inline(__always)
    mutating func tellCaller(of job: Job, _ outcome: TryOutcome) {
        if job.parent >= 0 {
            // A try its caller stopped waiting for (per-try timeout) reports to nobody.
            let rec = parents[Int(job.parent)]
            guard rec.awaiting, rec.tryStart == job.arrival else { return }
            childFinished(job.parent, outcome)
        } else if job.parent <= -2 {
            clientFinished(job.parent, outcome)
        }
    }

    /// A downstream call made by parent `id` finished: on to the next call, a retry after a backoff,
    /// or the end of the parent's request.
    mutating func childFinished(_ id: Int32, _ outcome: TryOutcome) {
        parents[Int(id)].awaiting = false
        var rec = parents[Int(id)]
        let si = Int(rec.service), edge = Int(rec.nextCall)
        if services[si].replicas[Int(rec.replica)].incarnation != rec.incarnation {
            // The caller's replica died meanwhile (counted then); pass the failure further up.
            freeParents.append(id)
            failCaller(of: rec.job, .failed)
            return
        }
        let now = events.now.nanoseconds
        if services[si].edges[edge].hasBreaker {
            let ok = outcome == .succeeded
            let wasOpen = services[si].edges[edge].breaker!.state != .closed
            if services[si].edges[edge].breaker!.record(success: ok, now: now) {
                log(.breakerOpen, services[si].spec.name + "→" + services[Int(services[si].callTargets[edge])].spec.name, "after \(outcome)")
            } else if wasOpen, services[si].edges[edge].breaker!.state == .closed {
                log(.breakerClosed, services[si].spec.name + "→" + services[Int(services[si].callTargets[edge])].spec.name, "probes succeeded")
            }
        }
        if outcome == .succeeded {
            rec.nextCall += 1
            rec.attempt = 0
            if Int(rec.nextCall) < services[si].callTargets.count {
                parents[Int(id)] = rec
                callDownstream(id)
                return
            }
        } else if let delay = retryDelay(si, edge: edge, after: outcome, attempt: Int(rec.attempt), previous: rec.previousDelay) {
            rec.previousDelay = delay
            parents[Int(id)] = rec
            events.schedule(.retry(caller: id), at: SimTime(nanoseconds: now &+ Int64(delay * 1e9)))
            return
        }
        freeParents.append(id)
        finishJob(rec.service, rec.replica, rec.job, ok: outcome == .succeeded)
    }

    /// The backoff before retrying call `edge` of service `si` after its try number `attempt`
    /// ended in `outcome`; nil when there is no retry (policy, attempts or budget).
    mutating func retryDelay(_ si: Int, edge: Int, after outcome: TryOutcome, attempt: Int, previous: Double) -> Double? {
        // Both live in the service's state: taken out and put back, as one access may not hold two.
        var budget = services[si].edges[edge].budget, rng = services[si].retryRng
        defer { services[si].edges[edge].budget = budget; services[si].retryRng = rng }
        return services[si].edges[edge].retry.backoff(after: outcome, attempt: attempt, previous: previous, budget: &budget, using: &rng)
    }
}
