import SimulationKernel

/// How a service protects itself from more work than it can do: requests it turns away at once are
/// *shed* (counted as rejected, and separately as shed), so the ones it keeps finish in time.
public struct AdmissionControl: Sendable, Equatable {
    /// Reject an arrival when the request at the head of the queue it would join has waited longer
    /// than this (CoDel's signal: standing queue delay, not queue length). nil = no bound.
    public var maxQueueWait: SimDuration?
    /// A token bucket per service: at most `rate` requests per second, bursts of `burst`. nil = none.
    public var rateLimit: (rate: Double, burst: Double)?
    /// Serve newest first once the oldest queued request has waited this long (adaptive LIFO, as in
    /// Facebook's "Fail at Scale"): under overload the requests served are ones whose clients still wait.
    /// Load-balanced queues only; nil = always FIFO.
    public var lifoAfter: SimDuration?

    public init(maxQueueWait: SimDuration? = nil, rateLimit: (rate: Double, burst: Double)? = nil, lifoAfter: SimDuration? = nil) {
        self.maxQueueWait = maxQueueWait; self.rateLimit = rateLimit; self.lifoAfter = lifoAfter
    }

    public static func == (a: AdmissionControl, b: AdmissionControl) -> Bool {
        a.maxQueueWait == b.maxQueueWait && a.rateLimit?.rate == b.rateLimit?.rate && a.rateLimit?.burst == b.rateLimit?.burst
            && a.lifoAfter == b.lifoAfter
    }

    public func problems(at path: String) -> [(path: String, message: String)] {
        var out: [(String, String)] = []
        if let w = maxQueueWait, w.nanoseconds <= 0 { out.append((path + ".maxQueueWait", "must be positive (was \(w))")) }
        if let w = lifoAfter, w.nanoseconds <= 0 { out.append((path + ".lifoAfter", "must be positive (was \(w))")) }
        if let l = rateLimit {
            if !(l.rate.isFinite && l.rate > 0 && l.rate <= 1e9) { out.append((path + ".rateLimit", "rate must be in (0, 10⁹] requests/s (was \(l.rate))")) }
            if !(l.burst.isFinite && l.burst >= 1 && l.burst <= 1e9) { out.append((path + ".rateLimit", "burst must be 1…10⁹ (was \(l.burst))")) }
        }
        return out
    }
}

/// A token bucket refilled continuously at `rate` per second up to `burst`.
struct TokenBucket {
    let rate: Double, burst: Double
    var tokens: Double
    var last: Int64 = 0

    init(rate: Double, burst: Double) { self.rate = rate; self.burst = burst; tokens = burst }

    mutating func take(now: Int64) -> Bool {
        tokens = min(burst, tokens + Double(now - last) * 1e-9 * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
