import BasicContainers
import DequeModule
import SimulationKernel
import Telemetry

/// One scheduled happening in the world. A flat 24-byte struct rather than an enum with payloads:
/// the event heap moves these on every push and pop, and size is speed there. (External arrivals
/// are not among them: see `NextArrivals`.)
struct WorldEvent {
    enum Kind: UInt8 {
        /// A worker slot finished the request's own work.
        case workDone
        /// The head of a queue reached its deadline. replica == -1 is the shared queue.
        case queueDeadline
        case replicaReady
        /// `target` is the node.
        case nodeReady
        /// A retry's backoff ended: `jobParent` is the caller (a parent record, or an encoded client).
        case retry
        /// Liveness and readiness checks of service `target`.
        case probe
        /// Replica `replica` (of `incarnation`) of service `target` went over its memory limit.
        case oomKill
        /// A caller's per-try timeout: `jobParent` is the parent record, `jobArrival` the try's start.
        case tryDeadline
    }
    var jobArrival: Int64 = 0
    var jobParent: Int32 = -1
    var replica: Int32 = -1
    var incarnation: UInt32 = 0
    var target: Int16
    var kind: Kind

    var job: Job { Job(arrival: jobArrival, parent: jobParent) }

    static func workDone(service: Int32, replica: Int32, incarnation: UInt32, job: Job) -> WorldEvent {
        WorldEvent(jobArrival: job.arrival, jobParent: job.parent, replica: replica, incarnation: incarnation,
                   target: Int16(service), kind: .workDone)
    }
    static func queueDeadline(service: Int32, replica: Int32, incarnation: UInt32) -> WorldEvent {
        WorldEvent(replica: replica, incarnation: incarnation, target: Int16(service), kind: .queueDeadline)
    }
    static func replicaReady(service: Int32, replica: Int32, incarnation: UInt32) -> WorldEvent {
        WorldEvent(replica: replica, incarnation: incarnation, target: Int16(service), kind: .replicaReady)
    }
    static func nodeReady(node: Int32, incarnation: UInt32) -> WorldEvent {
        WorldEvent(incarnation: incarnation, target: Int16(node), kind: .nodeReady)
    }
    static func retry(caller: Int32) -> WorldEvent {
        WorldEvent(jobParent: caller, target: 0, kind: .retry)
    }
    static func probe(service: Int32) -> WorldEvent {
        WorldEvent(target: Int16(service), kind: .probe)
    }
    static func tryDeadline(caller: Int32, tryStart: Int64) -> WorldEvent {
        WorldEvent(jobArrival: tryStart, jobParent: caller, target: 0, kind: .tryDeadline)
    }
    static func oomKill(service: Int32, replica: Int32, incarnation: UInt32) -> WorldEvent {
        WorldEvent(replica: replica, incarnation: incarnation, target: Int16(service), kind: .oomKill)
    }
}

/// The modelled cluster on a virtual clock: nodes, replicas, services, queues, load balancing
/// and the traffic that hits them.
///
/// Driven in steps (`run(until:)`); between steps a driver scrapes observations (`scrape()`) and
/// applies control actions (`setDesiredReplicas`, `provisionNode` …). Everything is single-threaded
/// and deterministic for a given spec and seed.
///
/// Noncopyable: a world is never duplicated (run another with the same spec and seed instead), so
/// its per-request state lives in uniquely held storage (`UniqueArray`) that mutates in place
/// with no copy-on-write check (with ordinary arrays, some 15 % of the instructions per request).
public struct ClusterSimulation: ~Copyable {
    public let spec: ClusterSpec
    public let seed: UInt64
    var events = EventQueue<WorldEvent>()
    var services = UniqueArray<ServiceState>()
    var nodes: [NodeRecord] = []
    var arrivalProcesses = UniqueArray<ArrivalProcess>()
    var nextArrivals = NextArrivals()
    var trafficTargets: [Int32]
    /// Where each stream's next arrival is held in `nextArrivals`: the stream's own index, or
    /// while the world runs in parts, its index among its part's streams.
    var streamLeaf: [Int32]
    /// The world's independent parts, when it runs in parts (see `ClusterSimulation+Parts.swift`).
    var parts = Parts()
    /// Requests waiting for downstream calls: a slab with a free list.
    var parents: [ParentRecord] = []
    var freeParents: [Int32] = []
    /// External requests whose clients retry: a slab with a free list; per stream, its policy,
    /// budget and backoff stream.
    var clients: [ClientRecord] = []
    var freeClients: [Int32] = []
    var trafficRetry: [RetryPolicy]
    var trafficBudgets: [RetryBudget]
    var trafficRetryRngs: [RandomStream]
    /// Ready replicas on drained nodes whose eviction their disruption budget refused, oldest first.
    var blockedEvictions: [(service: Int32, replica: Int32, incarnation: UInt32)] = []
    /// Replicas waiting for a node with room, in creation order.
    var unplaced = Deque<(service: Int32, replica: Int32, incarnation: UInt32)>()
    var nodeStartupRng: RandomStream
    var horizon: Double = .infinity
    var lastScrape: Int64 = 0
    /// The services as flows (`Fidelity.fluid`); nil at request level.
    var fluid: FluidWorld?
    /// Called for every replica and node lifecycle change (for the event log).
    public var lifecycleHook: ((TimelineEvent) -> Void)?

    public let serviceIndex: [String: Int]

    /// Builds the cluster at time 0: nodes up, initial replicas already ready (a warm start).
    ///
    /// - Parameter horizon: when external arrivals stop (as `setHorizon`). Give it here when it is
    ///   known: each stream's first arrival is drawn now, and without a horizon a stream that never
    ///   sends (a replayed trace of zeros) would be searched to the end of time.
    public init(spec: ClusterSpec, seed: UInt64, horizon: SimTime? = nil) {
        self.spec = spec
        self.seed = seed
        if let horizon { self.horizon = horizon.seconds }
        var index: [String: Int] = [:]
        for (i, s) in spec.services.enumerated() { index[s.name] = i }
        serviceIndex = index
        trafficTargets = spec.traffic.map { Int32(index[$0.service] ?? 0) }
        streamLeaf = spec.traffic.indices.map(Int32.init)
        trafficRetry = spec.traffic.map(\.retry)
        trafficBudgets = spec.traffic.map { RetryBudget($0.retry) }
        trafficRetryRngs = spec.traffic.indices.map { RandomStream(seed: seed, name: "retries/traffic-\($0)") }
        nodeStartupRng = RandomStream(seed: seed, name: "node-startup")
        for s in spec.services {
            var service = ServiceState(spec: s, seed: seed)
            service.callTargets = s.calls.compactMap { index[$0].map(Int32.init) }
            service.edges = s.calls.filter { index[$0] != nil }.map { CallEdge(s.callPolicies[$0] ?? CallPolicy()) }
            services.append(service)
        }
        for t in spec.traffic { arrivalProcesses.append(ArrivalProcess(traffic: t, seed: seed)) }
        for (p, pool) in spec.pools.enumerated() {
            for k in 0..<pool.count { addNode(pool: p, ordinal: k, phase: .up) }
        }
        for s in services.indices {
            for _ in 0..<services[s].desired { createReplica(Int32(s), warm: true) }
        }
        if spec.fidelity == .fluid {
            fluid = FluidWorld(spec: spec, seed: seed, serviceIndex: index)
        } else {
            for t in arrivalProcesses.indices { scheduleNextArrival(Int32(t)) }
        }
        for s in services.indices { scheduleProbes(Int32(s)) }
        if spec.fidelity != .fluid { parts = Parts.of(self) }
    }

    public var now: SimTime { events.now }
    public var eventsProcessed: UInt64 { events.processed }

    /// Stops generating external arrivals after `end` (so a run ends at its horizon).
    public mutating func setHorizon(_ end: SimTime) { horizon = end.seconds }

    /// Processes every event up to and including `time`.
    public mutating func run(until time: SimTime) { _ = run(until: time, stopIf: { false }) }

    /// Like `run(until:)`, asking `shouldStop` every 65 536 events (so a run whose traffic is too heavy
    /// to reach its next scrape soon can still be interrupted). Returns false when it stopped early:
    /// asked to, or because its queues hold more than `backlogLimit` requests (`backlogOverflowed`).
    public mutating func run(until time: SimTime, stopIf shouldStop: () -> Bool) -> Bool {
        if isFluid { return runFluid(until: time, stopIf: shouldStop) }
        if parts.enabled { return runInParts(until: time, stopIf: shouldStop) }
        return runInOrder(until: time, stopIf: shouldStop)
    }

    /// Every event of the world in time order, on one queue, up to and including `time`.
    mutating func runInOrder(until time: SimTime, stopIf shouldStop: () -> Bool) -> Bool {
        var steps: UInt32 = 0
        while true {
            steps &+= 1
            if steps & 0xFFFF == 0, shouldStop() || backlogOverflows() { return false }
            let a = nextArrivals.earliest
            if a.time != .max, a.time <= time.nanoseconds, events.precedesQueued(time: SimTime(nanoseconds: a.time), sequence: a.sequence) {
                events.deliverOutside(at: SimTime(nanoseconds: a.time))
                arrive(Int32(a.stream))
            } else if let e = events.next(notAfter: time) {
                handle(e)
            } else {
                break
            }
        }
        if events.now < time { events.advance(to: time) }
        return true
    }

    /// Most requests the world holds in queues at once, all services together: an unbounded queue
    /// under more traffic than it can serve would otherwise grow until memory runs out (16 bytes a
    /// request, twice that while a queue's storage doubles: about 640 MiB here).
    public static let backlogLimit = 20_000_000

    /// Requests waiting in queues now, all services together.
    public var queuedRequests: Int {
        var n = 0
        for s in services.indices { n += services[s].queuedTotal }
        return n
    }

    /// True once the backlog passed `backlogLimit`: the run stopped there (see `run(until:stopIf:)`).
    public private(set) var backlogOverflowed = false

    mutating func backlogOverflows() -> Bool {
        if queuedRequests > ClusterSimulation.backlogLimit { backlogOverflowed = true }
        return backlogOverflowed
    }

    /// The next external arrival of traffic stream `t` is now.
    @inline(__always)
    mutating func arrive(_ t: Int32) {
        let s = trafficTargets[Int(t)]
        if services[Int(s)].arrivalDrop > 0, services[Int(s)].faultRng.uniform() < services[Int(s)].arrivalDrop {
            scheduleNextArrival(t)  // these clients are gone (a traffic drop): the arrival never comes
            return
        }
        let job = Job(arrival: events.now.nanoseconds, parent: -1)
        if arrivalProcesses[Int(t)].retries {
            for _ in 0..<arrivalProcesses[Int(t)].batchSize() { arriveRetrying(t, at: s) }
        } else if arrivalProcesses[Int(t)].singleRequests {
            route(s, job)
        } else {
            for _ in 0..<arrivalProcesses[Int(t)].batchSize() { route(s, job) }
        }
        scheduleNextArrival(t)
    }

    @inline(__always)
    mutating func handle(_ e: WorldEvent) {
        let target = Int32(e.target)
        switch e.kind {
        case .workDone:
            workDone(target, e.replica, e.incarnation, e.job)
        case .queueDeadline:
            queueDeadline(target, e.replica, e.incarnation)
        case .replicaReady:
            replicaReady(target, e.replica, e.incarnation)
        case .nodeReady:
            nodeReady(target, e.incarnation)
        case .retry:
            retryNow(e.jobParent)
        case .probe:
            probe(target)
        case .oomKill:
            oomKilled(target, e.replica, e.incarnation)
        case .tryDeadline:
            tryDeadline(e.jobParent, tryStart: e.jobArrival)
        }
    }

    /// Draws stream `t`'s next arrival, with a sequence number taken now as if it were queued now.
    @inline(__always)
    mutating func scheduleNextArrival(_ t: Int32) {
        let leaf = Int(streamLeaf[Int(t)])
        if let at = arrivalProcesses[Int(t)].next(horizon: horizon) {
            nextArrivals.set(leaf, stream: Int(t), time: Int64(at * 1e9), sequence: events.reserveSequence())
        } else {
            nextArrivals.set(leaf, stream: Int(t), time: .max, sequence: .max)
        }
    }

    // MARK: Requests

    /// Sends `count` requests to a service right now, as external traffic would (for harnesses and
    /// hand-built test cases that need exact arrival instants).
    public mutating func inject(service: Int, count: Int = 1) {
        if isFluid { fluid!.services[service].offeredExternal += Double(count); return }
        for _ in 0..<count { route(Int32(service), Job(arrival: events.now.nanoseconds, parent: -1)) }
    }

    /// Offers a request to service `s`: it starts, waits in a queue, or is turned away.
    @inline(__always)
    mutating func route(_ s: Int32, _ job: Job) {
        let now = events.now.nanoseconds
        switch services[Int(s)].admit(job, now: now) {
        case .started(let r, let incarnation, let done):
            scheduleWorkDone(s, r, incarnation, job, at: done)
            if services[Int(s)].replicas[Int(r)].busy > services[Int(s)].requestsBeforeOOM { oomKill(s, r) }
        case .queued(let r):
            armDeadline(s, r)
        case .rejected:
            failCaller(of: job, .rejected)
        }
    }

    /// Starts `job` on a free slot of replica `r`.
    @inline(__always)
    mutating func startJob(_ s: Int32, _ r: Int32, _ job: Job) {
        let (incarnation, done) = services[Int(s)].start(r, job, now: events.now.nanoseconds)
        scheduleWorkDone(s, r, incarnation, job, at: done)
        if services[Int(s)].replicas[Int(r)].busy > services[Int(s)].requestsBeforeOOM { oomKill(s, r) }
    }

    @inline(__always)
    mutating func scheduleWorkDone(_ s: Int32, _ r: Int32, _ incarnation: UInt32, _ job: Job, at done: Int64) {
        events.schedule(.workDone(service: s, replica: r, incarnation: incarnation, job: job), at: SimTime(nanoseconds: done))
    }

    @inline(__always)
    mutating func workDone(_ s: Int32, _ r: Int32, _ inc: UInt32, _ job: Job) {
        let si = Int(s), ri = Int(r)
        guard services[si].replicas[ri].incarnation == inc else {
            // The replica died with this request in flight; it was counted as failed then.
            // The caller learns of it now, when the response would have come.
            failCaller(of: job, .failed)
            return
        }
        if services[si].errorFraction > 0, services[si].faultRng.uniform() < services[si].errorFraction {
            finishJob(s, r, job, ok: false)
            return
        }
        if !services[si].callTargets.isEmpty {
            let id = allocateParent(ParentRecord(service: s, replica: r, incarnation: inc, job: job, nextCall: 0))
            callDownstream(id)
            return
        }
        finishJob(s, r, job, ok: true)
    }

    /// Ends a request that holds a worker slot on replica r: frees the slot, tells the caller,
    /// and hands the slot its next request if one waits.
    @inline(__always)
    mutating func finishJob(_ s: Int32, _ r: Int32, _ job: Job, ok: Bool) {
        let now = events.now.nanoseconds
        if job.parent == -1 {
            // Nobody to tell: count it, free the slot and look for waiting work in one step.
            if !services[Int(s)].finish(r, job, ok: ok, now: now) { slotFreed(s, r) }
            return
        }
        let outcome = services[Int(s)].complete(job, ok: ok, now: now)
        tellCaller(of: job, outcome)  // while this request still holds its slot
        services[Int(s)].release(r, now: now)
        slotFreed(s, r)
    }

    /// A slot on replica r was just freed: give it the next waiting request, let a draining
    /// replica end, or hand the connection on.
    mutating func slotFreed(_ s: Int32, _ r: Int32) {
        let si = Int(s), ri = Int(r)
        let phase = services[si].replicas[ri].phase
        let connection = services[si].busyTotal < services[si].connectionPool
        if services[si].sharedQueueMode {
            if phase == .ready, connection, let job = popLive(si, -1) {
                startJob(s, r, job)
            } else if phase == .ready, services[si].replicas[ri].freePosition < 0, services[si].replicas[ri].readyPosition >= 0 {
                services[si].addToFreeList(r)
            }
        } else if connection, services[si].replicas[ri].queued > 0, let job = popLive(si, r) {
            startJob(s, r, job)
        } else if connection, !services[si].waitingForConnection.isEmpty {
            serveWaitingForConnection(si)
        }
        if phase == .draining, services[si].replicas[ri].busy == 0, services[si].replicas[ri].queued == 0 {
            terminateReplica(s, r, reason: "drained")
        }
    }

    /// Hands free connections to replicas whose queued requests wait only for one.
    mutating func serveWaitingForConnection(_ si: Int) {
        while services[si].busyTotal < services[si].connectionPool, let r = services[si].waitingForConnection.popFirst() {
            let ri = Int(r)
            let phase = services[si].replicas[ri].phase
            guard phase == .ready || phase == .draining, services[si].replicas[ri].busy < services[si].concurrency,
                  let job = popLive(si, r) else { continue }
            startJob(Int32(si), r, job)
            if services[si].replicas[ri].queued > 0, services[si].replicas[ri].busy < services[si].concurrency {
                services[si].waitingForConnection.append(r)
            }
        }
    }

    /// Resizes a service's connection pool (a control action); waiting requests take new connections at once.
    public mutating func setConnectionPool(service si: Int, size: Int) {
        services[si].connectionPool = max(1, size)
        if services[si].sharedQueueMode {
            while services[si].busyTotal < services[si].connectionPool, !services[si].sharedQueue.isEmpty,
                  let r = services[si].withFreeSlot.last, let job = popLive(si, -1) {
                startJob(Int32(si), r, job)
            }
        } else {
            // Every replica with a free slot and a queue may now be waiting for a connection.
            for r in services[si].ready where services[si].replicas[Int(r)].busy < services[si].concurrency
                && services[si].replicas[Int(r)].queued > 0 {
                services[si].waitingForConnection.append(r)
            }
            serveWaitingForConnection(si)
        }
    }

    public func connectionPool(service si: Int) -> Int? { services[si].spec.connectionPool == nil ? nil : services[si].connectionPool }

    // MARK: Queue deadlines

    /// Pops the next request whose client is still waiting; expired ones are counted as timed out
    /// and their callers told.
    @inline(__always)
    mutating func popLive(_ si: Int, _ r: Int32) -> Job? {
        let now = events.now.nanoseconds
        while true {
            switch services[si].dequeue(r, now: now) {
            case .live(let job): return job
            case .expired(let job): failCaller(of: job, .timedOut)
            case .empty: return nil
            }
        }
    }

    /// Ensures one deadline event is pending for a non-empty queue (FIFO + one timeout per service
    /// means the head always expires first, so one timer per queue is enough).
    mutating func armDeadline(_ s: Int32, _ r: Int32) {
        let si = Int(s)
        guard let timeout = services[si].timeoutNs else { return }
        let head: Job?
        let inc: UInt32
        if r < 0 {
            if services[si].sharedTimerArmed { return }
            head = services[si].sharedQueue.first; inc = 0
            services[si].sharedTimerArmed = head != nil
        } else {
            let ri = Int(r)
            if services[si].replicas[ri].timerArmed { return }
            head = services[si].replicas[ri].queue.first; inc = services[si].replicas[ri].incarnation
            services[si].replicas[ri].timerArmed = head != nil
        }
        if let head {
            events.schedule(.queueDeadline(service: s, replica: r, incarnation: inc),
                            at: SimTime(nanoseconds: max(events.now.nanoseconds, head.arrival + timeout)))
        }
    }

    mutating func queueDeadline(_ s: Int32, _ r: Int32, _ inc: UInt32) {
        let si = Int(s)
        guard services[si].timeoutNs != nil else { return }
        let now = events.now.nanoseconds
        if r < 0 {
            services[si].sharedTimerArmed = false
        } else {
            guard services[si].replicas[Int(r)].incarnation == inc else { return }
            services[si].replicas[Int(r)].timerArmed = false
        }
        while let job = services[si].dequeueExpired(r, now: now) {
            failCaller(of: job, .timedOut)
        }
        if r >= 0 {
            let ri = Int(r)
            if services[si].replicas[ri].phase == .draining, services[si].replicas[ri].busy == 0,
               services[si].replicas[ri].queued == 0 {
                terminateReplica(s, r, reason: "drained")
                return
            }
        }
        armDeadline(s, r)
    }

    // MARK: Accounting

    /// Integrates service `si`'s busy slots, ready slots and held replicas up to now.
    @inline(__always)
    mutating func account(_ si: Int) { services[si].account(events.now.nanoseconds) }
}
