import Foundation
import GRDB

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
    public var status: RunStatus
}

extension ResultsStore {
    public func runs() throws -> [RunRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map { r in
                RunRecord(id: r["id"], scenario: r["scenario"], seed: r["seed"], parameters: r["parameters"],
                          label: r["label"], replication: r["replication"], startedAt: r["started_at"],
                          wallSeconds: r["wall_seconds"], simulatedSeconds: r["simulated_seconds"], events: r["events"],
                          status: RunStatus(rawValue: r["status"]))
            }
        }
    }

    /// Summary figures of a run: service → metric → value.
    public func summary(run: Int64) throws -> [String: [String: Double]] {
        try read { db in
            var out: [String: [String: Double]] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT service, metric, value FROM summaries WHERE run_id = ?", arguments: [run]) {
                out[r["service"], default: [:]][r["metric"]] = r["value"] as Double?
            }
            return out
        }
    }

    /// Services of a run in declaration order.
    public func services(run: Int64) throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT service FROM services WHERE run_id = ? ORDER BY rowid", arguments: [run]) }
    }

    /// Runs an arbitrary read-only query, returning column names and rows as text (for export).
    public func query(_ sql: String, arguments: [DatabaseValueConvertible?] = []) throws -> (columns: [String], rows: [[String]]) {
        try read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            let columns = try rows.first.map { Array($0.columnNames) } ?? db.makeStatement(sql: sql).columnNames
            return (columns, rows.map { row in
                row.databaseValues.map { v in
                    switch v.storage {
                    case .null: return ""
                    case .int64(let i): return String(i)
                    case .double(let d): return String(d)
                    case .string(let s): return s
                    case .blob(let b): return b.base64EncodedString()
                    }
                }
            })
        }
    }
}

extension ResultsStore {
    /// Forecast accuracy of a run, per service, metric, model and horizon.
    public func accuracy(run: Int64) throws -> [AccuracyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM forecast_accuracy WHERE run_id = ? ORDER BY service, metric, model, horizon", arguments: [run]).map { r in
                func v(_ c: String) -> Double { (r[c] as Double?) ?? .nan }
                return AccuracyRecord(service: r["service"], metric: r["metric"], model: r["model"], horizon: r["horizon"],
                                      count: r["forecasts"], mape: v("mape"), accuracy: v("accuracy"), smape: v("smape"),
                                      mase: v("mase"), hitRate: v("hit_rate"), coverage: v("coverage"), scale: v("mase_scale"))
            }
        }
    }
}

import Telemetry
