import SimulationKernel

/// When a caller stops calling a failing service for a while (per call edge).
///
/// Closed → open when `consecutiveFailures` calls in a row fail, or when at least `minimumCalls`
/// calls in the current `window` failed at `errorRate` or more. Open: calls fail at once, for
/// `openFor`. Then half-open: up to `halfOpenProbes` calls go through; the first failure re-opens it,
/// `halfOpenProbes` successes close it.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    public var consecutiveFailures: Int?
    public var errorRate: Double?
    public var minimumCalls: Int
    public var window: SimDuration
    public var openFor: SimDuration
    public var halfOpenProbes: Int

    public init(consecutiveFailures: Int? = 5, errorRate: Double? = nil, minimumCalls: Int = 20, window: SimDuration = .seconds(10),
                openFor: SimDuration = .seconds(30), halfOpenProbes: Int = 1) {
        self.consecutiveFailures = consecutiveFailures; self.errorRate = errorRate; self.minimumCalls = minimumCalls
        self.window = window; self.openFor = openFor; self.halfOpenProbes = halfOpenProbes
    }

    public func problems(at path: String) -> [(path: String, message: String)] {
        var out: [(String, String)] = []
        if consecutiveFailures == nil && errorRate == nil { out.append((path, "needs a trip condition: consecutiveFailures or errorRate")) }
        if let n = consecutiveFailures, !(1...1_000_000).contains(n) { out.append((path + ".consecutiveFailures", "must be 1…10⁶ (was \(n))")) }
        if let r = errorRate, !(r > 0 && r <= 1) { out.append((path + ".errorRate", "must be in (0, 1] (was \(r))")) }
        if !(1...1_000_000).contains(minimumCalls) { out.append((path + ".minimumCalls", "must be 1…10⁶")) }
        if window.nanoseconds <= 0 { out.append((path + ".window", "must be positive")) }
        if openFor.nanoseconds <= 0 { out.append((path + ".openFor", "must be positive")) }
        if !(1...10_000).contains(halfOpenProbes) { out.append((path + ".halfOpenProbes", "must be 1…10000")) }
        return out
    }
}

/// A circuit breaker's state machine. O(1) per call; times are nanoseconds.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable, Equatable { case closed, open, halfOpen = "half-open" }

    public let policy: CircuitBreakerPolicy
    public private(set) var state: State = .closed
    private var consecutive = 0
    private var windowStart: Int64 = 0
    private var windowCalls = 0
    private var windowFailures = 0
    private var openUntil: Int64 = 0
    /// Half-open: probes let through and successes among them.
    private var probesSent = 0
    private var probeSuccesses = 0
    /// Times the breaker opened (for the timeline and tests).
    public private(set) var trips = 0

    public init(_ policy: CircuitBreakerPolicy) { self.policy = policy }

    /// Whether a call may go now (counting it as a probe when half-open).
    public mutating func allow(now: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .open:
            guard now >= openUntil else { return false }
            state = .halfOpen; probesSent = 0; probeSuccesses = 0
            fallthrough
        case .halfOpen:
            guard probesSent < policy.halfOpenProbes else { return false }
            probesSent += 1
            return true
        }
    }

    /// The outcome of a call that `allow` let through. Returns true when this outcome opened the breaker.
    @discardableResult
    public mutating func record(success: Bool, now: Int64) -> Bool {
        switch state {
        case .open:
            return false   // a call let through before it opened
        case .halfOpen:
            if !success { open(now); return true }
            probeSuccesses += 1
            if probeSuccesses >= policy.halfOpenProbes { close(now) }
            return false
        case .closed:
            if now - windowStart >= policy.window.nanoseconds { windowStart = now; windowCalls = 0; windowFailures = 0 }
            windowCalls += 1
            if success { consecutive = 0; return false }
            consecutive += 1
            windowFailures += 1
            let byCount = policy.consecutiveFailures.map { consecutive >= $0 } ?? false
            let byRate = policy.errorRate.map { windowCalls >= policy.minimumCalls && Double(windowFailures) >= $0 * Double(windowCalls) } ?? false
            if byCount || byRate { open(now); return true }
            return false
        }
    }

    private mutating func open(_ now: Int64) {
        state = .open; openUntil = now + policy.openFor.nanoseconds; trips += 1
    }

    private mutating func close(_ now: Int64) {
        state = .closed; consecutive = 0; windowStart = now; windowCalls = 0; windowFailures = 0
    }
}
