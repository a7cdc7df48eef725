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
    /// When the scrape was taken (seconds since the run started).
    public var time: Double
    /// The interval the measurements cover: seconds since the previous scrape.
    public var interval: Double
    /// The service's name.
    public var service: String

    /// What the metrics pipeline measured over the interval.
    public var measured = Measurements()

    // The API server's facts at the scrape instant.
    /// Replicas that are ready and in the load balancer.
    public var readyReplicas: Int = 0
    /// Replicas placed on a node and starting (not yet ready).
    public var startingReplicas: Int = 0
    /// Replicas waiting for a node with room.
    public var pendingReplicas: Int = 0
    /// The Deployment's `spec.replicas`: what the control plane last asked for.
    public var desiredReplicas: Int = 0
    /// Worker slots per replica, so a controller can turn replicas into capacity.
    public var concurrencyPerReplica: Int = 1
    /// Replica-seconds accrued in the interval (ready + starting replicas hold resources).
    public var replicaSeconds: Double = 0
    /// Ready worker-slot seconds over the interval: the capacity `cpuUtilization` is a share of (0 when
    /// not known, as in a live sample).
    public var slotSeconds: Double = 0
    /// Requests answered in the interval with latency at or below each of the model's `latencyBuckets`
    /// bounds (cumulative, as Prometheus' `le` buckets); nil unless the model asks for them.
    public var latencyBuckets: [Double]?
    /// Database connection pool size (0 = the service has none).
    public var connectionPool: Int = 0
    /// What the metrics pipeline could not deliver (set only by metrics-pipeline faults, never
    /// recorded): ready pods whose metrics are missing, and whether the metrics API answered at all.
    public var missingPods: Int = 0
    /// Whether the metrics API answered at all (false during a metrics outage).
    public var metricsAvailable: Bool = true

    /// The figures a metrics pipeline delivers for one interval. A recorded metric is added here
    /// (and to the recorder's column list); a fault that replaces measurements copies them all at once.
    public struct Measurements: Sendable, Equatable, Codable {
        // Counts in the interval.
        /// Requests that arrived (retries included).
        public var arrivals = 0
        /// Requests answered successfully.
        public var completed = 0
        /// Requests lost on a replica or node that died, or failed by an injected error.
        public var failed = 0
        /// Requests turned away because the queue was full or no replica could take them.
        public var rejected = 0
        /// Requests whose client gave up (the service's timeout).
        public var timedOut = 0
        /// Arrivals that were retries (included in `arrivals`).
        public var retries = 0
        /// Arrivals turned away by admission control or a rate limit (included in `rejected`).
        public var shed = 0
        /// External requests that finally succeeded here, each once however many tries it took (the Definitions article).
        public var goodput = 0

        // Latency of requests completed in the interval (seconds), from an HDR histogram.
        /// Median latency, seconds.
        public var p50 = 0.0
        /// 95th-percentile latency, seconds.
        public var p95 = 0.0
        /// 99th-percentile latency, seconds.
        public var p99 = 0.0
        /// Mean of (start of service − arrival) over the requests that started service in the interval (the Definitions article).
        public var meanQueueWait = 0.0
        /// Requests that started service in the interval: those `meanQueueWait` averages over.
        public var started = 0

        // At the scrape instant, or averaged over the interval.
        /// Requests waiting in queues at the scrape instant.
        public var queueDepth = 0
        /// Requests in service at the scrape instant.
        public var inFlight = 0
        /// Time-weighted busy worker slots ÷ ready slots over the interval (0…1).
        public var cpuUtilization = 0.0
        /// Memory in use across the service's replicas, MiB.
        public var memoryMiB = 0.0
        /// Memory in use ÷ the replicas' memory requests (0…1).
        public var memoryUtilization = 0.0
        /// Time-weighted use of the database connection pool (0…1; 0 without a pool).
        public var connectionPoolUtilization = 0.0

        /// No requests, no latency: every measurement zero.
        public init() {}
    }

    /// A sample of `service` at `time` covering `interval`, with zero measurements and no replicas.
    public init(time: Double, interval: Double, service: String) {
        self.time = time; self.interval = interval; self.service = service
    }

    /// A measurement, read or written as the sample's own property.
    public subscript<Value>(dynamicMember path: WritableKeyPath<Measurements, Value>) -> Value {
        get { measured[keyPath: path] }
        set { measured[keyPath: path] = newValue }
    }

    /// Arrivals per second over the interval.
    public var arrivalRate: Double { interval > 0 ? Double(measured.arrivals) / interval : 0 }
    /// Successful answers per second over the interval.
    public var throughput: Double { interval > 0 ? Double(measured.completed) / interval : 0 }
    /// Failed + rejected + timed-out requests in the interval.
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
    /// When the scrape was taken.
    public var time: Double
    /// The node's name (`general-2`).
    public var node: String
    /// Its node pool.
    public var pool: String
    /// Its zone.
    public var zone: String
    /// `up`, `provisioning`, `down` (crashed) or `removed`.
    public var state: NodeState
    /// Whether the node is up.
    public var up: Bool { state == .up }
    /// False while a partition cuts it off.
    public var reachable: Bool
    /// Share of its CPU requested by the replicas on it (0…1).
    public var cpuAllocated: Double
    /// Share of its memory requested by the replicas on it (0…1).
    public var memoryAllocated: Double
    /// Replicas placed on it.
    public var replicas: Int

    /// A node's state at `time`.
    public init(time: Double, node: String, pool: String, zone: String, state: NodeState, reachable: Bool,
                cpuAllocated: Double, memoryAllocated: Double, replicas: Int) {
        self.time = time; self.node = node; self.pool = pool; self.zone = zone; self.state = state
        self.reachable = reachable; self.cpuAllocated = cpuAllocated; self.memoryAllocated = memoryAllocated
        self.replicas = replicas
    }
}

/// Everything one scrape returns.
public struct Scrape: Sendable {
    /// When the scrape was taken.
    public var time: Double
    /// Seconds since the previous scrape.
    public var interval: Double
    /// One sample per service, in the scenario's order.
    public var services: [ServiceSample]
    /// One sample per node.
    public var nodes: [NodeSample]
    /// A scrape at `time` covering the last `interval` seconds.
    public init(time: Double, interval: Double, services: [ServiceSample], nodes: [NodeSample]) {
        self.time = time; self.interval = interval; self.services = services; self.nodes = nodes
    }
}
