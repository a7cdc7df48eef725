/// What a metrics scrape of one service returns for one interval.
///
/// This is the whole of what the control plane may know about a service: the same figures a
/// Prometheus scrape of a real deployment would give. Times are seconds since the run started.
///
/// Two kinds of figure, kept apart because a metrics-pipeline fault treats them differently:
/// ``Measurements`` (counts, latencies, utilisations: what a metrics pipeline delivers, and what a
/// stale or missing pipeline distorts) and the API server's facts (the time and the replica
/// counts), which stay true. Read a measurement as if it were the sample's own property
/// (`sample.p95`, `sample.arrivals`): the sample looks its members up in ``measured``.
@dynamicMemberLookup
public struct ServiceSample: Sendable, Equatable, Codable {
    public var time: Double
    public var interval: Double
    public var service: String

    /// What the metrics pipeline measured over the interval.
    public var measured = Measurements()

    // The API server's facts at the scrape instant.
    public var readyReplicas: Int = 0
    public var startingReplicas: Int = 0
    public var pendingReplicas: Int = 0
    public var desiredReplicas: Int = 0
    /// Worker slots per replica, so a controller can turn replicas into capacity.
    public var concurrencyPerReplica: Int = 1
    /// Replica-seconds accrued in the interval (ready + starting replicas hold resources).
    public var replicaSeconds: Double = 0
    /// Database connection pool size (0 = the service has none).
    public var connectionPool: Int = 0
    /// What the metrics pipeline could not deliver (set only by metrics-pipeline faults, never
    /// recorded): ready pods whose metrics are missing, and whether the metrics API answered at all.
    public var missingPods: Int = 0
    public var metricsAvailable: Bool = true

    /// The figures a metrics pipeline delivers for one interval. A recorded metric is added here
    /// (and to the recorder's column list); a fault that replaces measurements copies them all at once.
    public struct Measurements: Sendable, Equatable, Codable {
        // Counts in the interval.
        public var arrivals = 0
        public var completed = 0
        /// Requests lost on a replica or node that died, or failed by an injected error.
        public var failed = 0
        /// Requests turned away because the queue was full or no replica could take them.
        public var rejected = 0
        public var timedOut = 0
        /// Arrivals that were retries (included in `arrivals`).
        public var retries = 0
        /// Arrivals turned away by admission control or a rate limit (included in `rejected`).
        public var shed = 0
        /// External requests that finally succeeded here, each once however many tries it took (the Definitions article).
        public var goodput = 0

        // Latency of requests completed in the interval (seconds), from an HDR histogram.
        public var p50 = 0.0
        public var p95 = 0.0
        public var p99 = 0.0
        /// Mean of (start of service − arrival) over the requests that started service in the interval (the Definitions article).
        public var meanQueueWait = 0.0
        /// Requests that started service in the interval: those `meanQueueWait` averages over.
        public var started = 0

        // At the scrape instant, or averaged over the interval.
        public var queueDepth = 0
        public var inFlight = 0
        /// Time-weighted busy worker slots ÷ ready slots over the interval (0…1).
        public var cpuUtilization = 0.0
        public var memoryMiB = 0.0
        public var memoryUtilization = 0.0
        /// Time-weighted use of the database connection pool (0…1; 0 without a pool).
        public var connectionPoolUtilization = 0.0

        public init() {}
    }

    public init(time: Double, interval: Double, service: String) {
        self.time = time; self.interval = interval; self.service = service
    }

    /// A measurement, read or written as the sample's own property.
    public subscript<Value>(dynamicMember path: WritableKeyPath<Measurements, Value>) -> Value {
        get { measured[keyPath: path] }
        set { measured[keyPath: path] = newValue }
    }

    public var arrivalRate: Double { interval > 0 ? Double(measured.arrivals) / interval : 0 }
    public var throughput: Double { interval > 0 ? Double(measured.completed) / interval : 0 }
    public var errors: Int { measured.failed + measured.rejected + measured.timedOut }
    /// Tries ÷ first tries (the Definitions article's retry amplification; 1 without retries).
    public var retryAmplification: Double {
        let arrivals = measured.arrivals, retries = measured.retries
        return arrivals > retries ? Double(arrivals) / Double(arrivals - retries) : (arrivals > 0 ? .infinity : 1)
    }
    /// Failed + rejected + timed-out ÷ all requests that finished in the interval (the Definitions article).
    public var errorRate: Double {
        let all = measured.completed + errors
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
