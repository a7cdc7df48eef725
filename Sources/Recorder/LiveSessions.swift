import Foundation
import GRDB
import Telemetry

struct LiveReadRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "live_reads"
    var runID: Int64, t: Double, service: String, signal: String, query: String, status: String, value: Double?, detail: String
    enum CodingKeys: String, CodingKey { case runID = "run_id", t, service, signal, query, status, value, detail }
    init(runID: Int64, _ r: LiveRead) {
        self.runID = runID; t = r.time; service = r.service; signal = r.signal; query = r.query
        status = r.status.rawValue; value = r.value; detail = r.detail
    }
    var read: LiveRead {
        // An unknown status (from a newer Stormglass) is an error read: never a number.
        LiveRead(time: t, service: service, signal: signal, query: query, status: LiveReadStatus(rawValue: status) ?? .error,
                 value: value, detail: detail)
    }
}

/// One action a live session took (or would have taken, dry-run) through its actuator.
public struct LiveAction: Sendable, Equatable {
    public var time: Double
    public var service: String
    public var replicas: Int
    public var actuator: String
    /// `done`, `error` or `skipped` (dry run, kill switch, rate limit).
    public var outcome: String
    public var detail: String
    /// The replica replaced (the self-healer's action); nil for a change of the replica count.
    public var replica: String?
    public init(time: Double, service: String, replicas: Int, actuator: String, outcome: String, detail: String, replica: String? = nil) {
        self.time = time; self.service = service; self.replicas = replicas; self.actuator = actuator; self.outcome = outcome; self.detail = detail
        self.replica = replica
    }
}

struct LiveActionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "live_actions"
    var runID: Int64, t: Double, service: String, replicas: Int, actuator: String, outcome: String, detail: String, replica: String?
    enum CodingKeys: String, CodingKey { case runID = "run_id", t, service, replicas, actuator, outcome, detail, replica }
}

extension ResultsStore {
    /// Records what one poll of a live session read, at once (a session stopped by force keeps every poll before it).
    public func appendLiveReads(run: Int64, _ reads: [LiveRead], actions: [LiveAction] = []) throws {
        try write { db in
            for r in reads { try LiveReadRow(runID: run, r).insert(db) }
            for a in actions {
                try LiveActionRow(runID: run, t: a.time, service: a.service, replicas: a.replicas, actuator: a.actuator,
                                  outcome: a.outcome, detail: a.detail, replica: a.replica).insert(db)
            }
        }
    }

    /// A live session's reads, in the order they were made.
    public func liveReads(run: Int64) throws -> [LiveRead] {
        try read { db in try LiveReadRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map(\.read) }
    }

    public func liveActions(run: Int64) throws -> [LiveAction] {
        try read { db in
            try LiveActionRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map {
                LiveAction(time: $0.t, service: $0.service, replicas: $0.replicas, actuator: $0.actuator, outcome: $0.outcome, detail: $0.detail,
                           replica: $0.replica)
            }
        }
    }

    /// Every decision a run recorded (applied and dry-run), in the order it was made.
    public func decisions(run: Int64) throws -> [ScalingDecision] {
        try read { db in try DecisionRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map(\.decision) }
    }

    /// The decisions as the `decisions` table holds them, one line each: what "identical" means for a replay.
    public static func decisionLines(_ decisions: [ScalingDecision]) -> [String] {
        decisions.map { DecisionRow(runID: 0, $0).line }
    }

    /// The recorded decisions of a run, as ``decisionLines(_:)`` writes them, straight from the table.
    public func recordedDecisionLines(run: Int64) throws -> [String] {
        try read { db in
            try DecisionRow.filter(Column("run_id") == run).order(Column("t"), Column("rowid")).fetchAll(db).map(\.line)
        }
    }
}

extension DecisionRow {
    /// Every column, times and confidences by their bits, joined by a unit separator.
    var line: String {
        [String(t.bitPattern), service, policy, rule, "\(current)", "\(proposal)", "\(final)", limitedBy ?? "",
         String(confidence.bitPattern), reason, inputs, dryRun ? "1" : "0"].joined(separator: "\u{1f}")
    }
}
