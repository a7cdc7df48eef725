import Foundation

/// One service as flows, for the fluid fidelity: requests offered, waiting (a fluid backlog) and
/// in service (a level that empties at 1/holding time), advanced a step at a time by
/// `ClusterSimulation.advanceFluid`. Replicas, faults and scaling stay with the event-driven
/// world; a step reads them as capacity (ready slots) and effects (slowdown, extra latency,
/// errors).
///
/// Per step: the backlog takes what arrives, starts what the free slots take (a level with
/// exponential emptying, exact for any step length), drops what overflows its queues (rejected)
/// or would wait past the timeout (timed out). A request's latency is
///     the longer of the fluid wait (backlog ÷ drain rate) and the queueing wait (Erlang C,
///     Allen–Cunneen) + its work + its calls,
/// carried as moments (`LatencyMoments`), mixed over the interval by completions, and read as
/// percentiles at the scrape.
///
/// Complexity: O(1) per step (the Erlang C recursion, O(servers), is cached while servers, load
/// and holding time stay within 1 %).
struct FluidService {
    // From the spec.
    let work: LatencyMoments
    let timeout: Double?
    /// Waiting requests per replica queue (load-balanced) or in all (shared queue); ∞ = unbounded.
    let queueCapacity: Double
    let sharedQueue: Bool
    /// One c-server queue (least-outstanding and shared-queue routing pool the replicas'
    /// slots); otherwise each replica is its own queue with an equal share of the traffic.
    let pooled: Bool
    let concurrency: Int
    /// Services called in order, each holding the slot.
    let callees: [Int32]

    // State.
    var backlog = 0.0
    var inService = 0.0
    /// Requests offered during the step in progress: by external traffic, and by callers.
    var offeredExternal = 0.0
    var offeredByCallers = 0.0
    /// The same without the Poisson noise (the traffic's rate, and what callers' rates call):
    /// the load the queueing wait is computed for. From the noisy counts, Erlang C's convexity
    /// near saturation overstated the mean wait by 70 % at 80 % busy.
    var intensity = 0.0
    /// Latency injection (moments of the extra delay per request).
    var extra = LatencyMoments.zero
    /// What a caller sees of one call, as of the last step: its latency and the chance it fails.
    var response: LatencyMoments
    var failureProbability = 0.0
    /// Starts per second, smoothed over a few seconds: whether the slots are saturated.
    var startRate = 0.0
    /// Requests waiting in the c-server queue (Little's law on the Erlang C wait) beyond the
    /// fluid backlog: backlog + queued is what a queue-depth metric counts.
    var queued = 0.0
    var tally = FluidTally()
    private var queueing = QueueingCache()
    private var decayCache = DecayFactor(), smoothingCache = DecayFactor()

    init(spec: ServiceSpec, callees: [Int32]) {
        work = LatencyMoments(spec.serviceTime)
        timeout = spec.timeout?.seconds
        queueCapacity = spec.queueCapacity.map(Double.init) ?? .infinity
        sharedQueue = spec.routing == .sharedQueue
        pooled = spec.routing == .leastOutstanding || spec.routing == .sharedQueue
        concurrency = max(1, spec.concurrency)
        self.callees = callees
        response = work
    }

    /// Seconds over which the start rate is smoothed for the queueing wait.
    static let loadSmoothing = 5.0
    /// Slots busy (smoothed) beyond which the fluid backlog's wait counts: an overload.
    static let saturation = 0.95
    /// Squared coefficient of variation of arrivals for Allen–Cunneen: 1, Poisson (a batch lands
    /// in one step, so the fluid backlog carries its burst).
    static let arrivalSCV = 1.0

    /// The conditions of one step, from the event-driven world.
    struct Conditions {
        var dt: Double
        /// Routable replicas, and the worker slots they (and the connection pool) allow.
        var replicas: Int
        var slots: Int
        var slowdown: Double
        var errorFraction: Double
        /// The calls' latency and the chance one of them fails, as of the last step.
        var downstream: LatencyMoments
        var downstreamFailure: Double
    }

    /// Advances the service by one step; returns the requests whose own work went well, which
    /// go on to make the service's calls, and the same as a noise-free intensity.
    mutating func advance(_ c: Conditions) -> (calls: Double, intensity: Double) {
        var arriving = offeredExternal + offeredByCallers
        let externalShare = arriving > 0 ? offeredExternal / arriving : 0
        offeredExternal = 0; offeredByCallers = 0
        let offeredRate = intensity / c.dt
        intensity = 0
        let offered = arriving
        tally.arrivals += arriving
        var rejected = 0.0, expired = 0.0
        if !sharedQueue && c.replicas == 0 { rejected += arriving; arriving = 0 }

        let hold = work.scaled(by: c.slowdown) + extra + c.downstream
        let h = max(hold.mean, 1e-9)
        let slots = Double(c.slots)
        // Of requests started evenly over the step, the fraction still in service at its end.
        let decay = decayCache.factor(dt: c.dt, over: h)
        let stillIn = h / c.dt * (1 - decay)
        let room = max(0, slots - inService * decay) / stillIn
        let before = backlog
        let available = backlog + arriving
        let starts = min(available, room)
        backlog = available - starts
        let bound = sharedQueue ? queueCapacity : queueCapacity * Double(c.replicas)
        if backlog > bound { rejected += backlog - bound; backlog = bound }
        let drainRate = slots / h
        if let timeout, backlog > 0 {
            // FIFO: what would wait longer than the timeout is given up on by its client.
            let kept = drainRate > 0 ? min(backlog, drainRate * timeout) : backlog * max(0, 1 - c.dt / timeout)
            expired += backlog - kept
            backlog = kept
        }
        tally.busyArea += inService * h * (1 - decay) + starts * h * (1 - stillIn)
        let ended = inService * (1 - decay) + starts * (1 - stillIn)
        inService = inService * decay + starts * stillIn
        tally.started += starts

        let fluidWait = drainRate > 0 ? 0.5 * (before + backlog) / drainRate : (backlog > 0 ? c.dt : 0)
        startRate += (starts / c.dt - startRate) * (1 - smoothingCache.factor(dt: c.dt, over: FluidService.loadSmoothing))
        let loadRate = min(offeredRate, drainRate)
        let perQueue = pooled ? (servers: c.slots, load: loadRate * h)
                              : (servers: concurrency, load: loadRate * h / Double(max(1, c.replicas)))
        let waiting = queueing.wait(servers: perQueue.servers, load: perQueue.load, hold: hold, arrivalSCV: Self.arrivalSCV)
        // Both waits stand for the same queue: the fluid backlog is the part of its variation that
        // a 1 s step resolves (and all of an overload), Erlang C its whole mean in steady state.
        // Below saturation Erlang C alone is the wait (a backlog then is Poisson noise the formula
        // already counts: adding it doubled the wait of one-second work); saturated, a request
        // waits the longer of them — Erlang C's distribution, shifted by how far the backlog's wait
        // exceeds its mean. The queue holds the larger of their lengths.
        let saturated = startRate * h >= FluidService.saturation * slots
        let excess = saturated ? max(0, fluidWait - waiting.mean) : 0
        queued = max(0, startRate * waiting.mean - backlog)
        let latency = waiting + LatencyMoments(mean: excess, variance: 0) + hold
        tally.waitSum += starts * (waiting.mean + excess)

        let failedShare = 1 - (1 - c.errorFraction) * (1 - c.downstreamFailure)
        let failed = ended * failedShare
        let ok = ended - failed
        let late = timeout.map { ok * latency.exceedance($0) } ?? 0
        let served = ok - late
        tally.failed += failed
        tally.rejected += rejected
        tally.timedOut += late + expired
        tally.completed += served
        tally.goodput += served * externalShare
        tally.latency.add(latency, weight: served)

        response = latency
        let turnedAway = offered > 0 ? (rejected + expired) / offered : (!sharedQueue && c.replicas == 0 ? 1 : 0)
        let unsuccessful = ended > 0 ? (failed + late) / ended : failedShare
        failureProbability = 1 - (1 - min(1, turnedAway)) * (1 - min(1, unsuccessful))
        return (starts * (1 - c.errorFraction), loadRate * c.dt * (1 - c.errorFraction))
    }

    /// A routable replica ended: its share of the requests in service (and, with a queue per
    /// replica, of the waiting ones) is lost.
    mutating func lose(share: Double) {
        var lost = inService * share
        inService -= lost
        if !sharedQueue { lost += backlog * share; backlog -= backlog * share }
        tally.failed += lost
    }
}

/// A fluid service's counts and latency mix for the scrape interval in progress.
struct FluidTally {
    var arrivals = 0.0, completed = 0.0, failed = 0.0, rejected = 0.0, timedOut = 0.0, goodput = 0.0
    var started = 0.0, waitSum = 0.0
    /// Slot-seconds in service.
    var busyArea = 0.0
    var latency = LatencyMix()
}

/// Latencies of requests served in different states, as a weighted mixture of moments.
struct LatencyMix {
    private(set) var weight = 0.0
    private var first = 0.0, second = 0.0

    mutating func add(_ m: LatencyMoments, weight w: Double) {
        guard w > 0 else { return }
        weight += w
        first += w * m.mean
        second += w * (m.variance + m.mean * m.mean)
    }

    var moments: LatencyMoments? {
        guard weight > 1e-9 else { return nil }
        let mean = first / weight
        return LatencyMoments(mean: mean, variance: second / weight - mean * mean)
    }

    /// The total latency of the requests mixed (mean × weight).
    var sum: Double { first }
}

/// exp(−dt / τ), recomputed only when dt or τ change (steps are whole seconds but for the last
/// before an event, and holding times change with faults and load downstream only).
struct DecayFactor {
    private var dt = -1.0, tau = -1.0, value = 0.0
    mutating func factor(dt: Double, over tau: Double) -> Double {
        if dt != self.dt || tau != self.tau { self.dt = dt; self.tau = tau; value = exp(-dt / tau) }
        return value
    }
}

/// The queueing wait of a c-server queue (Erlang C for whether a request waits, Allen–Cunneen
/// for how long), recomputed only when servers change or load or holding time move by over 2 %.
struct QueueingCache {
    private var servers = -1
    private var load = -1.0, hold = -1.0
    private var value = LatencyMoments.zero

    /// Utilization is capped below 1: past it the fluid backlog carries the wait.
    static let highestUtilization = 0.98

    mutating func wait(servers c: Int, load a: Double, hold: LatencyMoments, arrivalSCV: Double) -> LatencyMoments {
        guard c > 0, a > 0, hold.mean > 0 else { return .zero }
        if c == servers, abs(a - load) <= 0.02 * load, abs(hold.mean - self.hold) <= 0.02 * self.hold { return value }
        servers = c; load = a; self.hold = hold.mean
        let rho = min(a / Double(c), Self.highestUtilization)
        // Halfin–Whitt: with β = (1 − ρ)·√c above 5 the chance of waiting is below 10⁻⁶.
        if (1 - rho) * Double(c).squareRoot() > 5 { value = .zero; return value }
        let pw = MultiServerQueue.erlangC(servers: c, offeredLoad: rho * Double(c))
        let theta = MultiServerQueue.waitRate(servers: c, meanService: hold.mean, arrivalRate: rho * Double(c) / hold.mean,
                                              arrivalSCV: arrivalSCV, serviceSCV: hold.variance / (hold.mean * hold.mean))
        // With probability pw an exponential wait of rate θ, else none.
        let mean = pw / theta
        value = LatencyMoments(mean: mean, variance: 2 * pw / (theta * theta) - mean * mean)
        return value
    }
}
