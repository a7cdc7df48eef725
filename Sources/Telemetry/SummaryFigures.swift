/// The headline figures of a run as the `summaries` table stores them: (subject, metric, value).
/// Subjects and metrics are named constants here, so a writer and every reader agree on the spelling
/// (the strings on disk are unchanged).

/// Whom a figure is about (`summaries.service`): the whole run, a service, a fault or a probe.
public struct SummarySubject: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    private static let faultPrefix = "fault:", probePrefix = "probe:"

    /// The whole run, every service together.
    public static let run = SummarySubject(rawValue: "*")
    public static func service(_ name: String) -> SummarySubject { SummarySubject(rawValue: name) }
    /// Detect / mitigate / recovery figures of one fault.
    public static func fault(_ name: String) -> SummarySubject { SummarySubject(rawValue: faultPrefix + name) }
    /// Before / after results of one steady-state probe.
    public static func probe(_ name: String) -> SummarySubject { SummarySubject(rawValue: probePrefix + name) }

    public var faultName: String? { rawValue.hasPrefix(Self.faultPrefix) ? String(rawValue.dropFirst(Self.faultPrefix.count)) : nil }
    public var probeName: String? { rawValue.hasPrefix(Self.probePrefix) ? String(rawValue.dropFirst(Self.probePrefix.count)) : nil }
    public var isService: Bool { self != .run && faultName == nil && probeName == nil }
}

/// What a figure measures (`summaries.metric`), as the Definitions article defines it.
public struct SummaryMetric: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Per service and for the whole run.
    public static let requests = SummaryMetric(rawValue: "requests")
    public static let errors = SummaryMetric(rawValue: "errors")
    public static let availability = SummaryMetric(rawValue: "availability")
    public static let sloViolationMinutes = SummaryMetric(rawValue: "slo_violation_minutes")
    public static let breachIntervals = SummaryMetric(rawValue: "breach_intervals")
    public static let p50 = SummaryMetric(rawValue: "p50_s")
    public static let p95 = SummaryMetric(rawValue: "p95_s")
    public static let p99 = SummaryMetric(rawValue: "p99_s")
    public static let replicaCost = SummaryMetric(rawValue: "replica_cost")
    public static let meanReplicas = SummaryMetric(rawValue: "mean_replicas")
    public static let peakReplicas = SummaryMetric(rawValue: "peak_replicas")
    public static let scalingActions = SummaryMetric(rawValue: "scaling_actions")
    public static let oscillations = SummaryMetric(rawValue: "oscillations")
    public static let cost = SummaryMetric(rawValue: "cost")
    public static let nodeCost = SummaryMetric(rawValue: "node_cost")
    public static let simulatedSeconds = SummaryMetric(rawValue: "simulated_seconds")
    public static let resilienceScore = SummaryMetric(rawValue: "resilience_score")
    // Per fault (seconds; NULL on disk = not detected / no mitigation / not recovered).
    public static let faultStart = SummaryMetric(rawValue: "start_s")
    public static let recovery = SummaryMetric(rawValue: "recovery_s")
    public static let detect = SummaryMetric(rawValue: "detect_s")
    public static let mitigate = SummaryMetric(rawValue: "mitigate_s")
    /// For a fault with an end: its end, and recovery measured from it (the Definitions article; catches metastable failures).
    public static let faultEnd = SummaryMetric(rawValue: "end_s")
    public static let recoveryAfterEnd = SummaryMetric(rawValue: "recovery_after_end_s")
    /// Retries and shed requests (counts), and goodput (successful external requests per second).
    public static let retries = SummaryMetric(rawValue: "retries")
    public static let shed = SummaryMetric(rawValue: "shed")
    public static let goodput = SummaryMetric(rawValue: "goodput_per_s")
    /// Mean queue wait over the run: every interval's mean weighted by the requests that started service in it (seconds).
    public static let meanQueueWait = SummaryMetric(rawValue: "mean_queue_wait_s")
    // Per probe: 1 passed, 0 failed.
    public static let probeBefore = SummaryMetric(rawValue: "before")
    public static let probeAfter = SummaryMetric(rawValue: "after")
}

/// One stored figure.
public struct SummaryFigure: Sendable, Equatable {
    public var subject: SummarySubject
    public var metric: SummaryMetric
    /// nan is stored as NULL (a figure that has no value, e.g. a recovery that never happened).
    public var value: Double
    public init(_ subject: SummarySubject, _ metric: SummaryMetric, _ value: Double) {
        self.subject = subject; self.metric = metric; self.value = value
    }
}

/// The figures of one run, read back: `figures[.run, .cost]`, `figures.faults`.
public struct RunFigures: Sendable, Equatable {
    public var values: [SummarySubject: [SummaryMetric: Double]]
    public init(_ values: [SummarySubject: [SummaryMetric: Double]] = [:]) { self.values = values }

    /// nil when the figure is missing or stored as NULL.
    public subscript(subject: SummarySubject, metric: SummaryMetric) -> Double? { values[subject]?[metric] }

    /// The run's faults in the order they started.
    public var faults: [String] {
        values.keys.compactMap(\.faultName).sorted { (self[.fault($0), .faultStart] ?? 0, $0) < (self[.fault($1), .faultStart] ?? 0, $1) }
    }
    public var probes: [String] { values.keys.compactMap(\.probeName).sorted() }
    public var services: [String] { values.keys.filter(\.isService).map(\.rawValue).sorted() }
}
