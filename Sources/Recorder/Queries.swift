import Foundation
import GRDB
import Telemetry

/// One row of the `runs` table.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64
    public var scenario: String
    public var seed: Int64
    public var parameters: String
    public var label: String
    public var replication: Int
    public var startedAt: String
    public var wallSeconds: Double?
    public var simulatedSeconds: Double
    public var events: Int64?
    /// As stored, except that a `running` run whose writer is gone is `interrupted`.
    public var status: RunStatus
    /// For a `running` or `interrupted` run: its writer in words ("process 123 on host-a").
    public var writer: String?
    /// What the run kept (an unknown level, from a newer Stormglass, reads as `all`).
    public var recording: RecordingLevel = .all
}

extension ResultsStore {
    public func runs() throws -> [RunRecord] {
        try read { db in
            try RunRow.order(Column("id")).fetchAll(db).map { r in
                let stored = RunStatus(rawValue: r.status)
                let running = stored == .running
                return RunRecord(id: r.id ?? 0, scenario: r.scenario, seed: r.seed, parameters: r.parameters, label: r.label,
                                 replication: r.replication, startedAt: r.startedAt, wallSeconds: r.wallSeconds,
                                 simulatedSeconds: r.simulatedSeconds, events: r.events,
                                 status: running && ResultsStore.writerIsGone(pid: r.writerPID, host: r.writerHost) ? .interrupted : stored,
                                 writer: running ? r.writerPID.map { "process \($0) on \(r.writerHost ?? "an unknown host")" } : nil,
                                 recording: RecordingLevel(rawValue: r.recording) ?? .all)
            }
        }
    }

    /// Whether a run's writer has certainly stopped: it ran on this machine and no such process
    /// exists. Runs recorded before writers were (no pid) left `running` are gone too, as are runs
    /// from another machine that only that machine could check (those stay `running`).
    static func writerIsGone(pid: Int64?, host: String?) -> Bool {
        guard let pid else { return true }
        guard host == ProcessInfo.processInfo.hostName else { return false }
        if pid == Int64(getpid()) { return false }
        return kill(pid_t(truncatingIfNeeded: pid), 0) == -1 && errno == ESRCH
    }

    /// The last sampled instant of a run (what an interrupted run reached).
    public func recordedUntil(run: Int64) throws -> Double {
        try read { db in try Double.fetchOne(db, sql: "SELECT max(t) FROM service_samples WHERE run_id = ?", arguments: [run]) ?? 0 }
    }

    /// The faults scheduled in a run (empty for runs recorded before faults were).
    public func faults(run: Int64) throws -> [FaultRow] {
        try read { db in try FaultRow.filter(Column("run_id") == run).order(Column("start"), Column("name")).fetchAll(db) }
    }

    /// A run's timeline, in the order it happened.
    public func events(run: Int64) throws -> [TimelineEvent] {
        try read { db in
            try EventRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map(\.event)
        }
    }

    /// A run's dry-run decisions (what a forecast-only policy would have done), in time order.
    public func shadowDecisions(run: Int64) throws -> [ScalingDecision] {
        try read { db in
            try DecisionRow.filter(Column("run_id") == run && Column("dry_run") == true).order(Column("t"), Column("rowid")).fetchAll(db).map(\.decision)
        }
    }

    /// A run's scrapes of every service, in time order.
    public func serviceSamples(run: Int64) throws -> [ServiceSample] {
        try read { db in
            try ServiceSampleRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map(\.sample)
        }
    }

    /// Summary figures of a run (a NULL figure reads as missing).
    public func summary(run: Int64) throws -> RunFigures {
        try read { db in
            var out: [SummarySubject: [SummaryMetric: Double]] = [:]
            for r in try SummaryRow.filter(Column("run_id") == run).fetchAll(db) {
                out[SummarySubject(rawValue: r.service), default: [:]][SummaryMetric(rawValue: r.metric)] = r.value
            }
            return RunFigures(out)
        }
    }

    /// Services of a run in declaration order.
    public func services(run: Int64) throws -> [String] {
        try read { db in try ServiceRow.filter(Column("run_id") == run).order(Column("rowid")).fetchAll(db).map(\.service) }
    }

}

extension ResultsStore {
    /// Forecast accuracy of a run, per service, metric, model and horizon.
    public func accuracy(run: Int64) throws -> [AccuracyRecord] {
        try read { db in
            try AccuracyRow.filter(Column("run_id") == run)
                .order(Column("service"), Column("metric"), Column("model"), Column("horizon")).fetchAll(db).map(\.record)
        }
    }
}

/// A service of a recorded run: its objective and price.
public struct ServiceDescription: Sendable, Equatable {
    public var name: String
    public var slo: SLOTarget
    public var pricePerReplicaHour: Double
    public var policy: String
    public var capacityPerReplica: Double
}

extension ResultsStore {
    /// The services of a run in declaration order, with their SLO and price.
    public func serviceDescriptions(run: Int64) throws -> [ServiceDescription] {
        try read { db in
            try ServiceRow.filter(Column("run_id") == run).order(Column("rowid")).fetchAll(db).map {
                ServiceDescription(name: $0.service, slo: SLOTarget(p95: $0.sloP95Seconds, errorRate: $0.sloErrorRate),
                                   pricePerReplicaHour: $0.pricePerReplicaHour, policy: $0.policy, capacityPerReplica: $0.capacityPerReplica)
            }
        }
    }
}

extension ResultsStore {
    /// One model's forecasts of a service, in the order they were made.
    public func predictions(run: Int64, service: String, model: String) throws -> [PredictionRecord] {
        try read { db in
            try PredictionRow.filter(Column("run_id") == run && Column("service") == service && Column("model") == model)
                .order(Column("made_at"), Column("horizon")).fetchAll(db)
                .map { PredictionRecord(service: $0.service, metric: $0.metric, model: $0.model, madeAt: $0.madeAt, horizon: $0.horizon,
                                        value: $0.value, lower: $0.lower, upper: $0.upper, actual: $0.actual) }
        }
    }
}
