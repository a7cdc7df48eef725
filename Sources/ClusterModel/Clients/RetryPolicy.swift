import SimulationKernel

/// How a client retries a failed try: how many tries, on which failures, how long it backs off, and
/// the budget that keeps retries a bounded fraction of requests.
///
/// A try gives up at the called service's timeout (`ServiceSpec.timeout`), or for a call edge at
/// `perTryTimeout` if that comes first — then the callee keeps working on a try nobody waits for.
/// `.none` (one try) is today's behaviour and the default everywhere.
public struct RetryPolicy: Sendable, Hashable {
    /// The failures worth another try.
    public struct Conditions: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The try outlived the timeout (queued too long, or answered late).
        public static let timeout = Conditions(rawValue: 1)
        /// The service failed it (an injected error, or its replica died under it).
        public static let error = Conditions(rawValue: 2)
        /// The service turned it away (queue full, no ready replica, shed, rate-limited, breaker open).
        public static let rejected = Conditions(rawValue: 4)
        public static let all: Conditions = [.timeout, .error, .rejected]
    }

    /// How the delay before retry n is drawn from the exponential ceiling dₙ = min(cap, base·2ⁿ⁻¹)
    /// (AWS Architecture Blog, "Exponential Backoff and Jitter").
    public enum Jitter: String, Sendable, Hashable, CaseIterable {
        /// Exactly dₙ.
        case none
        /// Uniform on [0, dₙ] (Envoy, gRPC).
        case full
        /// dₙ/2 + uniform on [0, dₙ/2].
        case equal
        /// min(cap, uniform on [base, 3 × the previous delay]).
        case decorrelated
    }

    /// Tries in all, the first included (1 = never retry).
    public var maxAttempts: Int
    public var retryOn: Conditions
    public var baseDelay: SimDuration
    public var maxDelay: SimDuration
    public var jitter: Jitter
    /// Retries may be at most this fraction of first tries (Envoy's retry budget, gRPC's retry
    /// throttling): each first try earns `budget` tokens, each retry spends one. nil = unlimited.
    public var budget: Double?
    /// Tokens held at the start and at most (a burst of retries the budget allows before any request).
    public var budgetBurst: Double
    /// How long the caller waits for one try before giving up on it (the callee may keep working on it).
    /// Call edges only; nil = until the called service's own `timeout`.
    public var perTryTimeout: SimDuration? = nil

    public init(maxAttempts: Int = 1, retryOn: Conditions = .all, baseDelay: SimDuration = .milliseconds(25),
                maxDelay: SimDuration = .milliseconds(250), jitter: Jitter = .full, budget: Double? = nil, budgetBurst: Double = 10) {
        self.maxAttempts = maxAttempts; self.retryOn = retryOn; self.baseDelay = baseDelay; self.maxDelay = maxDelay
        self.jitter = jitter; self.budget = budget; self.budgetBurst = budgetBurst
    }

    /// One try, no retries.
    public static let none = RetryPolicy()

    /// `n` tries in all, exponential backoff from `base` to `max` with `jitter`, optionally within a budget.
    public static func attempts(_ n: Int, on conditions: Conditions = .all, backoff base: SimDuration = .milliseconds(25),
                                max: SimDuration = .milliseconds(250), jitter: Jitter = .full, budget: Double? = nil,
                                burst: Double = 10, perTryTimeout: SimDuration? = nil) -> RetryPolicy {
        var p = RetryPolicy(maxAttempts: n, retryOn: conditions, baseDelay: base, maxDelay: max, jitter: jitter, budget: budget, budgetBurst: burst)
        p.perTryTimeout = perTryTimeout
        return p
    }

    public var retries: Bool { maxAttempts > 1 }

    /// The ceiling dₙ for retry `n` (1 = the first retry), in seconds.
    public func ceiling(retry n: Int) -> Double {
        let base = baseDelay.seconds, cap = maxDelay.seconds
        return min(cap, base * Double(1 << UInt64(min(max(0, n - 1), 62))))
    }

    /// The delay before retry `n` (1 = the first retry); `previous` is the delay before the last
    /// retry (for decorrelated jitter; the base delay before the first).
    public func delay(retry n: Int, previous: Double, using rng: inout RandomStream) -> Double {
        let d = ceiling(retry: n)
        switch jitter {
        case .none: return d
        case .full: return rng.uniform() * d
        case .equal: return d / 2 + rng.uniform() * d / 2
        case .decorrelated:
            let base = baseDelay.seconds
            let high = max(base, previous * 3)
            return min(maxDelay.seconds, base + rng.uniform() * (high - base))
        }
    }

    /// The problems of this policy, for validation (`at` names it).
    public func problems(at path: String) -> [(path: String, message: String)] {
        var out: [(String, String)] = []
        if !(1...100).contains(maxAttempts) { out.append((path + ".maxAttempts", "must be 1…100 (was \(maxAttempts))")) }
        if baseDelay.nanoseconds < 0 || maxDelay < baseDelay {
            out.append((path + ".backoff", "needs 0 ≤ base (\(baseDelay)) ≤ max (\(maxDelay))"))
        }
        if let b = budget, !(b.isFinite && (0...100).contains(b)) { out.append((path + ".budget", "must be a fraction in 0…100 (was \(b))")) }
        if !(budgetBurst.isFinite && budgetBurst >= 0 && budgetBurst <= 1e9) { out.append((path + ".budgetBurst", "must be 0…10⁹ tokens")) }
        if let t = perTryTimeout, t.nanoseconds <= 0 { out.append((path + ".perTryTimeout", "must be > 0 (was \(t))")) }
        if retries && retryOn.isEmpty { out.append((path + ".retryOn", "retries on no failure at all")) }
        return out
    }
}

extension RetryPolicy {
    /// The backoff before retrying after try `attempt` (1 = the first) ended in `outcome`, spending a
    /// token of `budget`; nil when there is no retry (attempts used up, an outcome not retried, or the
    /// budget spent). `previous` is the last backoff (for decorrelated jitter).
    func backoff(after outcome: TryOutcome, attempt: Int, previous: Double, budget: inout RetryBudget,
                 using rng: inout RandomStream) -> Double? {
        guard attempt < maxAttempts, outcome.isRetried(by: self), budget.spend() else { return nil }
        return delay(retry: attempt, previous: attempt == 1 ? baseDelay.seconds : previous, using: &rng)
    }
}

/// The retry budget of one client (a traffic stream or one call edge of a service): a token bucket
/// filled by first tries, emptied by retries. Retries ≤ burst + budget × first tries, always.
struct RetryBudget {
    var tokens: Double
    let perRequest: Double
    let cap: Double

    init(_ policy: RetryPolicy) {
        perRequest = policy.budget ?? .infinity
        cap = policy.budget == nil ? .infinity : max(policy.budgetBurst, 1)
        tokens = policy.budget == nil ? .infinity : policy.budgetBurst
    }

    mutating func firstTry() { if perRequest.isFinite { tokens = min(cap, tokens + perRequest) } }

    /// Spends a token for a retry; false when the budget is exhausted.
    mutating func spend() -> Bool {
        guard tokens >= 1 else { return false }
        if perRequest.isFinite { tokens -= 1 }
        return true
    }
}
