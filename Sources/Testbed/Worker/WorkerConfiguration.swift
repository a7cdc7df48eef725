import SimulationKernel

/// How one testbed worker behaves: what a request costs, how many it serves at once, how long it takes
/// to become ready. The configured truth the tests hold Prometheus and the load generator to.
public struct WorkerConfiguration: Sendable, Equatable {
    /// Requests served at once; more wait in a queue.
    public var concurrency: Int
    /// Requests that may wait; beyond it the worker answers 503 at once.
    public var queueLimit: Int
    /// Seconds of work per request (mostly waiting, like a call to a database).
    public var work: Distribution
    /// The share of each request's work spent on the CPU rather than waiting (0…1).
    public var cpuShare: Double
    /// Seconds from start until `/ready` answers 200.
    public var startupDelay: Double
    public var seed: UInt64

    public init(concurrency: Int = 4, queueLimit: Int = 64, work: Distribution = .exponential(mean: 0.05),
                cpuShare: Double = 0.1, startupDelay: Double = 0, seed: UInt64 = 1) {
        self.concurrency = concurrency; self.queueLimit = queueLimit; self.work = work
        self.cpuShare = cpuShare; self.startupDelay = startupDelay; self.seed = seed
    }

    /// Every problem, in words (empty when the configuration can run).
    public var problems: [String] {
        var out: [String] = []
        if !(1...1024).contains(concurrency) { out.append("concurrency must be 1…1024, not \(concurrency)") }
        if !(0...100_000).contains(queueLimit) { out.append("queue limit must be 0…100000, not \(queueLimit)") }
        if !(0...1).contains(cpuShare) { out.append("CPU share must be 0…1, not \(cpuShare)") }
        if !(startupDelay >= 0 && startupDelay <= 3600) { out.append("start-up delay must be 0…3600 s, not \(startupDelay)") }
        if !(work.mean > 0 && work.mean <= 60) { out.append("mean work must be more than 0 and at most 60 s, not \(work.mean)") }
        return out
    }

    /// Requests per second one worker serves at full use (concurrency ÷ mean work): its capacity.
    public var capacity: Double { Double(concurrency) / work.mean }
}

/// Faults a running worker can be told to show (`POST /chaos?slow=3&fail=0.2`, `POST /chaos` to clear).
public struct WorkerChaos: Sendable, Equatable {
    /// Work takes this many times as long.
    public var slow: Double = 1
    /// The share of requests answered 500 after their work.
    public var fail: Double = 0
    public init(slow: Double = 1, fail: Double = 0) { self.slow = slow; self.fail = fail }

    /// Reads `slow=…&fail=…`; nil with the reason when a value is not a number in range.
    static func parse(query: String) -> Result<WorkerChaos, TestbedError> {
        var chaos = WorkerChaos()
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0], value = parts.count > 1 ? Double(parts[1]) : nil
            switch key {
            case "slow":
                guard let v = value, v >= 1, v <= 1000 else { return .failure(TestbedError("slow must be a factor 1…1000")) }
                chaos.slow = v
            case "fail":
                guard let v = value, v >= 0, v <= 1 else { return .failure(TestbedError("fail must be a share 0…1")) }
                chaos.fail = v
            default:
                return .failure(TestbedError("unknown chaos setting (slow, fail)"))
            }
        }
        return .success(chaos)
    }
}
