import Foundation
import GRDB

/// What `export` can write: each a table of the results database.
public enum ExportTable: String, CaseIterable, Sendable {
    case runs, services = "service-samples", nodes = "node-samples", events, summaries, predictions, decisions, faults

    var tableName: String {
        switch self {
        case .runs: return RunRow.databaseTableName
        case .services: return ServiceSampleRow.databaseTableName
        case .nodes: return NodeSampleRow.databaseTableName
        case .events: return EventRow.databaseTableName
        case .summaries: return SummaryRow.databaseTableName
        case .predictions: return PredictionRow.databaseTableName
        case .decisions: return DecisionRow.databaseTableName
        case .faults: return FaultRow.databaseTableName
        }
    }
}

extension ResultsStore {
    /// A table (or one run's rows of it) as CSV (RFC 4180). Text cells that a spreadsheet would run as
    /// a formula (starting with =, +, -, @, tab or carriage return) are prefixed with a single quote.
    /// `shouldStop` is asked every 4096 rows; stopping throws `Cancelled`.
    public func csv(_ table: ExportTable, run: Int64? = nil, shouldStop: () -> Bool = { false }) throws -> (text: String, rows: Int) {
        let idColumn = table == .runs ? "id" : "run_id"
        let sql = "SELECT * FROM \(table.tableName)" + (run != nil ? " WHERE \(idColumn) = ?" : "") + " ORDER BY rowid"
        return try read { db in
            let statement = try db.makeStatement(sql: sql)
            var text = statement.columnNames.map(Self.csvField).joined(separator: ",") + "\n"
            var count = 0
            let rows = try Row.fetchCursor(statement, arguments: run.map { [$0] } ?? [])
            while let row = try rows.next() {
                if count % 4096 == 0, shouldStop() { throw Cancelled() }
                text += row.databaseValues.map { v in
                    switch v.storage {
                    case .null: return ""
                    case .int64(let i): return String(i)
                    case .double(let d): return String(d)
                    case .string(let s): return Self.csvField(Self.neutralised(s))
                    case .blob(let b): return b.base64EncodedString()
                    }
                }.joined(separator: ",") + "\n"
                count += 1
            }
            return (text, count)
        }
    }

    static func neutralised(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return s }
        return "'" + s
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
