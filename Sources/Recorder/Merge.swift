import Foundation
import GRDB
import Telemetry

extension ResultsStore {
    /// Appends every run of the database at `path` (e.g. one shard of a sweep) to this one, with new run
    /// ids, in one transaction per file. Returns the number of runs copied.
    /// `shouldStop` is asked before each run; stopping throws `Cancelled` and rolls the file's copy back.
    public func merge(from path: String, shouldStop: () -> Bool = { false }) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        let mine = URL(fileURLWithPath: self.path).resolvingSymlinksInPath().standardized.path
        guard URL(fileURLWithPath: path).resolvingSymlinksInPath().standardized.path != mine else {
            throw StoreError(description: "cannot merge \(path) into itself: name another output with -o")
        }
        _ = try ResultsStore.open(existing: path)   // migrates it to the current schema
        do {
            try db.inDatabase { db in try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [path]) }
        } catch let e as DatabaseError { throw StoreError(path: path, e) }
        defer { try? db.inDatabase { db in try db.execute(sql: "DETACH DATABASE src") } }
        return try write { db in
            // Columns come from the schema itself, so a table or column added later is copied too.
            let runColumns = try db.columns(in: RunRow.databaseTableName).map(\.name).filter { $0 != "id" }.joined(separator: ", ")
            var copied = 0
            for old in try Int64.fetchAll(db, sql: "SELECT id FROM src.\(RunRow.databaseTableName) ORDER BY id") {
                if shouldStop() { throw Cancelled() }
                try db.execute(sql: "INSERT INTO main.\(RunRow.databaseTableName) (\(runColumns)) SELECT \(runColumns) FROM src.\(RunRow.databaseTableName) WHERE id = ?",
                               arguments: [old])
                let new = db.lastInsertedRowID
                // A run still `running` in the source will never be finished in this copy.
                try db.execute(sql: "UPDATE main.\(RunRow.databaseTableName) SET status = ? WHERE id = ? AND status = ?",
                               arguments: [RunStatus.interrupted.rawValue, new, RunStatus.running.rawValue])
                for table in Self.perRunTables {
                    let other = try db.columns(in: table).map(\.name).filter { $0 != "run_id" }.joined(separator: ", ")
                    try db.execute(sql: "INSERT INTO main.\(table) (run_id, \(other)) SELECT ?, \(other) FROM src.\(table) WHERE run_id = ? ORDER BY rowid",
                                   arguments: [new, old])
                }
                copied += 1
            }
            return copied
        }
    }
}

/// A long read or copy stopped on request (Ctrl-C, SIGTERM); nothing partial was kept.
public struct Cancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped on request" }
}
