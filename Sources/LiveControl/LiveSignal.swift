import Telemetry

/// A figure a live session reads for a service, each from a PromQL query the user writes; together
/// they make the ``ServiceSample`` the control plane sees, as the simulation's scrape does.
public enum LiveSignal: String, CaseIterable, Sendable {
    /// Requests arriving per second.
    case rate
    /// Busy share of what the ready replicas can do (0…1): the HPA's CPU utilization of requests.
    case cpu
    /// Requests waiting, over all replicas.
    case queue
    /// Requests being served, over all replicas.
    case inFlight = "in_flight"
    /// Replicas ready to serve (what the real system actually has).
    case ready
    /// The replicas the Deployment asks for (`spec.replicas`); the ready ones when not read.
    case replicas
    /// Failed requests per second.
    case errors
    /// Latency quantiles, seconds.
    case p50, p95, p99

    /// A query's answer that must be a number for the control plane to decide: without them the
    /// sample is marked unavailable and each policy does what its upstream does (the HPA holds).
    public var isRequired: Bool { self == .rate || self == .cpu || self == .ready || self == .queue }
}

/// The signals of one service and the queries that read them.
public struct ServiceSignals: Sendable, Equatable {
    public var service: String
    public var queries: [LiveSignal: String]
    /// Requests one replica serves at once (for policies that turn replicas into capacity).
    public var concurrencyPerReplica: Int

    public init(service: String, queries: [LiveSignal: String], concurrencyPerReplica: Int = 1) {
        self.service = service; self.queries = queries; self.concurrencyPerReplica = concurrencyPerReplica
    }

    /// Signals in a fixed order, so reads are made and recorded in the same order every poll.
    public var ordered: [(signal: LiveSignal, query: String)] {
        LiveSignal.allCases.compactMap { s in queries[s].map { (s, $0) } }
    }
}

/// Turns one poll's reads into the sample the control plane sees. A pure function of the reads in
/// order (it remembers only the last ready count), which is why a recorded session replays exactly.
public struct LiveSampleBuilder: Sendable {
    public let signals: ServiceSignals
    public let interval: Double
    private var lastReady = 0

    public init(signals: ServiceSignals, interval: Double) { self.signals = signals; self.interval = interval }

    public mutating func sample(at time: Double, from reads: [LiveRead]) -> ServiceSample {
        var values: [LiveSignal: Double] = [:]
        var available = true
        for r in reads where r.service == signals.service {
            guard let signal = LiveSignal(rawValue: r.signal) else { continue }
            if r.status == .ok, let v = r.value { values[signal] = v } else if signal.isRequired { available = false }
        }
        for (signal, _) in signals.ordered where signal.isRequired && values[signal] == nil { available = false }
        var s = ServiceSample(time: time, interval: interval, service: signals.service)
        let rate = max(0, values[.rate] ?? 0), errors = max(0, values[.errors] ?? 0)
        s.arrivals = Int((rate * interval).rounded())
        s.failed = Int((min(errors, rate) * interval).rounded())
        s.completed = max(0, s.arrivals - s.failed)
        s.cpuUtilization = max(0, values[.cpu] ?? 0)
        s.queueDepth = Int(max(0, values[.queue] ?? 0).rounded())
        s.inFlight = Int(max(0, values[.inFlight] ?? 0).rounded())
        // An unreadable ready count keeps the last one read: replicas do not vanish with the metrics.
        if let ready = values[.ready] { lastReady = Int(max(0, ready).rounded()) }
        s.readyReplicas = lastReady
        s.desiredReplicas = values[.replicas].map { Int(max(0, $0).rounded()) } ?? lastReady
        s.p50 = values[.p50] ?? 0; s.p95 = values[.p95] ?? 0; s.p99 = values[.p99] ?? 0
        s.concurrencyPerReplica = signals.concurrencyPerReplica
        s.replicaSeconds = Double(s.readyReplicas) * interval
        s.metricsAvailable = available
        return s
    }
}
