import GRDB
import GRDBSQLite

/// A record written in bulk: its columns are its `CodingKeys`, and `value(_:)` gives each one's
/// value by name. `Database.insert(all:)` writes a batch through one prepared statement;
/// `encode(to:)` (for GRDB's own `insert`) comes from the same mapping.
protocol BulkInsertable: EncodableRecord, TableRecord {
    associatedtype CodingKeys: CodingKey & RawRepresentable & CaseIterable where CodingKeys.RawValue == String
    func value(_ key: CodingKeys) -> DatabaseValue
}

extension BulkInsertable {
    func encode(to container: inout PersistenceContainer) throws {
        for key in CodingKeys.allCases { container[key.rawValue] = value(key) }
    }

    static var insertSQL: String { insertSQL(rows: 1) }

    /// One INSERT of `rows` rows: `VALUES (?, …), (?, …)`.
    static func insertSQL(rows: Int) -> String {
        let columns = CodingKeys.allCases.map { $0.rawValue.quotedDatabaseIdentifier }
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(databaseTableName.quotedDatabaseIdentifier) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
    }
}

extension Database {
    /// Inserts every record through cached statements, binding each value straight to SQLite:
    /// what GRDB's per-record `insert` writes, without encoding through Codable, building
    /// `StatementArguments` (an existential per value) or looking the statement up per row —
    /// which were most of a large fluid run's recording (1.45 M rows a day for `large-shop`).
    /// Plain inserts into our own tables: no observers or tracing to notify.
    ///
    /// Rows go `rowsPerStatement` to an INSERT: SQLite sets up each execution (opening the table,
    /// its indexes and the run it refers to) once for all of them. A value the same as the one
    /// bound in its place the previous time is not bound again (SQLite keeps bindings), which saves
    /// copying the run, service, metric and model text of every row.
    func insert<Row: BulkInsertable>(all rows: some Sequence<Row>, rowsPerStatement: Int = 32) throws {
        let keys = Array(Row.CodingKeys.allCases)
        var chunk: [Row] = []
        chunk.reserveCapacity(rowsPerStatement)
        // One statement per chunk size met (the full size and the last, shorter chunk), its SQL built once.
        var statements: [Int: (SQLiteStatement, sql: String, bound: [DatabaseValue?])] = [:]
        func write(_ chunk: [Row]) throws {
            if statements[chunk.count] == nil {
                let sql = Row.insertSQL(rows: chunk.count)
                statements[chunk.count] = (try cachedStatement(sql: sql).sqliteStatement, sql, Array(repeating: nil, count: keys.count * chunk.count))
            }
            let (s, sql, lastBound) = statements[chunk.count]!
            var bound = lastBound
            sqlite3_reset(s)
            var slot = 0
            for row in chunk {
                for key in keys {
                    defer { slot += 1 }
                    let value = row.value(key)
                    if let previous = bound[slot], previous.isBoundTheSame(as: value) { continue }
                    let code: CInt, index = CInt(slot + 1)
                    switch value.storage {
                    case .null: code = sqlite3_bind_null(s, index)
                    case .int64(let v): code = sqlite3_bind_int64(s, index, v)
                    case .double(let v): code = sqlite3_bind_double(s, index, v)
                    case .string(let v): code = v.withCString { sqlite3_bind_text(s, index, $0, -1, transientDestructor) }
                    case .blob(let d): code = d.withUnsafeBytes { sqlite3_bind_blob(s, index, $0.baseAddress, CInt($0.count), transientDestructor) }
                    }
                    if code != SQLITE_OK { throw lastError(code, sql) }
                    bound[slot] = value
                }
            }
            statements[chunk.count] = (s, sql, bound)
            let code = sqlite3_step(s)
            sqlite3_reset(s)
            if code != SQLITE_DONE { throw lastError(code, sql) }
        }
        // Bindings outlive this call only as values nobody reads: cleared so a text is not kept.
        defer { for (s, _, _) in statements.values { sqlite3_reset(s); sqlite3_clear_bindings(s) } }
        for row in rows {
            chunk.append(row)
            if chunk.count == rowsPerStatement { try write(chunk); chunk.removeAll(keepingCapacity: true) }
        }
        if !chunk.isEmpty { try write(chunk) }
    }

    private func lastError(_ code: CInt, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

extension DatabaseValue {
    /// The same storage class and the same bits (`==` would take 1 for 1.0, 0.0 for -0.0, "é" for "e\u{301}").
    fileprivate func isBoundTheSame(as other: DatabaseValue) -> Bool {
        switch (storage, other.storage) {
        case (.null, .null): true
        case let (.int64(a), .int64(b)): a == b
        case let (.double(a), .double(b)): a.bitPattern == b.bitPattern
        case let (.string(a), .string(b)): a.utf8.elementsEqual(b.utf8)   // == would equate canonically equivalent text
        case let (.blob(a), .blob(b)): a == b
        default: false
        }
    }
}

/// SQLite copies the bound text or blob before the call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
