/// What a metrics scrape of one service returns for one interval.
///
/// This is the whole of what the control plane may know about a service: the same figures a
/// Prometheus scrape of a real deployment would give. Times are seconds since the run started.
public struct ServiceSample: Sendable, Equatable, Codable {
    public var time: Double
    public var interval: Double
    public var service: String

    // Counts in the interval.
    public var arrivals: Int
    public var completed: Int
    /// Requests lost on a replica or node that died, or failed by an injected error.
    public var failed: Int
    /// Requests turned away because the queue was full or no replica could take them.
    public var rejected: Int
    public var timedOut: Int
    /// Arrivals that were retries (included in `arrivals`).
    public var retries: Int = 0
    /// Arrivals turned away by admission control or a rate limit (included in `rejected`).
    public var shed: Int = 0
    /// External requests that finally succeeded here, each once however many tries it took (the Definitions article).
    public var goodput: Int = 0

    // Latency of requests completed in the interval (seconds), from an HDR histogram.
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var meanQueueWait: Double

    // State at the scrape instant.
    public var queueDepth: Int
    public var inFlight: Int
    /// Time-weighted busy worker slots ÷ ready slots over the interval (0…1).
    public var cpuUtilization: Double
    public var memoryMiB: Double
    public var memoryUtilization: Double
    public var readyReplicas: Int
    public var startingReplicas: Int
    public var pendingReplicas: Int
    public var desiredReplicas: Int
    /// Worker slots per replica, so a controller can turn replicas into capacity.
    public var concurrencyPerReplica: Int
    /// Replica-seconds accrued in the interval (ready + starting replicas hold resources).
    public var replicaSeconds: Double
    /// Database connection pool size (0 = the service has none) and its time-weighted use (0…1).
    public var connectionPool: Int = 0
    public var connectionPoolUtilization: Double = 0
    /// What the metrics pipeline could not deliver (set only by metrics-pipeline faults, never
    /// recorded): ready pods whose metrics are missing, and whether the metrics API answered at all.
    public var missingPods: Int = 0
    public var metricsAvailable: Bool = true

    public init(time: Double, interval: Double, service: String) {
        self.time = time; self.interval = interval; self.service = service
        arrivals = 0; completed = 0; failed = 0; rejected = 0; timedOut = 0
        p50 = 0; p95 = 0; p99 = 0; meanQueueWait = 0
        queueDepth = 0; inFlight = 0; cpuUtilization = 0; memoryMiB = 0; memoryUtilization = 0
        readyReplicas = 0; startingReplicas = 0; pendingReplicas = 0; desiredReplicas = 0
        concurrencyPerReplica = 1; replicaSeconds = 0
    }

    public var arrivalRate: Double { interval > 0 ? Double(arrivals) / interval : 0 }
    public var throughput: Double { interval > 0 ? Double(completed) / interval : 0 }
    public var errors: Int { failed + rejected + timedOut }
    /// Tries ÷ first tries (the Definitions article's retry amplification; 1 without retries).
    public var retryAmplification: Double { arrivals > retries ? Double(arrivals) / Double(arrivals - retries) : (arrivals > 0 ? .infinity : 1) }
    /// Failed + rejected + timed-out ÷ all requests that finished in the interval (the Definitions article).
    public var errorRate: Double {
        let all = completed + errors
        return all > 0 ? Double(errors) / Double(all) : 0
    }
}

/// One node at a scrape.
public struct NodeSample: Sendable, Equatable, Codable {
    public var time: Double
    public var node: String
    public var pool: String
    public var zone: String
    /// `up`, `provisioning`, `down` (crashed) or `removed`.
    public var state: NodeState
    public var up: Bool { state == .up }
    public var reachable: Bool
    public var cpuAllocated: Double
    public var memoryAllocated: Double
    public var replicas: Int

    public init(time: Double, node: String, pool: String, zone: String, state: NodeState, reachable: Bool,
                cpuAllocated: Double, memoryAllocated: Double, replicas: Int) {
        self.time = time; self.node = node; self.pool = pool; self.zone = zone; self.state = state
        self.reachable = reachable; self.cpuAllocated = cpuAllocated; self.memoryAllocated = memoryAllocated
        self.replicas = replicas
    }
}

/// Everything one scrape returns.
public struct Scrape: Sendable {
    public var time: Double
    /// Seconds since the previous scrape.
    public var interval: Double
    public var services: [ServiceSample]
    public var nodes: [NodeSample]
    public init(time: Double, interval: Double, services: [ServiceSample], nodes: [NodeSample]) {
        self.time = time; self.interval = interval; self.services = services; self.nodes = nodes
    }
}
