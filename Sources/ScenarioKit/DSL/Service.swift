import ClusterModel
import ControlPlane
import SimulationKernel

/// A setting inside a `Service { … }` block.
public protocol ServiceComponent: Sendable {
    /// Sets this setting on the service being built.
    func apply(to service: inout ServiceDefinition)
}

/// The result builder of a `Service { … }` block: its settings, in order, with `if`, `if`/`else`, `for` and
/// optionals allowed. Its functions are the compiler's: you never call them.
@resultBuilder
public enum ServiceBuilder {
    public static func buildExpression(_ c: some ServiceComponent) -> [any ServiceComponent] { [c] }
    public static func buildBlock(_ parts: [any ServiceComponent]...) -> [any ServiceComponent] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any ServiceComponent]?) -> [any ServiceComponent] { part ?? [] }
    public static func buildEither(first: [any ServiceComponent]) -> [any ServiceComponent] { first }
    public static func buildEither(second: [any ServiceComponent]) -> [any ServiceComponent] { second }
    public static func buildArray(_ parts: [[any ServiceComponent]]) -> [any ServiceComponent] { parts.flatMap { $0 } }
}

/// A service of the modelled system. Every setting has a default (see `ServiceSpec`).
public struct Service: ScenarioComponent {
    let name: String
    let settings: [any ServiceComponent]
    /// A service named `name` (unique in the scenario), with the settings in `body`; every setting left out has
    /// its default (the WritingAScenario article's table).
    public init(_ name: String, @ServiceBuilder _ body: () -> [any ServiceComponent] = { [] }) {
        self.name = name
        self.settings = body()
    }
    public func apply(to spec: inout ScenarioSpec) {
        var def = ServiceDefinition(name: name)
        for s in settings { s.apply(to: &def) }
        spec.buildProblems += def.buildProblems.map { ValidationProblem(path: "services.\(name).\($0.path)", message: $0.message) }
        def.buildProblems = []
        spec.services.append(def)
    }
}

/// Initial replicas and the bounds an autoscaler must respect.
public struct Replicas: ServiceComponent {
    let initial: Int, min: Int?, max: Int?
    /// `initial` replicas at the start (ready: a warm start), scaled within `min`…`max` (default 1…50, widened
    /// to include `initial`).
    public init(_ initial: Int, min: Int? = nil, max: Int? = nil) { self.initial = initial; self.min = min; self.max = max }
    public func apply(to s: inout ServiceDefinition) {
        s.model.replicas = initial
        s.minReplicas = min ?? Swift.min(initial, s.minReplicas)
        s.maxReplicas = max ?? Swift.max(initial, s.maxReplicas)
    }
}

/// Worker slots per replica.
public struct Concurrency: ServiceComponent {
    let slots: Int
    /// `slots` requests in service at once per replica (default 8); the rest wait in the queue.
    public init(_ slots: Int) { self.slots = slots }
    public func apply(to s: inout ServiceDefinition) { s.model.concurrency = slots }
}

/// Resource requests per replica, used for placement on nodes; with `cpuPerRequest`, also the CPU
/// utilization the HPA sees (work done ÷ the ready replicas' CPU requests).
public struct Resources: ServiceComponent {
    let cpu: Int?, memory: Int?, perRequest: Double?, cpuPerRequest: SimDuration?
    /// - Parameters:
    ///   - cpuMillicores: the CPU request per replica (default 500).
    ///   - memoryMiB: the memory request per replica (default 512); an idle replica uses half of it.
    ///   - memoryPerRequestMiB: memory each request in service adds (default 1).
    ///   - cpuPerRequest: CPU time one request uses; makes CPU utilization work ÷ requested CPU (nil: busy slots ÷ slots).
    public init(cpuMillicores: Int? = nil, memoryMiB: Int? = nil, memoryPerRequestMiB: Double? = nil, cpuPerRequest: SimDuration? = nil) {
        cpu = cpuMillicores; memory = memoryMiB; perRequest = memoryPerRequestMiB; self.cpuPerRequest = cpuPerRequest
    }
    public func apply(to s: inout ServiceDefinition) {
        if let cpuPerRequest { s.model.cpuSecondsPerRequest = cpuPerRequest.seconds }
        if let cpu { s.model.cpuMillicores = cpu }
        if let memory { s.model.memoryMiB = memory }
        if let perRequest { s.model.memoryPerRequestMiB = perRequest }
    }
}

/// Own work per request, in seconds.
public struct ServiceTime: ServiceComponent {
    let d: Distribution
    /// One request's own work in seconds (default log-normal, median 50 ms, p99 250 ms).
    public init(_ d: Distribution) { self.d = d }
    public func apply(to s: inout ServiceDefinition) { s.model.serviceTime = d }
}

/// Replica start-up latency (scheduled → ready), in seconds.
public struct Startup: ServiceComponent {
    let d: Distribution
    /// A replica's start-up in seconds, scheduled → ready (default log-normal, median 20 s, p99 60 s).
    public init(_ d: Distribution) { self.d = d }
    public func apply(to s: inout ServiceDefinition) { s.model.startup = d }
}

/// Waiting room: per replica (load-balanced) or in total (shared queue). `nil` = unbounded.
public struct QueueCapacity: ServiceComponent {
    let capacity: Int?
    /// `capacity` waiting requests at most (default 100 per replica); an arrival beyond it is rejected. `nil`: unbounded.
    public init(_ capacity: Int?) { self.capacity = capacity }
    public func apply(to s: inout ServiceDefinition) { s.model.queueCapacity = capacity }
}

/// Client timeout; `nil` = clients wait forever.
public struct Timeout: ServiceComponent {
    let timeout: SimDuration?
    /// A request not finished `timeout` after it arrived is abandoned and counted as timed out (default 10 s). `nil`: none.
    public init(_ timeout: SimDuration?) { self.timeout = timeout }
    public func apply(to s: inout ServiceDefinition) { s.model.timeout = timeout }
}

/// How the service's requests are spread over its ready replicas (default least outstanding requests).
public struct LoadBalancing: ServiceComponent {
    let routing: Routing
    /// Routes requests by `routing`: `.leastOutstanding`, `.roundRobin`, `.random`, or `.sharedQueue` (one queue for all replicas).
    public init(_ routing: Routing) { self.routing = routing }
    public func apply(to s: inout ServiceDefinition) { s.model.routing = routing }
}

/// What a replica costs, for the run's cost and the league's comparisons (default $0.05 an hour).
public struct Price: ServiceComponent {
    let perReplicaHour: Double
    /// `perReplicaHour` dollars per replica-hour, ready or starting.
    public init(perReplicaHour: Double) { self.perReplicaHour = perReplicaHour }
    public func apply(to s: inout ServiceDefinition) { s.model.pricePerReplicaHour = perReplicaHour }
}

/// Downstream services called in order after this service's own work (synchronously), each tried
/// once unless a retry policy or circuit breaker says otherwise:
/// `Calls("payments", retry: .attempts(3, budget: 0.1), breaker: .init(consecutiveFailures: 5))`.
public struct Calls: ServiceComponent {
    let targets: [String]
    let policy: CallPolicy?
    /// Calls each of `targets` in turn, once each.
    public init(_ targets: String...) { self.targets = targets; policy = nil }
    /// Calls `target`, retrying as `retry` says, behind `breaker` if one is given.
    public init(_ target: String, retry: RetryPolicy, breaker: CircuitBreakerPolicy? = nil) {
        targets = [target]; policy = CallPolicy(retry: retry, breaker: breaker)
    }
    /// Calls `target` once per request, behind `breaker`.
    public init(_ target: String, breaker: CircuitBreakerPolicy) {
        targets = [target]; policy = CallPolicy(breaker: breaker)
    }
    public func apply(to s: inout ServiceDefinition) {
        s.model.calls += targets
        if let policy { for t in targets { s.model.callPolicies[t] = policy } }
    }
}

/// Replica health: a liveness probe that restarts a replica missing its probes, a readiness check that
/// takes it out of the load balancer while its queue wait is above `unreadyAbove`, and a container
/// memory limit above which a replica is OOM-killed.
public struct Health: ServiceComponent {
    let liveness: LivenessProbe?, unreadyAbove: SimDuration?, memoryLimitMiB: Int?, cpuLimitMillicores: Int?
    /// - Parameters:
    ///   - liveness: restarts a replica whose probes fail `failureThreshold` times in a row (nil: no probe).
    ///   - unreadyAbove: takes a replica out of the load balancer while its queue wait exceeds this (nil: never).
    ///   - memoryLimitMiB: a replica above it is OOM-killed (nil: no limit).
    ///   - cpuLimitMillicores: CPU throttling: a replica's work slows when its slots need more than this.
    public init(liveness: LivenessProbe? = nil, unreadyAbove: SimDuration? = nil, memoryLimitMiB: Int? = nil, cpuLimitMillicores: Int? = nil) {
        self.liveness = liveness; self.unreadyAbove = unreadyAbove; self.memoryLimitMiB = memoryLimitMiB; self.cpuLimitMillicores = cpuLimitMillicores
    }
    public func apply(to s: inout ServiceDefinition) {
        if let cpuLimitMillicores { s.model.cpuLimitMillicores = cpuLimitMillicores }
        if let liveness { s.model.liveness = liveness }
        if let unreadyAbove { s.model.readinessMaxQueueWait = unreadyAbove }
        if let memoryLimitMiB { s.model.memoryLimitMiB = memoryLimitMiB }
    }
}

/// A PodDisruptionBudget: drains evict a ready replica only while at most `maxUnavailable` of the
/// desired replicas are not ready.
public struct DisruptionBudget: ServiceComponent {
    let maxUnavailable: Int
    /// At most `maxUnavailable` desired replicas not ready while a drain evicts. (It guards drains only: a crash
    /// or a zone loss takes replicas regardless, as in Kubernetes.)
    public init(maxUnavailable: Int) { self.maxUnavailable = maxUnavailable }
    public func apply(to s: inout ServiceDefinition) { s.model.maxUnavailable = maxUnavailable }
}

/// Load shedding at the service's door: turn an arrival away when the queue it would join has a
/// request older than `maxQueueWait` (CoDel's standing-delay signal), and/or when a token bucket of
/// `rateLimit` requests per second (bursts of `burst`) is empty.
public struct Admission: ServiceComponent {
    let control: AdmissionControl
    /// - Parameters:
    ///   - maxQueueWait: shed an arrival while the oldest request in its queue has waited longer (nil: never).
    ///   - rateLimit: admit at most this many requests per second (nil: no limit) …
    ///   - burst: … in bursts of at most this many (default a tenth of a second's worth, at least 1).
    ///   - lifoAfter: serve the newest waiting request first once the oldest has waited this long (nil: always FIFO).
    public init(maxQueueWait: SimDuration? = nil, rateLimit: Double? = nil, burst: Double? = nil, lifoAfter: SimDuration? = nil) {
        control = AdmissionControl(maxQueueWait: maxQueueWait, rateLimit: rateLimit.map { ($0, burst ?? max(1, $0 / 10)) }, lifoAfter: lifoAfter)
    }
    public func apply(to s: inout ServiceDefinition) { s.model.admission = control }
}

extension SLO: ServiceComponent {
    /// Sets the service's SLO (default p95 500 ms, 1 % errors).
    public func apply(to s: inout ServiceDefinition) { s.slo = self }
}

/// A database connection pool shared by the service's replicas; with a `range`, the control plane
/// resizes it on its utilization.
public struct ConnectionPool: ServiceComponent {
    let size: Int
    let policy: ConnectionPoolPolicy?
    /// - Parameters:
    ///   - size: connections at the start, shared by every replica; a request holds one while in service.
    ///   - range: the sizes the control plane may resize it within (nil: fixed size).
    ///   - scaleUpAt, scaleDownBelow: utilization at which it grows or shrinks by `step` connections.
    public init(size: Int, range: ClosedRange<Int>? = nil, scaleUpAt: Double = 0.8, scaleDownBelow: Double = 0.3, step: Int = 5) {
        self.size = size
        policy = range.map { ConnectionPoolPolicy(minimum: $0.lowerBound, maximum: $0.upperBound, scaleUpAt: scaleUpAt,
                                                  scaleDownBelow: scaleDownBelow, step: step) }
    }
    public func apply(to s: inout ServiceDefinition) { s.model.connectionPool = size; s.connectionPoolPolicy = policy }
}

/// The scaling policy for this service.
public struct Autoscale: ServiceComponent {
    let policy: any ScalingPolicy
    /// Scales the service with `policy`: `HPA(…)`, `Predictive(…)`, `KEDA(…)`, `Fixed()` or your own `ScalingPolicy`.
    public init(_ policy: some ScalingPolicy) { self.policy = policy }
    public func apply(to s: inout ServiceDefinition) { s.policy = policy }
}
