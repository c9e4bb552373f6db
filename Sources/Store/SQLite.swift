import CSQLite

/// A thin layer over the SQLite C API (Debian's libsqlite3): one connection, prepared
/// statements, blobs and integers. Only what the store needs; the store serialises access
/// to each connection (SQLite connections are not shared between threads here).
/// Unchecked `Sendable`: every connection lives inside the store's mutexes, and is used
/// only while its mutex is held (opened with SQLITE_OPEN_NOMUTEX for that reason).
final class SQLiteDatabase: @unchecked Sendable {
    private(set) var handle: OpaquePointer?
    let path: String
    private var cache: [String: OpaquePointer] = [:]

    /// Opens (creating when missing) the database at `path`; ":memory:" for a private
    /// in-memory database.
    init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        var h: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &h, flags, nil)
        guard rc == SQLITE_OK, let h else {
            let message = h.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(h)
            throw .open(path: path, message)
        }
        handle = h
        sqlite3_busy_timeout(h, 5000)
        sqlite3_extended_result_codes(h, 1)
    }

    deinit {
        for s in cache.values { sqlite3_finalize(s) }
        sqlite3_close_v2(handle)
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL text that returns no rows (may hold several statements).
    func execute(_ sql: String) throws(StoreError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(err)
            throw StoreError.sqlite(path: path, code: rc, message)
        }
    }

    /// A cached prepared statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let s = cache[sql] {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
            return SQLiteStatement(db: self, raw: s)
        }
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &s, nil)
        guard rc == SQLITE_OK, let s else { throw .sqlite(path: path, code: rc, lastMessage + " in: \(sql)") }
        cache[sql] = s
        return SQLiteStatement(db: self, raw: s)
    }

    /// Resets every cached statement: a statement left on a row keeps its read open (a
    /// reader would not see later commits, a COMMIT would fail).
    func resetAll() {
        for s in cache.values { sqlite3_reset(s) }
    }

    /// Runs `body` with every statement reset afterwards (a read that sees the last commit).
    func read<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        defer { resetAll() }
        return try body()
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), rolling back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            resetAll()
            try execute("COMMIT")
            return result
        } catch {
            resetAll()
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// One prepared statement: bind by 1-based index, then `step` until it returns false.
struct SQLiteStatement {
    let db: SQLiteDatabase
    let raw: OpaquePointer

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(raw, i, v) }
    func bind(_ i: Int32, _ v: Int) { sqlite3_bind_int64(raw, i, Int64(v)) }
    func bind(_ i: Int32, _ v: String) { sqlite3_bind_text(raw, i, v, -1, flamewire_sqlite_transient()) }
    func bind(_ i: Int32, _ v: [UInt8]) {
        v.withUnsafeBytes { b in
            // A zero-length blob must still be a blob, not NULL: bind a valid pointer.
            var zero: UInt8 = 0
            if b.count == 0 { sqlite3_bind_blob(raw, i, &zero, 0, flamewire_sqlite_transient()) } else {
                sqlite3_bind_blob(raw, i, b.baseAddress, Int32(b.count), flamewire_sqlite_transient())
            }
        }
    }
    func bindNull(_ i: Int32) { sqlite3_bind_null(raw, i) }

    /// Advances to the next row: true while there is one, false when done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .sqlite(path: db.path, code: rc, db.lastMessage)
        }
    }

    func int(_ c: Int32) -> Int64 { sqlite3_column_int64(raw, c) }
    func isNull(_ c: Int32) -> Bool { sqlite3_column_type(raw, c) == SQLITE_NULL }
    func text(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(raw, c) else { return "" }
        return String(cString: p)
    }
    func blob(_ c: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(raw, c))
        guard n > 0, let p = sqlite3_column_blob(raw, c) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }
}
