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

/// A service's scrape (`service_samples`): every field of `ServiceSample`.
struct ServiceSampleRow: Decodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "service_samples"
    var runID: Int64
    var t: Double, interval: Double, service: String
    var arrivals: Int, completed: Int, failed: Int, rejected: Int, timedOut: Int
    var errorRate: Double, p50: Double, p95: Double, p99: Double, meanQueueWait: Double
    var queueDepth: Int, inFlight: Int
    var cpuUtilization: Double, memoryMiB: Double, memoryUtilization: Double
    var ready: Int, starting: Int, pending: Int, desired: Int, concurrency: Int
    var replicaSeconds: Double
    var connectionPool: Int, connectionPoolUtilization: Double
    var retries: Int, shed: Int, goodput: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case runID = "run_id", t, interval, service, arrivals, completed, failed, rejected, timedOut = "timed_out"
        case errorRate = "error_rate", p50, p95, p99, meanQueueWait = "mean_queue_wait", queueDepth = "queue_depth", inFlight = "in_flight"
        case cpuUtilization = "cpu_utilization", memoryMiB = "memory_mib", memoryUtilization = "memory_utilization"
        case ready, starting, pending, desired, concurrency, replicaSeconds = "replica_seconds"
        case connectionPool = "connection_pool", connectionPoolUtilization = "connection_pool_utilization"
        case retries, shed, goodput
    }

    init(runID: Int64, _ o: ServiceSample) {
        self.runID = runID
        t = o.time; interval = o.interval; service = o.service
        arrivals = o.arrivals; completed = o.completed; failed = o.failed; rejected = o.rejected; timedOut = o.timedOut
        errorRate = o.errorRate; p50 = o.p50; p95 = o.p95; p99 = o.p99; meanQueueWait = o.meanQueueWait
        queueDepth = o.queueDepth; inFlight = o.inFlight
        cpuUtilization = o.cpuUtilization; memoryMiB = o.memoryMiB; memoryUtilization = o.memoryUtilization
        ready = o.readyReplicas; starting = o.startingReplicas; pending = o.pendingReplicas; desired = o.desiredReplicas
        concurrency = o.concurrencyPerReplica; replicaSeconds = o.replicaSeconds
        connectionPool = o.connectionPool; connectionPoolUtilization = o.connectionPoolUtilization
        retries = o.retries; shed = o.shed; goodput = o.goodput
    }

    /// The sample as the control plane saw it.
    var sample: ServiceSample {
        var o = ServiceSample(time: t, interval: interval, service: service)
        o.arrivals = arrivals; o.completed = completed; o.failed = failed; o.rejected = rejected; o.timedOut = timedOut
        o.p50 = p50; o.p95 = p95; o.p99 = p99; o.meanQueueWait = meanQueueWait
        o.queueDepth = queueDepth; o.inFlight = inFlight
        o.cpuUtilization = cpuUtilization; o.memoryMiB = memoryMiB; o.memoryUtilization = memoryUtilization
        o.readyReplicas = ready; o.startingReplicas = starting; o.pendingReplicas = pending; o.desiredReplicas = desired
        o.concurrencyPerReplica = concurrency; o.replicaSeconds = replicaSeconds
        o.connectionPool = connectionPool; o.connectionPoolUtilization = connectionPoolUtilization
        o.retries = retries; o.shed = shed; o.goodput = goodput
        return o
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
        switch key {
        case .runID: runID.databaseValue
        case .t: t.databaseValue
        case .interval: interval.databaseValue
        case .service: service.databaseValue
        case .arrivals: arrivals.databaseValue
        case .completed: completed.databaseValue
        case .failed: failed.databaseValue
        case .rejected: rejected.databaseValue
        case .timedOut: timedOut.databaseValue
        case .errorRate: errorRate.databaseValue
        case .p50: p50.databaseValue
        case .p95: p95.databaseValue
        case .p99: p99.databaseValue
        case .meanQueueWait: meanQueueWait.databaseValue
        case .queueDepth: queueDepth.databaseValue
        case .inFlight: inFlight.databaseValue
        case .cpuUtilization: cpuUtilization.databaseValue
        case .memoryMiB: memoryMiB.databaseValue
        case .memoryUtilization: memoryUtilization.databaseValue
        case .ready: ready.databaseValue
        case .starting: starting.databaseValue
        case .pending: pending.databaseValue
        case .desired: desired.databaseValue
        case .concurrency: concurrency.databaseValue
        case .replicaSeconds: replicaSeconds.databaseValue
        case .connectionPool: connectionPool.databaseValue
        case .connectionPoolUtilization: connectionPoolUtilization.databaseValue
        case .retries: retries.databaseValue
        case .shed: shed.databaseValue
        case .goodput: goodput.databaseValue
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
