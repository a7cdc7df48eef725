import BasicContainers
import DequeModule
import SimulationKernel

/// A request waiting or in service. `parent` links a downstream call to the request that made it
/// (≥ 0: `parents[parent]`); -1 is an external request with nobody to tell; ≤ -2 is an external
/// request whose client may retry (`clients[-2 - parent]`).
struct Job {
    var arrival: Int64
    var parent: Int32
}

/// One call edge of a service: how it retries and whether its breaker lets calls through.
struct CallEdge {
    let retry: RetryPolicy
    var budget: RetryBudget
    var breaker: CircuitBreaker?
    /// Whether `breaker` is set: asked on every call, where reading the optional itself copies it.
    let hasBreaker: Bool
    init(_ policy: CallPolicy) {
        retry = policy.retry; budget = RetryBudget(policy.retry); breaker = policy.breaker.map(CircuitBreaker.init)
        hasBreaker = breaker != nil
    }
}

/// An external request whose client retries: which stream it came from and how far it got.
struct ClientRecord {
    var stream: Int32
    var attempt: Int32
    var previousDelay: Double
}

/// How one try ended.
enum TryOutcome: UInt8 {
    case succeeded, timedOut, failed, rejected

    /// Whether `policy` retries this outcome.
    func isRetried(by policy: RetryPolicy) -> Bool {
        switch self {
        case .succeeded: return false
        case .timedOut: return policy.retryOn.contains(.timeout)
        case .failed: return policy.retryOn.contains(.error)
        case .rejected: return policy.retryOn.contains(.rejected)
        }
    }
}

/// Where a replica is in its life.
public enum ReplicaPhase: String, Sendable {
    /// No node has room for it yet.
    case pending
    /// Placed on a node; start-up latency running.
    case starting
    case ready
    /// Finishing its work; receives no new requests.
    case draining
    case terminated
}

struct ReplicaState {
    /// Bumped whenever the slot is reused or the replica dies, so stale events are recognised.
    var incarnation: UInt32 = 0
    var phase: ReplicaPhase = .terminated
    var node: Int32 = -1
    var busy: Int32 = 0
    /// Waiting requests (load-balanced routing only).
    var queue = Deque<Job>()
    /// `queue.count`, kept inline so least-outstanding routing reads no queue storage.
    var queued: Int32 = 0
    var timerArmed = false
    /// Index in the service's `ready` list, or -1.
    var readyPosition: Int32 = -1
    /// Index in the service's `withFreeSlot` list (shared queue only), or -1.
    var freePosition: Int32 = -1
    /// Liveness probes failed in a row; out of the load balancer because its readiness check fails.
    var probeFailures: UInt8 = 0
    var unreadyByProbe = false

    /// Requests in service plus queued: what least-outstanding routing compares.
    @inline(__always) var outstanding: Int32 { busy &+ queued }
}

enum NodePhase: String { case provisioning, up, down, removed }

/// A node of the world (its published state is Telemetry's `NodeState`).
struct NodeRecord {
    var name: String
    var pool: Int
    var zone: String
    var cpuCapacity: Int
    var memoryCapacity: Int
    var cpuUsed = 0
    var memoryUsed = 0
    var replicas = 0
    var phase: NodePhase
    var reachable = true
    var incarnation: UInt32 = 0
    /// Drained gracefully and not yet announced to heartbeat listeners.
    var announceLeaving = false
}

/// Interval counters, reset at every scrape (after being folded into the run's totals).
struct IntervalCounters {
    // Those every request updates first, so that they share one cache line.
    var arrivals = 0
    /// Busy slots integrated over time, in slot-nanoseconds (integer: it is updated per request).
    var busySlotNanos: Int64 = 0
    var waitSum = 0.0
    /// Requests that started service (and so have a queue wait).
    var waitCount = 0
    var completed = 0
    var latencySum = 0.0
    /// External requests that finally succeeded here (their last try included).
    var goodput = 0
    var failed = 0, rejected = 0, timedOut = 0
    /// Arrivals that were retries; rejections that were shedding or rate limiting.
    var retries = 0, shed = 0
    var slotArea = 0.0
    var replicaArea = 0.0
    /// Busy slot-seconds.
    var busyArea: Double { Double(busySlotNanos) * 1e-9 }
}

/// Whole-run totals, for the summary and the conservation check.
public struct ServiceTotals: Sendable, Equatable {
    public var arrivals = 0, completed = 0, failed = 0, rejected = 0, timedOut = 0
    public var retries = 0, shed = 0, goodput = 0
    public var waitSum = 0.0
    public var started = 0
    public var latencySum = 0.0
    public var replicaSeconds = 0.0
    public var errors: Int { failed + rejected + timedOut }
}

/// A service's state. Noncopyable, like the simulation that owns it: its per-request storage is
/// held uniquely (`UniqueArray`), so mutating it needs no copy-on-write check.
struct ServiceState: ~Copyable {
    // MARK: Read or written by every request
    //
    // Together at the start, in the order a request meets them: in a model of hundreds of
    // services a service's state has left the nearest cache by its next request, so every cache
    // line a request touches is a miss (this layout halved the lines a request reads).
    let sharedQueueMode: Bool
    let routing: Routing
    /// Admission control (`spec.admission`): whether there is any.
    let admits: Bool
    let concurrency: Int32
    /// Requests in service at which a replica exceeds its memory limit (Int32.max: no limit).
    let requestsBeforeOOM: Int32
    var rrCursor = 0
    var busyTotal = 0
    /// When busy slots were last integrated up to.
    var lastBusyAccount: Int64 = 0
    /// Connections available (Int.max when the service has no pool).
    var connectionPool: Int
    var replicas = UniqueArray<ReplicaState>()
    /// Routable replicas; for least-outstanding routing, also grouped by load (`byLoad`).
    var ready: [Int32] = []
    /// The work of the next request to start, drawn one start ahead: the k-th request still gets
    /// the stream's k-th draw, but the draw (a log-normal's `exp` is a long chain of dependent
    /// arithmetic) is done before it is needed, so the event list's insert — whose every
    /// comparison waits on this number — does not wait on the draw as well.
    var nextWork = 0.0
    var serviceRng: RandomStream
    /// The service-time distribution in a form that samples without copying the spec's enum.
    let serviceTime: ServiceTimeSampler
    /// Extra work factor and latency for injected faults (1 and nil when healthy).
    var slowdown = 1.0
    var extraLatency: Distribution? = nil
    /// CPU limit of a replica (0: none) and the CPU one busy worker slot demands, in millicores.
    let cpuLimitMillicores: Double
    var errorFraction = 0.0
    let timeoutNs: Int64?
    var callTargets: [Int32] = []
    var interval = IntervalCounters()
    var latencies = IntervalLatencies()
    /// Load-balanced replicas with queued requests that wait only for a connection.
    var waitingForConnection = Deque<Int32>()
    var queuedTotal = 0

    // MARK: Read when requests queue, replicas change, or faults and scrapes come

    let queueCapacity: Int
    /// Per call (aligned with `callTargets`): retry policy, its budget, the breaker.
    var edges: [CallEdge] = []
    var retryRng: RandomStream
    /// Admission control's queue-wait bound and limiter.
    let maxQueueWaitNs: Int64
    var rateLimiter: TokenBucket?
    let cpuPerBusySlotMillicores: Double
    /// Queue wait after which a replica serves newest first (Int64.max: always FIFO).
    let lifoAfterNs: Int64

    var unusedSlots: [Int32] = []
    var byLoad = LeastLoadedIndex()
    /// Whether `byLoad` is kept (least-outstanding routing only).
    var indexesLoad: Bool { routing == .leastOutstanding }
    var withFreeSlot: [Int32] = []
    var sharedQueue = Deque<Job>()
    var sharedTimerArmed = false

    var desired: Int
    var pendingCount = 0
    var startingCount = 0
    var drainingCount = 0
    var readySlots = 0
    /// When ready slots and held replicas were last integrated up to.
    var lastCapacityAccount: Int64 = 0

    var startupRng: RandomStream
    var routeRng: RandomStream
    var startupMultiplier = 1.0
    var faultRng: RandomStream
    /// Share of external arrivals that never come (a traffic-drop fault); 0 when healthy.
    var arrivalDrop = 0.0
    /// Memory each replica slot has leaked (a memory-leak fault), MiB; empty until a leak starts.
    var leakedMiB: [Double] = []

    /// Totals up to the last scrape; `runTotals` adds the interval in progress. (The hot path
    /// counts each thing once, in `interval`.)
    var totals = ServiceTotals()
    /// The run's latencies in µs, 1 µs … 1 h at 2 significant digits (±1 %): plenty to compare
    /// with an SLO, and a tenth of the buckets of 3 digits. `IntervalLatencies` uses the same layout.
    var runLatencies = RunLatencies()
    /// Last: it is large and read rarely.
    let spec: ServiceSpec

    init(spec: ServiceSpec, seed: UInt64) {
        self.spec = spec
        sharedQueueMode = spec.routing == .sharedQueue
        routing = spec.routing
        concurrency = Int32(max(1, spec.concurrency))
        queueCapacity = spec.queueCapacity ?? Int.max
        timeoutNs = spec.timeout?.nanoseconds
        desired = spec.replicas
        serviceTime = ServiceTimeSampler(spec.serviceTime)
        connectionPool = spec.connectionPool ?? Int.max
        serviceRng = RandomStream(seed: seed, name: "service-time/\(spec.name)")
        startupRng = RandomStream(seed: seed, name: "startup/\(spec.name)")
        routeRng = RandomStream(seed: seed, name: "routing/\(spec.name)")
        faultRng = RandomStream(seed: seed, name: "fault-effects/\(spec.name)")
        retryRng = RandomStream(seed: seed, name: "retries/\(spec.name)")
        admits = spec.admission != nil
        maxQueueWaitNs = spec.admission?.maxQueueWait?.nanoseconds ?? .max
        rateLimiter = spec.admission?.rateLimit.map { TokenBucket(rate: $0.rate, burst: $0.burst) }
        requestsBeforeOOM = spec.requestsBeforeOOM
        cpuLimitMillicores = Double(spec.cpuLimitMillicores ?? 0)
        cpuPerBusySlotMillicores = spec.cpuSecondsPerRequest.map { 1000 * $0 / max(1e-9, spec.serviceTime.mean) } ?? 1000
        lifoAfterNs = spec.admission?.lifoAfter?.nanoseconds ?? .max
        nextWork = drawWork()
    }

    var readyCount = 0
    var activeCount: Int { pendingCount + startingCount + readyCount }
    var inSystem: Int { busyTotal + queuedTotal }

    /// Folds the interval just scraped into the run's totals and histogram, and starts afresh.
    mutating func foldInterval() {
        totals = runTotals
        totals.replicaSeconds += interval.replicaArea
        latencies.add(into: &runLatencies)
        latencies.reset()
        interval = IntervalCounters()
    }

    var runTotals: ServiceTotals {
        var t = totals
        t.arrivals += interval.arrivals
        t.completed += interval.completed
        t.failed += interval.failed
        t.rejected += interval.rejected
        t.timedOut += interval.timedOut
        t.retries += interval.retries
        t.shed += interval.shed
        t.goodput += interval.goodput
        t.waitSum += interval.waitSum
        t.started += interval.waitCount
        t.latencySum += interval.latencySum
        return t
    }
}

extension ServiceState {
    /// Memory the live replicas have leaked (a memory-leak fault), MiB.
    var leakedTotal: Double {
        guard !leakedMiB.isEmpty else { return 0 }
        var total = 0.0
        for r in leakedMiB.indices where replicas[r].phase == .starting || replicas[r].phase == .ready || replicas[r].phase == .draining {
            total += leakedMiB[r]
        }
        return total
    }

    /// What replica `r` holds: half its request when idle, its in-flight requests' memory, and any leak (MiB).
    func memoryInUse(_ r: Int) -> Double {
        0.5 * Double(spec.memoryMiB) + Double(replicas[r].busy) * spec.memoryPerRequestMiB + (r < leakedMiB.count ? leakedMiB[r] : 0)
    }
}
