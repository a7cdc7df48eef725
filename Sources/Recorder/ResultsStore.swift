import Foundation
import GRDB
import Telemetry

/// A results database: one SQLite file holding any number of runs (a single run, a comparison or
/// a sweep). Opening it migrates the schema forward.
public final class ResultsStore {
    public let path: String
    let db: DatabaseQueue

    /// Opens (creating if needed) the database at `path`.
    /// Errors are `StoreError`s in words: unwritable folder, locked, not a database.
    public init(path: String, busyTimeout: Double = 10) throws {
        self.path = path
        // SQLite would accept these and keep the results nowhere (a temporary or in-memory database).
        if path.trimmingCharacters(in: .whitespaces).isEmpty || path == ":memory:" || path.hasPrefix("file:") {
            throw StoreError(description: "\(path.isEmpty ? "an empty name" : path) is not a file path: results would be kept nowhere; give a file such as results/run.sqlite")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StoreError(description: "\(path) is a folder; give a results file such as \((path as NSString).appendingPathComponent("results.sqlite"))")
        }
        let dir = (path as NSString).deletingLastPathComponent
        // A part of the folder path that is a file is named, not reported as a permission problem.
        if let file = Self.fileOnThePath(to: path) { throw StoreError.unwritable(path: path, reason: "\(file) is a file, not a folder") }
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw StoreError.unwritable(path: path, reason: "cannot create folder \(dir)")
            }
        }
        // An existing file must be ours before anything is written to it (an empty file is a new database).
        if ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 0 {
            try Self.requireStormglassDatabase(path)
        }
        var config = Configuration()
        // Another process writing (a second run on the same file) is waited for, not failed at once.
        config.busyMode = .timeout(busyTimeout)
        // Write-ahead logging with `synchronous = NORMAL`: a commit no longer waits for the disk
        // twice (a sweep commits hundreds of small transactions, from several runs at once), and
        // a crash of the program still loses nothing committed. Only a power cut may lose the
        // last commits, which a results database can afford.
        config.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            db = try Self.openAndMigrate(path, config, busyTimeout: busyTimeout)
        } catch let e as DatabaseError {
            throw StoreError(path: path, e)
        } catch {
            throw StoreError.unwritable(path: path, reason: "\(error)")
        }
    }

    /// Opens the file and brings its schema up to date. Two processes switching a new file to WAL at
    /// once can deadlock (each holds a shared lock and wants the exclusive one), and SQLite then fails
    /// one at once rather than calling the busy handler; that one closes and tries again, a little
    /// later, until the busy timeout has passed.
    static func openAndMigrate(_ path: String, _ config: Configuration, busyTimeout: Double) throws -> DatabaseQueue {
        let clock = ContinuousClock(), start = clock.now
        while true {
            do {
                let db = try DatabaseQueue(path: path, configuration: config)
                try migrate(db)
                return db
            } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY && clock.now - start < .seconds(busyTimeout) {
                Thread.sleep(forTimeInterval: .random(in: 0.005...0.05))
            }
        }
    }

    /// Brings the schema up to date. Several processes opening a new file at once each find the same
    /// migrations missing, and all but the first then meet tables that exist: a migration that
    /// fails that way was applied by another process meanwhile, so the migrator looks again (each
    /// attempt gets at least one migration further, so this ends).
    static func migrate(_ db: DatabaseQueue) throws {
        var attempts = 0
        while true {
            do { return try migrator.migrate(db) } catch let e as DatabaseError where attempts < 64 && e.resultCode == .SQLITE_ERROR
                && ["already exists", "duplicate column"].contains(where: { (e.message ?? "").contains($0) }) {
                attempts += 1
            }
        }
    }

    /// Opens an existing database for reading, read-only: nothing is written to it (no journal-mode
    /// switch, no tables), so it works on a read-only mount. A file from an older Stormglass is
    /// migrated first when it can be written, and is an error naming the way out when it cannot.
    /// A missing file is an error rather than a new file; another application's file is refused.
    public static func open(existing path: String) throws -> ResultsStore {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            // A part of the path that is a file is named: "no database" would send the user looking for one.
            if let file = fileOnThePath(to: path) { throw StoreError(description: "no results database at \(path): \(file) is a file, not a folder") }
            throw StoreError.missing(path: path)
        }
        guard !isFolder.boolValue else {
            throw StoreError(description: "\(path) is a folder, not a results database; give a file such as \((path as NSString).appendingPathComponent("results.sqlite"))")
        }
        try requireStormglassDatabase(path)
        let queue = try queueForReading(path)
        let current: Bool
        do {
            current = try queue.read { try migrator.hasCompletedMigrations($0) }
        } catch let e as DatabaseError {
            throw StoreError(path: path, e)
        }
        if current { return ResultsStore(path: path, queue: queue) }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw StoreError(description: "\(path) was written by an older Stormglass and cannot be upgraded here (read-only): copy it somewhere writable and run `\(CommandName.current) show` on the copy")
        }
        return try ResultsStore(path: path)
    }

    private init(path: String, queue: DatabaseQueue) { self.path = path; self.db = queue }

    /// The nearest existing part of the folders leading to `path`, when it is a file rather than a folder.
    static func fileOnThePath(to path: String) -> String? {
        var ancestor = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        while !ancestor.isEmpty && ancestor != "/" && ancestor != "." {
            if FileManager.default.fileExists(atPath: ancestor, isDirectory: &isFolder) { return isFolder.boolValue ? nil : ancestor }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Refuses to append to a file that fails SQLite's quick integrity check, so damage is found
    /// before more runs go into it. O(size of the file); called once per command that records.
    public func requireIntact() throws {
        let result: [String]
        do { result = try db.read { try String.fetchAll($0, sql: "PRAGMA quick_check(5)") } } catch let e as DatabaseError {
            // The check itself may stop at the damage: that is its finding.
            if e.resultCode == .SQLITE_CORRUPT { throw StoreError.damaged(path: path, check: [e.message ?? "database disk image is malformed"]) }
            throw StoreError(path: path, e)
        }
        guard result == ["ok"] else { throw StoreError.damaged(path: path, check: result) }
    }

    /// Looks at the file read-only: it must hold GRDB's migration record with our first migration and a
    /// `runs` table.
    static func requireStormglassDatabase(_ path: String) throws {
        let isOurs: Bool
        do {
            isOurs = try queueForReading(path).read { db in
                if try db.tableExists("grdb_migrations"), try db.tableExists(RunRow.databaseTableName),
                   try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM grdb_migrations WHERE identifier = 'v1'") ?? false {
                    return true
                }
                // Another Stormglass may be creating it this moment (its first migration not yet
                // committed): a file holding none but our tables is ours to finish.
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                return Set(tables).isSubset(of: Set(perRunTables + [RunRow.databaseTableName, "grdb_migrations"]))
            }
        } catch let e as DatabaseError {
            // Damage where the schema is read: said as damage, with SQLite's own words, when its check finds it.
            if e.resultCode == .SQLITE_CORRUPT,
               let check = try? queueForReading(path).read({ try String.fetchAll($0, sql: "PRAGMA quick_check(5)") }), check != ["ok"] {
                throw StoreError.damaged(path: path, check: check)
            }
            throw StoreError(path: path, e)
        }
        guard isOurs else { throw StoreError(description: "\(path) is not a Stormglass results database; nothing was changed in it") }
    }

    /// Opens `path` for reading only. SQLite refuses a WAL database in a folder it cannot write (a
    /// read-only mount, another user's results), because it cannot make the shared-memory file; when
    /// no write-ahead log is pending, the file is then opened as immutable, which needs none.
    ///
    /// Where the file and its folder can be written, the connection is opened for writing but only ever
    /// read through (GRDB's `read` is query-only): SQLite then removes the `-wal` and `-shm` files it made
    /// when the last connection closes, so reading leaves nothing beside a file that had none.
    static func queueForReading(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        // A reader waits too: while another process switches a new file to WAL, or recovers its log,
        // even reading the schema is refused at once without one.
        config.busyMode = .timeout(10)
        let folder = (path as NSString).deletingLastPathComponent
        config.readonly = !(FileManager.default.isWritableFile(atPath: path) && FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder))
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            _ = try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master") }   // opens the WAL
            return queue
        } catch let e as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY].contains(e.resultCode.primaryResultCode) {
            let folder = (path as NSString).deletingLastPathComponent
            guard !FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else { throw StoreError(path: path, e) }
            let pending = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            guard pending == 0 else {
                throw StoreError(description: "\(path) is in a read-only folder and still has changes in its write-ahead log (\(path)-wal); copy the folder somewhere writable to read it")
            }
            let absolute = URL(fileURLWithPath: path).path
            let uri = "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute) + "?immutable=1"
            do {
                let queue = try DatabaseQueue(path: uri, configuration: config)
                _ = try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master") }
                return queue
            } catch let e as DatabaseError {
                throw StoreError(path: path, e)
            }
        } catch let e as DatabaseError {
            throw StoreError(path: path, e)
        }
    }

    /// Runs `body` in one transaction; `StoreError` in words on failure.
    /// Deletes a results file with its write-ahead log and shared-memory files.
    public static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.write(body) } catch let e as DatabaseError { throw StoreError(path: path, e) }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.read(body) } catch let e as DatabaseError { throw StoreError(path: path, e) }
    }
}

/// A results-database problem, in one line.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String

    static func unwritable(path: String, reason: String) -> StoreError {
        StoreError(description: "cannot write results to \(path): \(reason)")
    }
    static func missing(path: String) -> StoreError {
        StoreError(description: "no results database at \(path) (run a scenario first, or pass --db)")
    }

    init(description: String) { self.description = description }

    static func damaged(path: String, check: [String]) -> StoreError {
        StoreError(description: "\(path) is damaged (SQLite's integrity check: \(check.joined(separator: "; ").replacingOccurrences(of: "\n", with: "; "))); nothing was appended. `\(CommandName.current) merge \(path) -o repaired.sqlite` copies the runs it can still read")
    }

    init(path: String, _ e: DatabaseError) {
        switch e.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            description = "the results database \(path) is locked by another process; try again when it finishes, or use --db for another file"
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM:
            description = "cannot write results to \(path): permission denied or read-only location"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            description = "\(path) is not a Stormglass results database (or is damaged)"
        case .SQLITE_FULL:
            description = "cannot write results to \(path): the disk is full"
        default:
            description = "results database \(path): \(e.message ?? "\(e.resultCode)")"
        }
    }
}
