import Foundation
import GRDB
import Telemetry

extension ResultsStore {
    /// Whether two paths name one file: the same device and inode (a hard link, a symbolic link, another
    /// spelling of the path), or the same resolved path when either does not exist yet.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        let fm = FileManager.default
        if let x = try? fm.attributesOfItem(atPath: a), let y = try? fm.attributesOfItem(atPath: b),
           let dx = (x[.systemNumber] as? NSNumber)?.uint64Value, let dy = (y[.systemNumber] as? NSNumber)?.uint64Value,
           let ix = (x[.systemFileNumber] as? NSNumber)?.uint64Value, let iy = (y[.systemFileNumber] as? NSNumber)?.uint64Value {
            return dx == dy && ix == iy
        }
        return URL(fileURLWithPath: a).resolvingSymlinksInPath().standardized.path == URL(fileURLWithPath: b).resolvingSymlinksInPath().standardized.path
    }

    /// Appends every run of the database at `path` (e.g. one shard of a sweep) to this one, with new run
    /// ids, in one transaction per file. Returns the number of runs copied.
    /// `shouldStop` is asked before each run; stopping throws `Cancelled` and rolls the file's copy back.
    /// A damaged file gives the runs it can still read: a run whose rows SQLite cannot read is left out
    /// whole and passed to `unreadable`.
    public func merge(from path: String, shouldStop: @escaping () -> Bool = { false }, unreadable: (Int64) -> Void = { _ in }) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        guard !Self.sameFile(path, self.path) else {
            throw StoreError(description: "cannot merge \(path) into itself: name another output with -o")
        }
        _ = try ResultsStore.open(existing: path)   // migrates it to the current schema
        do {
            try db.inDatabase { db in try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [path]) }
        } catch let e as DatabaseError { throw StoreError(path: path, e) }
        defer { try? db.inDatabase { db in try db.execute(sql: "DETACH DATABASE src") } }
        // One run's copy is a few statements over many rows: a watcher interrupts a statement under way
        // when a stop is asked for, and the file's transaction rolls back.
        let watcher = StatementInterrupter(db, shouldStop: shouldStop)
        defer { watcher.stop() }
        do {
            do {
                return try copyRuns(nil, shouldStop: shouldStop)
            } catch let e as DatabaseError where Self.isDamage(e) {
                // Once SQLite meets damage inside a transaction, every later read of that file in it fails
                // too: so the copy is rolled back, each run is read on its own to find the ones that can
                // be, and those are copied.
                let (readable, damaged) = try readableRuns(shouldStop: shouldStop)
                damaged.forEach(unreadable)
                return try copyRuns(readable, shouldStop: shouldStop)
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_INTERRUPT {
            throw Cancelled()
        } catch let e as DatabaseError where Self.isDamage(e) {
            throw StoreError(description: "\(path) is too damaged to read its list of runs (\(e.message ?? "\(e.resultCode)")); nothing was copied from it")
        } catch let e as DatabaseError {
            throw StoreError(path: self.path, e)
        }
    }

    static func isDamage(_ e: DatabaseError) -> Bool { e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB }

    /// Copies the runs `ids` (nil: all) of the attached `src` into this database in one transaction.
    private func copyRuns(_ ids: [Int64]?, shouldStop: () -> Bool) throws -> Int {
        try db.write { db in
            // Columns come from the schema itself, so a table or column added later is copied too.
            let runColumns = try db.columns(in: RunRow.databaseTableName).map(\.name).filter { $0 != "id" }.joined(separator: ", ")
            let perRunColumns = try Self.perRunTables.map { table in
                (table, try db.columns(in: table).map(\.name).filter { $0 != "run_id" }.joined(separator: ", "))
            }
            var copied = 0
            for old in try ids ?? Int64.fetchAll(db, sql: "SELECT id FROM src.\(RunRow.databaseTableName) ORDER BY id") {
                if shouldStop() { throw Cancelled() }
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
                copied += 1
            }
            return copied
        }
    }

    /// The runs of the attached `src` whose every row can be read, and those with damage, each read in a
    /// statement of its own (outside any transaction, so damage met in one run does not spoil the next).
    private func readableRuns(shouldStop: () -> Bool) throws -> (readable: [Int64], damaged: [Int64]) {
        try db.inDatabase { db in
            var readable: [Int64] = [], damaged: [Int64] = []
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM src.\(RunRow.databaseTableName) ORDER BY id") {
                if shouldStop() { throw Cancelled() }
                do {
                    for table in [RunRow.databaseTableName] + Self.perRunTables {
                        let key = table == RunRow.databaseTableName ? "id" : "run_id"
                        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM src.\(table) WHERE \(key) = ? ORDER BY rowid", arguments: [id])
                        while let row = try rows.next() { _ = row.copy() }   // every column read, overflow pages too
                    }
                    readable.append(id)
                } catch let e as DatabaseError where Self.isDamage(e) {
                    damaged.append(id)
                }
            }
            return (readable, damaged)
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
