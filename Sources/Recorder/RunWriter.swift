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
    /// The scheduled faults, so reports read their kind and target instead of event text.
    public var faults: [Fault]
    /// What the run keeps.
    public var recording: RecordingLevel = .all

    public struct Fault: Sendable {
        public var name: String, kind: String, target: String, targetService: String?, start: Double, duration: Double?
        public init(name: String, kind: String, target: String, targetService: String?, start: Double, duration: Double?) {
            self.name = name; self.kind = kind; self.target = target; self.targetService = targetService
            self.start = start; self.duration = duration
        }
    }

    public init(scenario: String, seed: UInt64, parameters: [String: String], label: String, replication: Int,
                toolVersion: String, simulatedSeconds: Double, scrapeSeconds: Double, services: [Service],
                pools: [(name: String, pricePerHour: Double)], faults: [Fault] = [], recording: RecordingLevel = .all) {
        self.scenario = scenario; self.seed = seed; self.parameters = parameters; self.label = label
        self.replication = replication; self.toolVersion = toolVersion; self.simulatedSeconds = simulatedSeconds
        self.scrapeSeconds = scrapeSeconds; self.services = services; self.pools = pools; self.faults = faults
        self.recording = recording
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

    /// What this run keeps: samples and predictions beyond it are dropped as they arrive.
    public let recording: RecordingLevel

    init(store: ResultsStore, runID: Int64, recording: RecordingLevel = .all) {
        self.store = store; self.runID = runID; self.recording = recording
    }

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
        guard recording.keepsSamples else { return }
        scrapes.append(scrape)
        if scrapes.count >= batchScrapes { try flush() }
    }

    public func append(_ new: [TimelineEvent]) throws {
        events += new
        if events.count >= 10_000 { try flush() }
    }

    public func append(_ new: [PredictionRecord]) throws {
        guard recording.keepsPredictions else { return }
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
            // One call per table and batch: a call looks its statement up by its SQL text.
            try db.insert(all: scrapes.lazy.flatMap { $0.services.lazy.map { ServiceSampleRow(runID: id, $0) } })
            try db.insert(all: scrapes.lazy.flatMap { $0.nodes.lazy.map { NodeSampleRow(runID: id, $0) } })
            for e in events { try EventRow(runID: id, e).insert(db) }
            try db.insert(all: predictions.lazy.map { PredictionRow(runID: id, $0) })
            for x in decisions { try DecisionRow(runID: id, x).insert(db) }
        }
    }

    /// Flushes what is left and records the outcome and summary figures.
    public func finish(status: RunStatus, wallSeconds: Double, events eventCount: UInt64,
                       figures: [SummaryFigure],
                       latencyHistogram: [String: [(upperMicros: UInt64, count: UInt64)]],
                       accuracy: [AccuracyRecord] = []) throws {
        try flush()
        try drain()
        let id = runID
        try store.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, wall_seconds = ?, events = ? WHERE id = ?",
                           arguments: [status.rawValue, wallSeconds, Int64(eventCount), id])
            for x in figures {
                try SummaryRow(runID: id, service: x.subject.rawValue, metric: x.metric.rawValue, value: x.value.isFinite ? x.value : nil)
                    .insert(db, onConflict: .replace)
            }
            for x in accuracy { try AccuracyRow(runID: id, x).insert(db) }
            for (service, buckets) in latencyHistogram.sorted(by: { $0.key < $1.key }) {
                try db.insert(all: buckets.lazy.map { LatencyBucketRow(runID: id, service: service, upperUs: Int64($0.upperMicros), count: Int64($0.count)) })
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
        var run = RunRow(id: nil, scenario: meta.scenario, seed: Int64(bitPattern: meta.seed), parameters: params, label: meta.label,
                         replication: meta.replication, toolVersion: meta.toolVersion, startedAt: ISO8601DateFormatter().string(from: Date()),
                         wallSeconds: nil, simulatedSeconds: meta.simulatedSeconds, scrapeSeconds: meta.scrapeSeconds, events: nil,
                         status: RunStatus.running.rawValue, writerPID: Int64(getpid()), writerHost: ProcessInfo.processInfo.hostName,
                         recording: meta.recording.rawValue)
        let id: Int64 = try write { db in
            try run.insert(db)
            let id = run.id!
            for s in meta.services {
                try ServiceRow(runID: id, service: s.name, sloP95Seconds: s.sloP95Seconds, sloErrorRate: s.sloErrorRate,
                               pricePerReplicaHour: s.pricePerReplicaHour, policy: s.policy, capacityPerReplica: s.capacityPerReplica).insert(db)
            }
            for p in meta.pools { try PoolRow(runID: id, pool: p.name, pricePerHour: p.pricePerHour).insert(db) }
            for f in meta.faults {
                try FaultRow(runID: id, name: f.name, kind: f.kind, target: f.target, targetService: f.targetService,
                             start: f.start, duration: f.duration).insert(db)
            }
            return id
        }
        return RunWriter(store: self, runID: id, recording: meta.recording)
    }
}
