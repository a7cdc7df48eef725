import Foundation
import GRDB
import Telemetry

/// What identifies a run and what is needed to interpret its samples later.
public struct RunMetadata: Sendable {
    public struct Service: Sendable {
        public var name: String, sloP95Seconds: Double, sloErrorRate: Double, pricePerReplicaHour: Double, policy: String
        public var capacityPerReplica: Double
        public init(name: String, sloP95Seconds: Double, sloErrorRate: Double, pricePerReplicaHour: Double, policy: String,
                    capacityPerReplica: Double) {
            self.name = name; self.sloP95Seconds = sloP95Seconds; self.sloErrorRate = sloErrorRate
            self.pricePerReplicaHour = pricePerReplicaHour; self.policy = policy; self.capacityPerReplica = capacityPerReplica
        }
    }
    public var scenario: String
    public var seed: UInt64
    public var parameters: [String: String]
    public var label: String
    public var replication: Int
    public var toolVersion: String
    public var simulatedSeconds: Double
    public var scrapeSeconds: Double
    public var services: [Service]
    public var pools: [(name: String, pricePerHour: Double)]

    public init(scenario: String, seed: UInt64, parameters: [String: String], label: String, replication: Int,
                toolVersion: String, simulatedSeconds: Double, scrapeSeconds: Double, services: [Service],
                pools: [(name: String, pricePerHour: Double)]) {
        self.scenario = scenario; self.seed = seed; self.parameters = parameters; self.label = label
        self.replication = replication; self.toolVersion = toolVersion; self.simulatedSeconds = simulatedSeconds
        self.scrapeSeconds = scrapeSeconds; self.services = services; self.pools = pools
    }
}

/// Streams one run's samples and events into the store in batched transactions, so memory stays
/// flat however long the run. The run row is written first with status `running`; an interrupted
/// run keeps everything flushed so far and is marked `aborted` by `finish`.
///
/// Batches are written on a background queue, so the simulation goes on while SQLite works (with
/// a spare core, recording costs little wall time). At most two batches wait, so memory stays
/// flat; `finish` and `abandon` wait for all of them; a failed background write is reported by
/// the next call that can throw.
public final class RunWriter {
    public let runID: Int64
    let store: ResultsStore
    var scrapes: [Scrape] = []
    var events: [TimelineEvent] = []
    var predictions: [PredictionRecord] = []
    var decisions: [ScalingDecision] = []
    /// Flush after this many buffered scrapes (one simulated hour at the default 15 s scrape).
    public var batchScrapes = 240
    /// Write batches on a background queue (the default) or on the caller's thread. When every
    /// core already runs a simulation (a parallel sweep) an extra thread only adds switching.
    public var writesInBackground = true

    private let background = DispatchQueue(label: "stormglass.run-writer")
    private let batchesInFlight = DispatchSemaphore(value: 2)
    private let errorLock = NSLock()
    private var backgroundError: Error?

    init(store: ResultsStore, runID: Int64) { self.store = store; self.runID = runID }

    /// Rethrows (once) an error from a background write.
    private func rethrowBackgroundError() throws {
        errorLock.lock()
        let error = backgroundError
        backgroundError = nil
        errorLock.unlock()
        if let error { throw error }
    }

    /// Waits until every batch handed to the background queue is written.
    private func drain() throws {
        background.sync {}
        try rethrowBackgroundError()
    }

    public func append(_ scrape: Scrape) throws {
        scrapes.append(scrape)
        if scrapes.count >= batchScrapes { try flush() }
    }

    public func append(_ new: [TimelineEvent]) throws {
        events += new
        if events.count >= 10_000 { try flush() }
    }

    public func append(_ new: [PredictionRecord]) throws {
        predictions += new
        if predictions.count >= 20_000 { try flush() }
    }

    public func append(_ new: [ScalingDecision]) throws {
        decisions += new
        if decisions.count >= 10_000 { try flush() }
    }

    /// Hands everything buffered to the background queue, to be written in one transaction.
    public func flush() throws {
        try rethrowBackgroundError()
        guard !scrapes.isEmpty || !events.isEmpty || !predictions.isEmpty || !decisions.isEmpty else { return }
        let (scrapes, events, predictions, decisions) = (self.scrapes, self.events, self.predictions, self.decisions)
        self.scrapes.removeAll(keepingCapacity: true)
        self.events.removeAll(keepingCapacity: true)
        self.predictions.removeAll(keepingCapacity: true)
        self.decisions.removeAll(keepingCapacity: true)
        let (id, store) = (runID, self.store)
        guard writesInBackground else {
            try RunWriter.write(runID: id, scrapes: scrapes, events: events, predictions: predictions, decisions: decisions, to: store)
            return
        }
        batchesInFlight.wait()
        background.async { [self] in
            defer { batchesInFlight.signal() }
            do {
                try RunWriter.write(runID: id, scrapes: scrapes, events: events, predictions: predictions,
                                    decisions: decisions, to: store)
            } catch {
                errorLock.lock()
                if backgroundError == nil { backgroundError = error }
                errorLock.unlock()
            }
        }
    }

    private static func write(runID id: Int64, scrapes: [Scrape], events: [TimelineEvent], predictions: [PredictionRecord],
                              decisions: [ScalingDecision], to store: ResultsStore) throws {
        try store.write { db in
            let s = try db.cachedStatement(sql: """
                INSERT INTO service_samples VALUES (?,?,?,?, ?,?,?,?,?, ?,?,?,?, ?,?,?, ?,?,?, ?,?,?,?, ?,?)
                """)
            let n = try db.cachedStatement(sql: "INSERT INTO node_samples VALUES (?,?,?,?,?,?,?,?,?,?)")
            for scrape in scrapes {
                for o in scrape.services {
                    try s.execute(arguments: [id, o.time, o.interval, o.service,
                                              o.arrivals, o.completed, o.failed, o.rejected, o.timedOut,
                                              o.errorRate, o.p50, o.p95, o.p99,
                                              o.meanQueueWait, o.queueDepth, o.inFlight,
                                              o.cpuUtilization, o.memoryMiB, o.memoryUtilization,
                                              o.readyReplicas, o.startingReplicas, o.pendingReplicas, o.desiredReplicas,
                                              o.concurrencyPerReplica, o.replicaSeconds])
                }
                for x in scrape.nodes {
                    try n.execute(arguments: [id, x.time, x.node, x.pool, x.zone, x.state.rawValue, x.reachable,
                                              x.cpuAllocated, x.memoryAllocated, x.replicas])
                }
            }
            let e = try db.cachedStatement(sql: "INSERT INTO events VALUES (?,?,?,?,?)")
            for ev in events { try e.execute(arguments: [id, ev.time, ev.kind.rawValue, ev.subject, ev.detail]) }
            let p = try db.cachedStatement(sql: "INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?,?)")
            for r in predictions {
                try p.execute(arguments: [id, r.service, r.metric, r.model, r.madeAt, r.horizon, r.value, r.lower, r.upper, r.actual])
            }
            let d = try db.cachedStatement(sql: "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
            for x in decisions {
                let inputs = (try? JSONSerialization.data(withJSONObject: x.inputs.filter { $0.value.isFinite }, options: [.sortedKeys]))
                    .flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
                try d.execute(arguments: [id, x.time, x.service, x.policy, x.rule, x.current, x.proposal, x.final, x.limitedBy?.rawValue,
                                          x.confidence, x.reason, inputs, x.dryRun])
            }
        }
    }

    /// Flushes what is left and records the outcome and summary figures.
    public func finish(status: RunStatus, wallSeconds: Double, events eventCount: UInt64,
                       figures: [(service: String, metric: String, value: Double)],
                       latencyHistogram: [String: [(upperMicros: UInt64, count: UInt64)]],
                       accuracy: [AccuracyRecord] = []) throws {
        try flush()
        try drain()
        let id = runID
        try store.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, wall_seconds = ?, events = ? WHERE id = ?",
                           arguments: [status.rawValue, wallSeconds, Int64(eventCount), id])
            let f = try db.cachedStatement(sql: "INSERT OR REPLACE INTO summaries VALUES (?,?,?,?)")
            for x in figures { try f.execute(arguments: [id, x.service, x.metric, x.value.isFinite ? x.value : nil]) }
            let a = try db.cachedStatement(sql: "INSERT INTO forecast_accuracy VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
            for x in accuracy {
                let finite = { (v: Double) -> Double? in v.isFinite ? v : nil }
                try a.execute(arguments: [id, x.service, x.metric, x.model, x.horizon, x.count, finite(x.mape), finite(x.accuracy),
                                          finite(x.smape), finite(x.mase), finite(x.hitRate), finite(x.coverage), finite(x.scale)])
            }
            let h = try db.cachedStatement(sql: "INSERT INTO latency_histogram VALUES (?,?,?,?)")
            for (service, buckets) in latencyHistogram.sorted(by: { $0.key < $1.key }) {
                for b in buckets { try h.execute(arguments: [id, service, Int64(b.upperMicros), Int64(b.count)]) }
            }
        }
    }

    /// Marks the run failed or aborted after an error, keeping what was flushed. Never throws.
    public func abandon(status: RunStatus) {
        try? flush()
        try? drain()
        let id = runID
        try? store.write { db in try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ?", arguments: [status.rawValue, id]) }
    }
}

extension ResultsStore {
    /// Inserts the run row (status `running`) and its service and pool descriptions.
    public func beginRun(_ meta: RunMetadata) throws -> RunWriter {
        let params = (try? String(data: JSONSerialization.data(withJSONObject: meta.parameters, options: [.sortedKeys]), encoding: .utf8)) ?? "{}"
        let started = ISO8601DateFormatter().string(from: Date())
        let id: Int64 = try write { db in
            try db.execute(sql: """
                INSERT INTO runs (scenario, seed, parameters, label, replication, tool_version, started_at,
                                  simulated_seconds, scrape_seconds, status)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                """, arguments: [meta.scenario, Int64(bitPattern: meta.seed), params, meta.label, meta.replication,
                                 meta.toolVersion, started, meta.simulatedSeconds, meta.scrapeSeconds, RunStatus.running.rawValue])
            let id = db.lastInsertedRowID
            for s in meta.services {
                try db.execute(sql: "INSERT INTO services VALUES (?,?,?,?,?,?,?)",
                               arguments: [id, s.name, s.sloP95Seconds, s.sloErrorRate, s.pricePerReplicaHour, s.policy,
                                           s.capacityPerReplica])
            }
            for p in meta.pools {
                try db.execute(sql: "INSERT INTO pools VALUES (?,?,?)", arguments: [id, p.name, p.pricePerHour])
            }
            return id
        }
        return RunWriter(store: self, runID: id)
    }
}
