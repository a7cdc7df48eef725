import Foundation
import GRDB
import Telemetry

extension ResultsStore {
    /// Appends every run of the database at `path` (e.g. one shard of a sweep) to this one, with new run
    /// ids, in one transaction per file. Returns the number of runs copied.
    /// `shouldStop` is asked before each run; stopping throws `Cancelled` and rolls the file's copy back.
    /// A damaged file gives the runs it can still read: a run whose rows SQLite cannot read is left out
    /// whole (its partial copy rolled back) and passed to `unreadable`.
    public func merge(from path: String, shouldStop: @escaping () -> Bool = { false }, unreadable: (Int64) -> Void = { _ in }) throws -> Int {
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
        func isDamage(_ e: DatabaseError) -> Bool { e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB }
        // One run's copy is a few statements over many rows: a watcher interrupts a statement under way
        // when a stop is asked for, and the file's transaction rolls back.
        let watcher = StatementInterrupter(db, shouldStop: shouldStop)
        defer { watcher.stop() }
        do {
            return try db.write { db in
                // Columns come from the schema itself, so a table or column added later is copied too.
                let runColumns = try db.columns(in: RunRow.databaseTableName).map(\.name).filter { $0 != "id" }.joined(separator: ", ")
                let perRunColumns = try Self.perRunTables.map { table in
                    (table, try db.columns(in: table).map(\.name).filter { $0 != "run_id" }.joined(separator: ", "))
                }
                var copied = 0
                for old in try Int64.fetchAll(db, sql: "SELECT id FROM src.\(RunRow.databaseTableName) ORDER BY id") {
                    if shouldStop() { throw Cancelled() }
                    do {
                        try db.inSavepoint {
                            try db.execute(sql: "INSERT INTO main.\(RunRow.databaseTableName) (\(runColumns)) SELECT \(runColumns) FROM src.\(RunRow.databaseTableName) WHERE id = ?",
                                           arguments: [old])
                            let new = db.lastInsertedRowID
                            // A run still `running` in the source will never be finished in this copy.
                            try db.execute(sql: "UPDATE main.\(RunRow.databaseTableName) SET status = ? WHERE id = ? AND status = ?",
                                           arguments: [RunStatus.interrupted.rawValue, new, RunStatus.running.rawValue])
                            for (table, other) in perRunColumns {
                                try db.execute(sql: "INSERT INTO main.\(table) (run_id, \(other)) SELECT ?, \(other) FROM src.\(table) WHERE run_id = ? ORDER BY rowid",
                                               arguments: [new, old])
                            }
                            return .commit
                        }
                        copied += 1
                    } catch let e as DatabaseError where isDamage(e) {
                        unreadable(old)
                    }
                }
                return copied
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_INTERRUPT {
            throw Cancelled()
        } catch let e as DatabaseError where isDamage(e) {
            throw StoreError(description: "\(path) is too damaged to read its list of runs (\(e.message ?? "\(e.resultCode)")); nothing was copied from it")
        } catch let e as DatabaseError {
            throw StoreError(path: self.path, e)
        }
    }
}

/// Interrupts the statement running on a database when `shouldStop` turns true (asked every 50 ms
/// on a thread of its own, until `stop`, which returns once that thread has let go of the database:
/// a database still held would close later, mid-way through whatever opens the file next).
final class StatementInterrupter: @unchecked Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    init(_ db: DatabaseQueue, shouldStop: @escaping () -> Bool) {
        let stopAsked = UnsafeSendable(shouldStop)
        let (wake, exited) = (self.wake, self.exited)
        // Weakly: the store owns the database and closes it when the merge is done.
        Thread.detachNewThread { [weak db] in
            defer { exited.signal() }
            while wake.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                if stopAsked.value() { db?.interrupt(); wake.wait(); return }
            }
        }
    }

    func stop() {
        wake.signal()
        exited.wait()
    }
}

private struct UnsafeSendable<T>: @unchecked Sendable { let value: T; init(_ v: T) { value = v } }

/// A long read or copy stopped on request (Ctrl-C, SIGTERM); nothing partial was kept.
public struct Cancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped on request" }
}
