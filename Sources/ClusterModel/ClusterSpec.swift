import SimulationKernel

/// How a service spreads requests over its replicas.
public enum Routing: String, Sendable, Equatable, CaseIterable {
    /// Each request goes to the ready replica with the fewest outstanding (busy + queued) requests.
    case leastOutstanding = "least-outstanding"
    case roundRobin = "round-robin"
    case random
    /// One FIFO work queue per service; any free worker slot on any ready replica pulls from it
    /// (queue-processing services such as claim workers). With c slots this is an M/·/c queue.
    case sharedQueue = "shared-queue"
}

/// A group of identical nodes.
public struct NodePoolSpec: Sendable, Equatable {
    public var name: String
    public var count: Int
    public var cpuMillicores: Int
    public var memoryMiB: Int
    /// Nodes are spread round-robin over these zones.
    public var zones: [String]
    public var pricePerHour: Double
    /// Time from "provision" to a node that accepts replicas (seconds).
    public var startup: Distribution

    public init(name: String, count: Int, cpuMillicores: Int = 8000, memoryMiB: Int = 32768,
                zones: [String] = ["zone-a"], pricePerHour: Double = 0.40,
                startup: Distribution = .lognormal(median: 90, p99: 180)) {
        self.name = name; self.count = count; self.cpuMillicores = cpuMillicores; self.memoryMiB = memoryMiB
        self.zones = zones; self.pricePerHour = pricePerHour; self.startup = startup
    }
}

/// One service of the modelled system.
public struct ServiceSpec: Sendable, Equatable {
    public var name: String
    public var replicas: Int
    /// Worker slots per replica: requests one replica serves at once.
    public var concurrency: Int
    public var cpuMillicores: Int
    public var memoryMiB: Int
    /// Extra memory held per in-flight request.
    public var memoryPerRequestMiB: Double
    /// Service time of one request on a worker slot, in seconds (own work, not calls).
    public var serviceTime: Distribution
    /// Replica start-up latency: from scheduled on a node to ready (seconds).
    public var startup: Distribution
    /// Waiting requests per replica (load-balanced) or in total (shared queue). nil = unbounded.
    public var queueCapacity: Int?
    /// A client gives up after this long: queued requests are dropped, late responses count as errors.
    public var timeout: SimDuration?
    /// Latency bounds (seconds, ascending) at which each scrape also counts the interval's requests, as a
    /// Prometheus histogram's `le` buckets (`ServiceSample.latencyBuckets`); empty: none counted.
    public var latencyBuckets: [Double] = []
    public var routing: Routing
    public var pricePerReplicaHour: Double
    /// Services called, in order, after this service's own work, each holding the worker slot.
    public var calls: [String]
    /// Database connections shared by all replicas: at most this many requests are in service at
    /// once; the others wait in their queue for a connection. nil = no pool.
    public var connectionPool: Int? = nil
    /// CPU seconds one request uses. When set, CPU utilization is this work over the ready replicas'
    /// CPU requests (as the metrics server measures it, and may exceed 100 %); otherwise it is the
    /// busy fraction of the worker slots.
    public var cpuSecondsPerRequest: Double? = nil
    /// How this service calls each of `calls` (retries, circuit breaker), by the called service's
    /// name; a call not named here is tried once with no breaker.
    public var callPolicies: [String: CallPolicy] = [:]
    /// Load shedding and rate limiting at this service's door; nil = it takes what its queues hold.
    public var admission: AdmissionControl? = nil
    /// Restarts a replica that misses its probes (nil = no liveness probe).
    public var liveness: LivenessProbe? = nil
    /// A ready replica leaves the load balancer while its oldest queued request has waited longer
    /// than this, and rejoins when it no longer has (nil = it stays in).
    public var readinessMaxQueueWait: SimDuration? = nil
    /// Container CPU limit: when the worker slots in use demand more CPU (each `cpuSecondsPerRequest` ÷ the
    /// mean service time, or one core for a CPU-bound worker), new work is stretched by demand ÷ limit,
    /// as CFS throttling does (nil = no limit).
    public var cpuLimitMillicores: Int? = nil
    /// Container memory limit: a replica using more is OOM-killed and restarted (nil = no limit).
    public var memoryLimitMiB: Int? = nil
    /// A PodDisruptionBudget's `maxUnavailable`: a drain evicts a ready replica only while fewer than
    /// this many of the desired replicas are not ready; the rest wait for replacements (nil = no budget).
    public var maxUnavailable: Int? = nil

    public init(name: String, replicas: Int = 2, concurrency: Int = 8, cpuMillicores: Int = 500,
                memoryMiB: Int = 512, memoryPerRequestMiB: Double = 1,
                serviceTime: Distribution = .lognormal(median: 0.05, p99: 0.25),
                startup: Distribution = .lognormal(median: 20, p99: 60),
                queueCapacity: Int? = 100, timeout: SimDuration? = .seconds(10),
                routing: Routing = .leastOutstanding, pricePerReplicaHour: Double = 0.05,
                calls: [String] = []) {
        self.name = name; self.replicas = replicas; self.concurrency = concurrency
        self.cpuMillicores = cpuMillicores; self.memoryMiB = memoryMiB
        self.memoryPerRequestMiB = memoryPerRequestMiB; self.serviceTime = serviceTime
        self.startup = startup; self.queueCapacity = queueCapacity; self.timeout = timeout
        self.routing = routing; self.pricePerReplicaHour = pricePerReplicaHour; self.calls = calls
    }
}

/// How a service calls one downstream service.
public struct CallPolicy: Sendable, Hashable {
    public var retry: RetryPolicy
    public var breaker: CircuitBreakerPolicy?
    public init(retry: RetryPolicy = .none, breaker: CircuitBreakerPolicy? = nil) { self.retry = retry; self.breaker = breaker }
}

extension ServiceSpec {
    /// The policy of the call to `target` (one try, no breaker, when none was set).
    public subscript(callPolicy target: String) -> CallPolicy {
        get { callPolicies[target] ?? CallPolicy() }
        set { callPolicies[target] = newValue }
    }
}

/// External traffic entering one service.
public struct TrafficSpec: Sendable, Equatable {
    public var service: String
    /// Requests per second before shapes are applied (ignored for `trace` sources' own values).
    public var source: RateSource
    /// Multiplicative shapes: daily cycle, surge, noise …
    public var shapes: [LoadShape]
    /// Requests per arrival event (batch arrivals); constant 1 by default.
    public var batchSize: Distribution
    /// How the clients behind this traffic retry (none by default).
    public var retry: RetryPolicy

    public init(service: String, source: RateSource, shapes: [LoadShape] = [], batchSize: Distribution = .constant(1), retry: RetryPolicy = .none) {
        self.service = service; self.source = source; self.shapes = shapes; self.batchSize = batchSize; self.retry = retry
    }
}

/// The whole modelled system.
public struct ClusterSpec: Sendable, Equatable {
    public var pools: [NodePoolSpec]
    public var services: [ServiceSpec]
    public var traffic: [TrafficSpec]
    /// Metrics scrape interval.
    public var scrapeInterval: SimDuration
    /// Requests as events (the default) or as flows.
    public var fidelity: Fidelity

    public init(pools: [NodePoolSpec], services: [ServiceSpec], traffic: [TrafficSpec],
                scrapeInterval: SimDuration = .seconds(15), fidelity: Fidelity = .request) {
        self.pools = pools; self.services = services; self.traffic = traffic; self.scrapeInterval = scrapeInterval
        self.fidelity = fidelity
    }
}
