import SimulationKernel
import Telemetry

/// Retrying clients: external requests whose client tries again after a failure. A client is named
/// in a job's `parent` as `-2 - id` (`-1` is a request with no one waiting for it).
extension ClusterSimulation {
    /// An external request of stream `t` whose client retries.
    mutating func arriveRetrying(_ t: Int32, at s: Int32) {
        let record = ClientRecord(stream: t, attempt: 1, previousDelay: 0)
        let id: Int32
        if let free = freeClients.popLast() { clients[Int(free)] = record; id = free } else { clients.append(record); id = Int32(clients.count - 1) }
        trafficBudgets[Int(t)].firstTry()
        route(s, Job(arrival: events.now.nanoseconds, parent: -2 - id))
    }

    /// A retrying client's try ended: done (counted as goodput if it succeeded), or tried again later.
    mutating func clientFinished(_ code: Int32, _ outcome: TryOutcome) {
        let id = Int(-2 - code)
        var rec = clients[id]
        let t = Int(rec.stream), s = Int(trafficTargets[t])
        if outcome == .succeeded {
            services[s].interval.goodput &+= 1
        } else {
            if let delay = trafficRetry[t].backoff(after: outcome, attempt: Int(rec.attempt), previous: rec.previousDelay,
                                                   budget: &trafficBudgets[t], using: &trafficRetryRngs[t]) {
                rec.attempt += 1
                rec.previousDelay = delay
                clients[id] = rec
                events.schedule(.retry(caller: code), at: SimTime(nanoseconds: events.now.nanoseconds &+ Int64(delay * 1e9)))
                return
            }
        }
        freeClients.append(Int32(id))
    }

    /// Parent `id`'s per-try timeout for the try that started at `tryStart`: if it is still waiting for
    /// that try, it gives up on it (the callee may still be working on it) as timed out.
    mutating func tryDeadline(_ id: Int32, tryStart: Int64) {
        guard parents[Int(id)].awaiting, parents[Int(id)].tryStart == tryStart else { return }
        childFinished(id, .timedOut)
    }

    /// A backoff ended: the caller (a parent request or a client) tries again.
    mutating func retryNow(_ caller: Int32) {
        if caller >= 0 {
            let rec = parents[Int(caller)]
            if services[Int(rec.service)].replicas[Int(rec.replica)].incarnation != rec.incarnation {
                // The caller's replica died while it backed off.
                freeParents.append(caller)
                failCaller(of: rec.job, .failed)
                return
            }
            callDownstream(caller)
        } else {
            let s = trafficTargets[Int(clients[Int(-2 - caller)].stream)]
            services[Int(s)].interval.retries &+= 1
            route(s, Job(arrival: events.now.nanoseconds, parent: caller))
        }
    }
}
