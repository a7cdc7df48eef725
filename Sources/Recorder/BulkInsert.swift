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

    static var insertSQL: String {
        let columns = CodingKeys.allCases.map { $0.rawValue.quotedDatabaseIdentifier }
        return "INSERT INTO \(databaseTableName.quotedDatabaseIdentifier) (\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }
}

extension Database {
    /// Inserts every record through one cached statement, binding each value straight to SQLite:
    /// what GRDB's per-record `insert` writes, without encoding through Codable, building
    /// `StatementArguments` (an existential per value) or looking the statement up per row —
    /// which were most of a large fluid run's recording (1.45 M rows a day for `large-shop`).
    /// Plain inserts into our own tables: no observers or tracing to notify.
    func insert<Row: BulkInsertable>(all rows: some Sequence<Row>) throws {
        let statement = try cachedStatement(sql: Row.insertSQL)
        let s = statement.sqliteStatement
        let keys = Array(Row.CodingKeys.allCases)
        defer { sqlite3_reset(s) }
        for row in rows {
            sqlite3_reset(s)
            for (i, key) in zip(CInt(1)..., keys) {
                let code: CInt
                switch row.value(key).storage {
                case .null: code = sqlite3_bind_null(s, i)
                case .int64(let v): code = sqlite3_bind_int64(s, i, v)
                case .double(let v): code = sqlite3_bind_double(s, i, v)
                case .string(let v): code = sqlite3_bind_text(s, i, v, -1, transientDestructor)
                case .blob(let d): code = d.withUnsafeBytes { sqlite3_bind_blob(s, i, $0.baseAddress, CInt($0.count), transientDestructor) }
                }
                if code != SQLITE_OK { throw lastError(code, Row.insertSQL) }
            }
            let code = sqlite3_step(s)
            if code != SQLITE_DONE { throw lastError(code, Row.insertSQL) }
        }
    }

    private func lastError(_ code: CInt, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

/// SQLite copies the bound text or blob before the call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
