import Foundation
import GRDB
import Telemetry

// One record type per table: the schema's columns are the coding keys, and inserting, reading,
// merging and exporting all go through them (GRDB's FetchableRecord / PersistableRecord), so a column
// cannot be added in one place and forgotten in another. The hot inserts use GRDB's cached
// statements for each record type.

/// A run (`runs`).
public struct RunRow: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runs"
    public var id: Int64?
    public var scenario: String
    public var seed: Int64
    /// JSON object of the `--set` overrides.
    public var parameters: String
    public var label: String
    public var replication: Int
    public var toolVersion: String
    public var startedAt: String
    public var wallSeconds: Double?
    public var simulatedSeconds: Double
    public var scrapeSeconds: Double
    public var events: Int64?
    public var status: String
    /// The process writing the run, to tell a run in progress from one whose writer died.
    public var writerPID: Int64?
    public var writerHost: String?
    /// What the run kept (`RecordingLevel`'s raw value).
    public var recording: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, scenario, seed, parameters, label, replication, toolVersion = "tool_version", startedAt = "started_at"
        case wallSeconds = "wall_seconds", simulatedSeconds = "simulated_seconds", scrapeSeconds = "scrape_seconds", events, status
        case writerPID = "writer_pid", writerHost = "writer_host", recording
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A service of a run (`services`).
struct ServiceRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "services"
    var runID: Int64, service: String, sloP95Seconds: Double, sloErrorRate: Double, pricePerReplicaHour: Double, policy: String
    var capacityPerReplica: Double
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", service, sloP95Seconds = "slo_p95_seconds", sloErrorRate = "slo_error_rate"
        case pricePerReplicaHour = "price_per_replica_hour", policy, capacityPerReplica = "capacity_per_replica"
    }
}

/// A node pool of a run (`pools`).
struct PoolRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "pools"
    var runID: Int64, pool: String, pricePerHour: Double
    enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id", pool, pricePerHour = "price_per_hour" }
}

/// A scheduled fault of a run (`faults`): what reports read instead of parsing event text.
public struct FaultRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "faults"
    public var runID: Int64
    public var name: String
    /// The fault kind's name (`node-crash`, `latency`, a user's own).
    public var kind: String
    /// The target in words (`service payments`, `1 random node in zone b`).
    public var target: String
    /// The service a service-level fault hits (nil for node faults).
    public var targetService: String?
    public var start: Double
    public var duration: Double?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", name, kind, target, targetService = "target_service", start, duration
    }
}

/// A service's scrape (`service_samples`): every recorded field of `ServiceSample`, one column each.
///
/// The row is the sample itself; its columns are named once (`CodingKeys`), written in one exhaustive
/// switch (`value(_:)`) and read in `init(row:)`. `RecorderTests` sets every field of a sample and
/// reads it back, so a field missed here fails there.
struct ServiceSampleRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "service_samples"
    var runID: Int64
    var sample: ServiceSample

    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", t, interval, service, arrivals, completed, failed, rejected, timedOut = "timed_out"
        case errorRate = "error_rate", p50, p95, p99, meanQueueWait = "mean_queue_wait", queueDepth = "queue_depth", inFlight = "in_flight"
        case cpuUtilization = "cpu_utilization", memoryMiB = "memory_mib", memoryUtilization = "memory_utilization"
        case ready, starting, pending, desired, concurrency, replicaSeconds = "replica_seconds"
        case connectionPool = "connection_pool", connectionPoolUtilization = "connection_pool_utilization"
        case retries, shed, goodput, started
    }

    init(runID: Int64, _ sample: ServiceSample) {
        self.runID = runID
        self.sample = sample
    }

    /// The sample as the control plane saw it (`error_rate` is derived, so not read back).
    init(row: Row) throws {
        func column<Value: DatabaseValueConvertible>(_ key: CodingKeys) throws -> Value { try row.decode(Value.self, forColumn: key.rawValue) }
        runID = try column(.runID)
        var o = ServiceSample(time: try column(.t), interval: try column(.interval), service: try column(.service))
        var m = ServiceSample.Measurements()
        m.arrivals = try column(.arrivals); m.completed = try column(.completed); m.failed = try column(.failed)
        m.rejected = try column(.rejected); m.timedOut = try column(.timedOut)
        m.retries = try column(.retries); m.shed = try column(.shed); m.goodput = try column(.goodput)
        m.p50 = try column(.p50); m.p95 = try column(.p95); m.p99 = try column(.p99); m.meanQueueWait = try column(.meanQueueWait)
        m.started = try column(.started)
        m.queueDepth = try column(.queueDepth); m.inFlight = try column(.inFlight)
        m.cpuUtilization = try column(.cpuUtilization); m.memoryMiB = try column(.memoryMiB)
        m.memoryUtilization = try column(.memoryUtilization); m.connectionPoolUtilization = try column(.connectionPoolUtilization)
        o.measured = m
        o.readyReplicas = try column(.ready); o.startingReplicas = try column(.starting); o.pendingReplicas = try column(.pending)
        o.desiredReplicas = try column(.desired); o.concurrencyPerReplica = try column(.concurrency)
        o.replicaSeconds = try column(.replicaSeconds); o.connectionPool = try column(.connectionPool)
        sample = o
    }
}

/// A node's scrape (`node_samples`).
struct NodeSampleRow: Decodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "node_samples"
    var runID: Int64, t: Double, node: String, pool: String, zone: String, state: String, reachable: Bool
    var cpuAllocated: Double, memoryAllocated: Double, replicas: Int
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", t, node, pool, zone, state, reachable, cpuAllocated = "cpu_allocated"
        case memoryAllocated = "memory_allocated", replicas
    }
    init(runID: Int64, _ x: NodeSample) {
        self.runID = runID; t = x.time; node = x.node; pool = x.pool; zone = x.zone; state = x.state.rawValue
        reachable = x.reachable; cpuAllocated = x.cpuAllocated; memoryAllocated = x.memoryAllocated; replicas = x.replicas
    }
}

/// A timeline event (`events`).
public struct EventRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "events"
    public var runID: Int64, t: Double, kind: String, subject: String, detail: String
    enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id", t, kind, subject, detail }
    init(runID: Int64, _ e: TimelineEvent) { self.runID = runID; t = e.time; kind = e.kind.rawValue; subject = e.subject; detail = e.detail }
    public var event: TimelineEvent { TimelineEvent(time: t, kind: EventKind(rawValue: kind), subject: subject, detail: detail) }
}

/// A forecast and its actual (`predictions`).
struct PredictionRow: Decodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "predictions"
    var runID: Int64, service: String, metric: String, model: String, madeAt: Double, horizon: Double, value: Double
    var lower: Double?, upper: Double?, actual: Double?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", service, metric, model, madeAt = "made_at", horizon, value, lower, upper, actual
    }
    init(runID: Int64, _ r: PredictionRecord) {
        self.runID = runID; service = r.service; metric = r.metric; model = r.model; madeAt = r.madeAt; horizon = r.horizon
        value = r.value; lower = r.lower; upper = r.upper; actual = r.actual
    }
}

/// A scaling decision (`decisions`).
struct DecisionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "decisions"
    var runID: Int64, t: Double, service: String, policy: String, rule: String, current: Int, proposal: Int, final: Int
    var limitedBy: String?, confidence: Double, reason: String
    /// JSON object: the metric values the decision read.
    var inputs: String
    var dryRun: Bool
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", t, service, policy, rule, current, proposal, final, limitedBy = "limited_by", confidence, reason
        case inputs, dryRun = "dry_run"
    }
    init(runID: Int64, _ x: ScalingDecision) {
        self.runID = runID; t = x.time; service = x.service; policy = x.policy; rule = x.rule; current = x.current
        proposal = x.proposal; final = x.final; limitedBy = x.limitedBy?.rawValue; confidence = x.confidence; reason = x.reason
        inputs = (try? JSONSerialization.data(withJSONObject: x.inputs.filter { $0.value.isFinite }, options: [.sortedKeys]))
            .flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        dryRun = x.dryRun
    }

    var decision: ScalingDecision {
        let values = (try? JSONSerialization.jsonObject(with: Data(inputs.utf8))) as? [String: Double] ?? [:]
        return ScalingDecision(time: t, service: service, policy: policy, rule: rule, current: current, proposal: proposal, final: final,
                               limitedBy: limitedBy.map { LimitReason(rawValue: $0) }, confidence: confidence, reason: reason,
                               inputs: values, dryRun: dryRun)
    }
}

/// A headline figure (`summaries`); NULL = no value (not recovered, not detected).
struct SummaryRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "summaries"
    var runID: Int64, service: String, metric: String, value: Double?
    enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id", service, metric, value }
}

/// Forecast accuracy of one model at one horizon (`forecast_accuracy`); NULL where undefined.
struct AccuracyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "forecast_accuracy"
    var runID: Int64, service: String, metric: String, model: String, horizon: Double, forecasts: Int
    var mape: Double?, accuracy: Double?, smape: Double?, mase: Double?, hitRate: Double?, coverage: Double?, maseScale: Double?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", service, metric, model, horizon, forecasts, mape, accuracy, smape, mase, hitRate = "hit_rate", coverage
        case maseScale = "mase_scale"
    }
    init(runID: Int64, _ x: AccuracyRecord) {
        let finite = { (v: Double) -> Double? in v.isFinite ? v : nil }
        self.runID = runID; service = x.service; metric = x.metric; model = x.model; horizon = x.horizon; forecasts = x.count
        mape = finite(x.mape); accuracy = finite(x.accuracy); smape = finite(x.smape); mase = finite(x.mase)
        hitRate = finite(x.hitRate); coverage = finite(x.coverage); maseScale = finite(x.scale)
    }
    var record: AccuracyRecord {
        AccuracyRecord(service: service, metric: metric, model: model, horizon: horizon, count: forecasts, mape: mape ?? .nan,
                       accuracy: accuracy ?? .nan, smape: smape ?? .nan, mase: mase ?? .nan, hitRate: hitRate ?? .nan,
                       coverage: coverage ?? .nan, scale: maseScale ?? .nan)
    }
}

/// One bucket of a run's latency histogram (`latency_histogram`).
struct LatencyBucketRow: Decodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "latency_histogram"
    var runID: Int64, service: String, upperUs: Int64, count: Int64
    enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id", service, upperUs = "upper_us", count }
}

extension ResultsStore {
    /// Every table holding one run's rows, by its `run_id` (what `merge` copies, in this order).
    static let perRunTables: [String] = [
        ServiceRow.databaseTableName, PoolRow.databaseTableName, FaultRow.databaseTableName, ServiceSampleRow.databaseTableName,
        NodeSampleRow.databaseTableName, EventRow.databaseTableName, PredictionRow.databaseTableName,
        LatencyBucketRow.databaseTableName, SummaryRow.databaseTableName, AccuracyRow.databaseTableName, DecisionRow.databaseTableName,
        LiveReadRow.databaseTableName, LiveActionRow.databaseTableName,
    ]
}

// The tables written every scrape (and the run's histograms, hundreds of buckets a service) go through `BulkInsertable`: each names its value per
// column in one exhaustive switch (the compiler checks every column has one), and a batch reuses
// one prepared statement. GRDB's per-record `insert` encodes through Codable and builds and looks
// up its statement for every row — more than all the rest of a large fluid run.
extension ServiceSampleRow: BulkInsertable {
    func value(_ key: CodingKeys) -> DatabaseValue {
        let o = sample, m = sample.measured
        switch key {
        case .runID: return runID.databaseValue
        case .t: return o.time.databaseValue
        case .interval: return o.interval.databaseValue
        case .service: return o.service.databaseValue
        case .arrivals: return m.arrivals.databaseValue
        case .completed: return m.completed.databaseValue
        case .failed: return m.failed.databaseValue
        case .rejected: return m.rejected.databaseValue
        case .timedOut: return m.timedOut.databaseValue
        case .errorRate: return o.errorRate.databaseValue
        case .p50: return m.p50.databaseValue
        case .p95: return m.p95.databaseValue
        case .p99: return m.p99.databaseValue
        case .meanQueueWait: return m.meanQueueWait.databaseValue
        case .queueDepth: return m.queueDepth.databaseValue
        case .inFlight: return m.inFlight.databaseValue
        case .cpuUtilization: return m.cpuUtilization.databaseValue
        case .memoryMiB: return m.memoryMiB.databaseValue
        case .memoryUtilization: return m.memoryUtilization.databaseValue
        case .ready: return o.readyReplicas.databaseValue
        case .starting: return o.startingReplicas.databaseValue
        case .pending: return o.pendingReplicas.databaseValue
        case .desired: return o.desiredReplicas.databaseValue
        case .concurrency: return o.concurrencyPerReplica.databaseValue
        case .replicaSeconds: return o.replicaSeconds.databaseValue
        case .connectionPool: return o.connectionPool.databaseValue
        case .connectionPoolUtilization: return m.connectionPoolUtilization.databaseValue
        case .retries: return m.retries.databaseValue
        case .shed: return m.shed.databaseValue
        case .goodput: return m.goodput.databaseValue
        case .started: return m.started.databaseValue
        }
    }
}

extension NodeSampleRow: BulkInsertable {
    func value(_ key: CodingKeys) -> DatabaseValue {
        switch key {
        case .runID: runID.databaseValue
        case .t: t.databaseValue
        case .node: node.databaseValue
        case .pool: pool.databaseValue
        case .zone: zone.databaseValue
        case .state: state.databaseValue
        case .reachable: reachable.databaseValue
        case .cpuAllocated: cpuAllocated.databaseValue
        case .memoryAllocated: memoryAllocated.databaseValue
        case .replicas: replicas.databaseValue
        }
    }
}

extension PredictionRow: BulkInsertable {
    func value(_ key: CodingKeys) -> DatabaseValue {
        switch key {
        case .runID: runID.databaseValue
        case .service: service.databaseValue
        case .metric: metric.databaseValue
        case .model: model.databaseValue
        case .madeAt: madeAt.databaseValue
        case .horizon: horizon.databaseValue
        case .value: value.databaseValue
        case .lower: lower.databaseValue
        case .upper: upper.databaseValue
        case .actual: actual.databaseValue
        }
    }
}

extension LatencyBucketRow: BulkInsertable {
    func value(_ key: CodingKeys) -> DatabaseValue {
        switch key {
        case .runID: runID.databaseValue
        case .service: service.databaseValue
        case .upperUs: upperUs.databaseValue
        case .count: count.databaseValue
        }
    }
}
