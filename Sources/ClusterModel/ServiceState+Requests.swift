/// What happens to a request inside one service: admission, routing, a worker slot, completion.
///
/// These are `ServiceState` methods so that the simulation reaches a service once per step
/// (`services[s].admit(…)` is one in-place access of the array) instead of once per field — on
/// the per-request path every `services[s].x = …` costs a uniqueness check and a bounds check.
/// Effects that cross services (downstream calls, caller notification) and the event queue
/// stay in `ClusterSimulation`.
extension ServiceState {
    /// The outcome of offering a request to the service.
    enum Admission {
        /// Took a worker slot on `replica` (of `incarnation`); its own work ends at `done`.
        case started(replica: Int32, incarnation: UInt32, done: Int64)
        /// Waits in `replica`'s queue (-1: the shared queue).
        case queued(replica: Int32)
        /// No ready replica, or the queue is full.
        case rejected
    }

    /// Counts an arrival and starts, queues or turns the request away.
    @inline(__always)
    mutating func admit(_ job: Job, now: Int64) -> Admission {
        interval.arrivals &+= 1
        if admits, rateLimiter != nil, !rateLimiter!.take(now: now) { return shed() }
        if sharedQueueMode {
            if busyTotal < connectionPool, let r = withFreeSlot.last {
                let (incarnation, done) = start(r, job, now: now)
                return .started(replica: r, incarnation: incarnation, done: done)
            }
            guard sharedQueue.count < queueCapacity else { return reject() }
            if admits, let head = sharedQueue.first, now &- head.arrival > maxQueueWaitNs { return shed() }
            sharedQueue.append(job)
            queuedTotal &+= 1
            return .queued(replica: -1)
        }
        guard let r = pickReplica() else { return reject() }
        let ri = Int(r)
        let slotFree = replicas[ri].busy < concurrency
        if slotFree && busyTotal < connectionPool {
            let (incarnation, done) = start(r, job, now: now)
            return .started(replica: r, incarnation: incarnation, done: done)
        }
        guard Int(replicas[ri].queued) < queueCapacity else { return reject() }
        if admits, let head = replicas[ri].queue.first, now &- head.arrival > maxQueueWaitNs { return shed() }
        replicas[ri].queue.append(job)
        replicas[ri].queued &+= 1
        loadChanged(ri)
        queuedTotal &+= 1
        if slotFree { waitingForConnection.append(r) }  // blocked by the connection pool only
        return .queued(replica: r)
    }

    private mutating func reject() -> Admission {
        interval.rejected &+= 1
        return .rejected
    }

    /// Turned away by admission control: a rejection, counted as shed too.
    private mutating func shed() -> Admission {
        interval.shed &+= 1
        return reject()
    }

    /// The replica a load-balanced request goes to, or nil when none is ready.
    @inline(__always)
    mutating func pickReplica() -> Int32? {
        let n = ready.count
        if n == 0 { return nil }
        switch routing {
        case .roundRobin, .sharedQueue:
            rrCursor = rrCursor &+ 1 < n ? rrCursor &+ 1 : 0   // not `%`: a division per request
            return ready[rrCursor]
        case .random:
            return ready[Int(routeRng.next() % UInt64(n))]
        case .leastOutstanding:
            return byLoad.leastLoaded
        }
    }

    /// Keeps `byLoad` in step after replica `ri`'s busy or queued count changed.
    @inline(__always)
    mutating func loadChanged(_ ri: Int) {
        if indexesLoad, replicas[ri].readyPosition >= 0 { byLoad.update(Int32(ri), load: replicas[ri].outstanding) }
    }

    /// Gives `job` a worker slot on replica `r` now; returns the replica's incarnation (to
    /// recognise a stale completion) and when the request's own work will be done.
    @inline(__always)
    mutating func start(_ r: Int32, _ job: Job, now: Int64) -> (incarnation: UInt32, done: Int64) {
        let ri = Int(r)
        accountBusy(now)
        replicas[ri].busy &+= 1
        loadChanged(ri)
        busyTotal &+= 1
        if sharedQueueMode, replicas[ri].busy == concurrency { removeFromFreeList(r) }
        interval.waitSum += Double(now &- job.arrival) * 1e-9
        interval.waitCount &+= 1
        var work = nextWork
        nextWork = drawWork()
        if slowdown != 1 { work *= slowdown }
        if let extra = extraLatency { work += extra.sample(&faultRng) }
        if cpuLimitMillicores > 0 {
            // CFS throttling: demand above the limit stretches the work by demand ÷ limit.
            let demand = Double(replicas[ri].busy) * cpuPerBusySlotMillicores
            if demand > cpuLimitMillicores { work *= demand / cpuLimitMillicores }
        }
        return (replicas[ri].incarnation, now &+ Int64(work * 1e9))
    }

    /// The next draw of the service's own work per request (from its service-time stream).
    @inline(__always)
    mutating func drawWork() -> Double {
        serviceTime.sample(&serviceRng) ?? spec.serviceTime.sample(&serviceRng)
    }

    /// Records the end of a request that held a slot (the slot itself is freed by `release`):
    /// a success only when done in time and not failed.
    @inline(__always)
    mutating func complete(_ job: Job, ok: Bool, now: Int64) -> TryOutcome {
        let latencyNs = now &- job.arrival
        if !ok {
            interval.failed &+= 1
            return .failed
        }
        if let timeout = timeoutNs, latencyNs > timeout {
            interval.timedOut &+= 1
            return .timedOut
        }
        interval.completed &+= 1
        interval.latencySum += Double(latencyNs) * 1e-9
        latencies.record(UInt64(max(1, latencyNs / 1000)))
        return .succeeded
    }

    /// `complete` and `release` in one step, for a request with no caller to tell. Returns
    /// whether nothing can be waiting for the freed slot (the usual case: a ready load-balanced
    /// replica with an empty queue), so that the caller may skip handing it on.
    @inline(__always)
    mutating func finish(_ r: Int32, _ job: Job, ok: Bool, now: Int64) -> Bool {
        if complete(job, ok: ok, now: now) == .succeeded { interval.goodput &+= 1 }
        release(r, now: now)
        let ri = Int(r)
        return !sharedQueueMode && replicas[ri].queued == 0 && replicas[ri].phase == .ready && waitingForConnection.isEmpty
    }

    /// Frees a worker slot on replica `r`.
    @inline(__always)
    mutating func release(_ r: Int32, now: Int64) {
        accountBusy(now)
        replicas[Int(r)].busy &-= 1
        loadChanged(Int(r))
        busyTotal &-= 1
    }

    /// What `dequeue` found at the head of a queue.
    enum Dequeued {
        case live(Job)
        /// Its client gave up (counted as timed out); the caller may need telling.
        case expired(Job)
        case empty
    }

    /// Takes the head of replica `r`'s queue (-1: the shared queue).
    @inline(__always)
    mutating func dequeue(_ r: Int32, now: Int64) -> Dequeued {
        if admits, lifoAfterNs < .max, r >= 0, let head = replicas[Int(r)].queue.first, now &- head.arrival > lifoAfterNs,
           let newest = removeHead(r, newest: true) {
            // Adaptive LIFO: behind a standing queue the newest request, whose client still waits,
            // goes first (the oldest are left to their deadlines).
            return .live(newest)
        }
        guard let job = removeHead(r) else { return .empty }
        if hasExpired(job, now: now) {
            interval.timedOut &+= 1
            return .expired(job)
        }
        return .live(job)
    }

    /// Removes the head of replica `r`'s queue (-1: the shared queue) only if its client has
    /// given up, counting it as timed out; nil when the head is still waited for (or none).
    mutating func dequeueExpired(_ r: Int32, now: Int64) -> Job? {
        guard let head = r < 0 ? sharedQueue.first : replicas[Int(r)].queue.first, hasExpired(head, now: now) else { return nil }
        _ = removeHead(r)
        interval.timedOut &+= 1
        return head
    }

    @inline(__always)
    private func hasExpired(_ job: Job, now: Int64) -> Bool {
        guard let timeout = timeoutNs else { return false }
        return now &- job.arrival >= timeout
    }

    /// Pops a queue's head and keeps the counts that mirror the queues in step.
    @inline(__always)
    /// With `newest`, pops the tail of a replica's queue instead (adaptive LIFO).
    private mutating func removeHead(_ r: Int32, newest: Bool = false) -> Job? {
        if r < 0 {
            guard let head = sharedQueue.popFirst() else { return nil }
            queuedTotal &-= 1
            return head
        }
        guard let head = newest ? replicas[Int(r)].queue.popLast() : replicas[Int(r)].queue.popFirst() else { return nil }
        replicas[Int(r)].queued &-= 1
        loadChanged(Int(r))
        queuedTotal &-= 1
        return head
    }

    /// Integrates busy slots over time up to `now` (before the busy count changes).
    @inline(__always)
    mutating func accountBusy(_ now: Int64) {
        interval.busySlotNanos += Int64(busyTotal) &* (now &- lastBusyAccount)
        lastBusyAccount = now
    }

    /// Integrates busy slots, ready slots and held replicas up to `now`: before any of them
    /// changes and at a scrape. (Requests change only the first, so they call `accountBusy`.)
    mutating func account(_ now: Int64) {
        accountBusy(now)
        let d = Double(now &- lastCapacityAccount) * 1e-9
        interval.slotArea += Double(readySlots) * d
        interval.replicaArea += Double(readyCount &+ startingCount &+ drainingCount) * d
        lastCapacityAccount = now
    }

    // MARK: Shared-queue workers with a free slot

    mutating func addToFreeList(_ r: Int32) {
        replicas[Int(r)].freePosition = Int32(withFreeSlot.count)
        withFreeSlot.append(r)
    }

    mutating func removeFromFreeList(_ r: Int32) {
        let pos = Int(replicas[Int(r)].freePosition)
        guard pos >= 0 else { return }
        let last = withFreeSlot.removeLast()
        if pos < withFreeSlot.count {
            withFreeSlot[pos] = last
            replicas[Int(last)].freePosition = Int32(pos)
        }
        replicas[Int(r)].freePosition = -1
    }
}
