import Profile
import Synchronization
import WireCodec

/// When a stream's cumulative point is written beside its windows (a rollup that bounds
/// how many windows any query or restart replays).
public struct CheckpointPolicy: Sendable, Equatable {
    /// At most this many windows between checkpoints.
    public var windows: Int
    /// At most this much stream time between checkpoints, nanoseconds.
    public var intervalNanos: Int64

    public init(windows: Int = 256, intervalNanos: Int64 = 60_000_000_000) {
        self.windows = max(1, windows)
        self.intervalNanos = intervalNanos
    }

    /// The time between checkpoints of one stream: between half of `intervalNanos` and all
    /// of it, fixed per stream, so streams that started together (every agent after a
    /// collector restart) do not all write their checkpoints in the same transaction.
    func interval(of stream: Int64) -> Int64 {
        let spread = UInt64(truncatingIfNeeded: stream) &* 0x9E37_79B9_7F4A_7C15
        let half = intervalNanos / 2
        return intervalNanos - Int64(Double(spread >> 11) / 9_007_199_254_740_992 * Double(half))
    }
}

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a window is on
/// disk when `append` returns (Protocol/STORE.md has the schema). Writes go through one
/// connection, reads through a second one that sees the last commit; each connection is
/// used by one thread at a time.
public final class SQLiteStore: ProfileStore {
    public let path: String
    let policy: CheckpointPolicy
    let writer: Mutex<Writer>
    /// A second connection for reads, except for an in-memory database (one connection).
    let reader: Mutex<Reader>
    let separateReader: Bool
    /// Each agent's dictionary as loaded so far, for rendering.
    let dictionaries = Mutex<[Int64: LoadedDictionary]>([:])

    static let schemaVersion = "1"

    /// Opens or creates the store at `path` (":memory:" for a private in-memory store) and
    /// loads the newest point of every stream.
    public init(path: String, policy: CheckpointPolicy = CheckpointPolicy()) throws(StoreError) {
        self.path = path
        self.policy = policy
        let db = try SQLiteDatabase(path: path)
        try db.read { () throws(StoreError) in try Self.prepareSchema(db) }
        var w = Writer(db: db)
        try db.read { () throws(StoreError) in try w.loadHeads() }
        writer = Mutex(w)
        separateReader = path != ":memory:"
        reader = Mutex(Reader(db: separateReader ? try SQLiteDatabase(path: path, readOnly: true) : db))
    }

    static func prepareSchema(_ db: SQLiteDatabase) throws(StoreError) {
        if db.path != ":memory:" {
            // WAL: readers never block the writer; FULL: a commit is fsynced before it returns.
            let mode = try db.statement("PRAGMA journal_mode=WAL")
            if try mode.step(), mode.text(0).lowercased() != "wal" {
                throw .invalid("cannot use write-ahead logging on \(db.path) (journal mode \(mode.text(0)))")
            }
        }
        try db.execute("""
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS agents(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS streams(id INTEGER PRIMARY KEY, agent INTEGER NOT NULL, identity TEXT NOT NULL UNIQUE,
                service TEXT NOT NULL, type TEXT NOT NULL, labels TEXT NOT NULL, info BLOB NOT NULL,
                first_ns INTEGER, last_ns INTEGER, windows INTEGER NOT NULL DEFAULT 0, pruned INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS windows(id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, time_ns INTEGER NOT NULL,
                duration_ns INTEGER NOT NULL, seq INTEGER NOT NULL, reset INTEGER NOT NULL, delta BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS windows_by_time ON windows(stream, time_ns, id);
            CREATE TABLE IF NOT EXISTS checkpoints(stream INTEGER NOT NULL, upto INTEGER NOT NULL, time_ns INTEGER NOT NULL,
                windows INTEGER NOT NULL, running BLOB NOT NULL, gauge_sum BLOB NOT NULL, offset BLOB NOT NULL,
                PRIMARY KEY(stream, upto)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS checkpoints_by_time ON checkpoints(stream, time_ns);
            CREATE TABLE IF NOT EXISTS entries(id INTEGER PRIMARY KEY, agent INTEGER NOT NULL, kind INTEGER NOT NULL,
                entry INTEGER NOT NULL, salt INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE(agent, kind, entry));
            INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '\(schemaVersion)');
            """)
        let v = try db.statement("SELECT value FROM meta WHERE key = 'schema'")
        if try v.step(), v.text(0) != schemaVersion {
            throw .invalid("\(db.path) has store schema \(v.text(0)); this flamewire reads schema \(schemaVersion)")
        }
    }

    // MARK: ProfileStore

    public func append(_ records: [WindowRecord]) throws(StoreError) -> [AppendOutcome] {
        let policy = self.policy
        return try writer.withLock { w throws(StoreError) in try w.append(records, policy: policy) }
    }

    public func streams() throws(StoreError) -> [StoredStream] {
        try withReader { db throws(StoreError) in try Self.readStreams(db) }
    }

    public func profiles(where include: (StoredStream) -> Bool, range: TimeRange, aggregation: GaugeAggregation) throws(StoreError) -> [RangeProfile] {
        let chosen = try streams().filter(include)
        var out: [RangeProfile] = []
        for s in chosen {
            let head = writer.withLock { $0.heads[s.id] }
            let (a, b) = try withReader { db throws(StoreError) in
                (try Self.point(db, stream: s, at: range.from, head: head), try Self.point(db, stream: s, at: range.to, head: head))
            }
            let gauges = s.info.columnKinds.map { $0 == .gauge }
            let state = StreamPoint.range(from: a, to: b, gauges: gauges, aggregation: aggregation)
            let dictionary = try dictionary(agentID: s.agentRow)
            let start = max(range.from, s.firstNanos), end = min(range.to, s.lastNanos)
            let profile = dictionary.profile(of: state, info: s.info, timeNanos: start, durationNanos: max(0, end - start))
            out.append(RangeProfile(stream: s, profile: profile, windows: b.windows - a.windows))
        }
        return out
    }

    public func prune(before cutoff: Int64) throws(StoreError) -> PruneReport {
        try writer.withLock { w throws(StoreError) in try w.prune(before: cutoff) }
    }

    public func usage() throws(StoreError) -> [UsageRow] {
        try withReader { db throws(StoreError) in
            var rows: [String: UsageRow] = [:]
            for table in ["windows", "checkpoints"] {
                let blobs = table == "windows" ? "length(w.delta)" : "length(w.running) + length(w.gauge_sum) + length(w.offset)"
                let q = try db.statement("""
                    SELECT a.key, date(w.time_ns / 1000000000, 'unixepoch'), SUM(\(blobs)), COUNT(*)
                    FROM \(table) w JOIN streams s ON s.id = w.stream JOIN agents a ON a.id = s.agent GROUP BY 1, 2
                    """)
                while try q.step() {
                    let key = q.text(0) + " " + q.text(1)
                    var row = rows[key] ?? UsageRow(agent: q.text(0), day: q.text(1), bytes: 0, windows: 0)
                    row.bytes += q.int(2)
                    if table == "windows" { row.windows += q.int(3) }
                    rows[key] = row
                }
            }
            return rows.values.sorted { ($0.agent, $0.day) < ($1.agent, $1.day) }
        }
    }

    /// Bytes of the database file and its write-ahead log.
    public func fileBytes() throws(StoreError) -> Int64 {
        try withReader { db throws(StoreError) in
            let q = try db.statement("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            return try q.step() ? q.int(0) : 0
        }
    }

    // MARK: Reading

    func withReader<T: Sendable>(_ body: (SQLiteDatabase) throws(StoreError) -> T) throws(StoreError) -> T {
        if separateReader { return try reader.withLock { r throws(StoreError) in try r.db.read { () throws(StoreError) in try body(r.db) } } }
        return try writer.withLock { w throws(StoreError) in try w.db.read { () throws(StoreError) in try body(w.db) } }
    }

    static func readStreams(_ db: SQLiteDatabase) throws(StoreError) -> [StoredStream] {
        let q = try db.statement("""
            SELECT s.id, a.key, s.info, s.first_ns, s.last_ns, s.windows, s.agent FROM streams s JOIN agents a ON a.id = s.agent
            WHERE s.windows > 0 ORDER BY a.key, s.id
            """)
        var out: [StoredStream] = []
        while try q.step() {
            let info = try decodeInfo(q.blob(2), stream: q.int(0))
            out.append(StoredStream(id: q.int(0), agentRow: q.int(6), agent: q.text(1), info: info, firstNanos: q.int(3), lastNanos: q.int(4), windows: q.int(5)))
        }
        return out
    }

    static func decodeInfo(_ bytes: [UInt8], stream: Int64) throws(StoreError) -> StreamInfo {
        do { return try StreamInfo(serializedBytes: bytes) } catch { throw .corrupt("stream \(stream) info: \(error)") }
    }

    /// The stream's point after its last window with time ≤ `t`: the newest checkpoint at
    /// or before `t` and the windows after it.
    static func point(_ db: SQLiteDatabase, stream s: StoredStream, at t: Int64, head: Head?) throws(StoreError) -> StreamPoint {
        let columns = s.info.columns.count
        if let head, t >= head.lastNanos { return head.point }
        let gauges = s.info.columnKinds.map { $0 == .gauge }
        var point = StreamPoint(columns: columns)
        var upto: Int64 = 0
        var from = Int64.min
        let c = try db.statement("""
            SELECT upto, time_ns, windows, running, gauge_sum, offset FROM checkpoints WHERE stream = ? AND time_ns <= ?
            ORDER BY time_ns DESC, upto DESC LIMIT 1
            """)
        c.bind(1, s.id)
        c.bind(2, t)
        if try c.step() {
            point = try checkpointPoint(c, stream: s.id)
            upto = c.int(0)
            from = c.int(1)
        } else {
            // Before the first checkpoint: nothing, unless retention removed what came before
            // the oldest checkpoint, which then stands for all of it.
            let p = try db.statement("SELECT pruned FROM streams WHERE id = ?")
            p.bind(1, s.id)
            if try p.step(), p.int(0) != 0 {
                let e = try db.statement("SELECT upto, time_ns, windows, running, gauge_sum, offset FROM checkpoints WHERE stream = ? ORDER BY time_ns, upto LIMIT 1")
                e.bind(1, s.id)
                if try e.step() { return try checkpointPoint(e, stream: s.id) }
            }
        }
        let w = try db.statement("""
            SELECT delta, reset FROM windows WHERE stream = ? AND time_ns >= ? AND time_ns <= ? AND id > ? ORDER BY time_ns, id
            """)
        w.bind(1, s.id)
        w.bind(2, from)
        w.bind(3, t)
        w.bind(4, upto)
        while try w.step() {
            point.apply(delta: try StateBlob.decode(w.blob(0), what: "a window of stream \(s.id)"), reset: w.int(1) != 0, gauges: gauges)
        }
        return point
    }

    static func checkpointPoint(_ q: SQLiteStatement, stream: Int64) throws(StoreError) -> StreamPoint {
        let what = "the checkpoint of stream \(stream) at window \(q.int(0))"
        return StreamPoint(running: try StateBlob.decode(q.blob(3), what: what), gaugeSum: try StateBlob.decode(q.blob(4), what: what),
                           windows: q.int(2), offset: try StateBlob.decode(q.blob(5), what: what))
    }

    /// The agent's dictionary with every entry committed so far (loaded incrementally).
    func dictionary(agentID: Int64) throws(StoreError) -> WireDictionary {
        var loaded = dictionaries.withLock { $0[agentID] } ?? LoadedDictionary()
        let fresh = try withReader { db throws(StoreError) -> [(Int64, StoredEntry)] in
            let q = try db.statement("SELECT id, kind, entry, salt, body FROM entries WHERE agent = ? AND id > ? ORDER BY id")
            q.bind(1, agentID)
            q.bind(2, loaded.lastRow)
            var out: [(Int64, StoredEntry)] = []
            while try q.step() {
                out.append((q.int(0), try StoredEntry.decode(kind: q.int(1), id: EntryID(bitPattern: q.int(2)), salt: UInt64(bitPattern: q.int(3)), body: q.blob(4))))
            }
            return out
        }
        guard !fresh.isEmpty else { return loaded.dictionary }
        for (row, e) in fresh {
            // An entry whose content does not hash to its id was altered: leave it out.
            _ = loaded.dictionary.insert(e)
            loaded.lastRow = row
        }
        dictionaries.withLock { $0[agentID] = loaded }
        return loaded.dictionary
    }

    struct LoadedDictionary {
        var dictionary = WireDictionary()
        var lastRow: Int64 = 0
    }

    struct Reader: Sendable {
        let db: SQLiteDatabase
    }

    /// A stream's newest committed point, kept by the writer.
    struct Head: Sendable {
        var stream: Int64
        var agent: Int64
        var gauges: [Bool]
        var point: StreamPoint
        var lastNanos: Int64
        var sinceCheckpoint: Int
        var checkpointNanos: Int64
        /// The decoder's mark of the state this head last took, in this process (nil after a
        /// load): a record whose increment starts there gives its delta without a walk.
        var mark: StateMark? = nil
    }
}

extension SQLiteStore {
    /// The connection that writes, with each stream's newest committed point.
    struct Writer: Sendable {
        let db: SQLiteDatabase
        var heads: [Int64: Head] = [:]
        var streamByIdentity: [String: Int64] = [:]
        var agentByKey: [String: Int64] = [:]

        init(db: SQLiteDatabase) { self.db = db }

        mutating func loadHeads() throws(StoreError) {
            let a = try db.statement("SELECT id, key FROM agents")
            while try a.step() { agentByKey[a.text(1)] = a.int(0) }
            let s = try db.statement("SELECT s.id, s.identity, s.agent, a.key, s.info, s.first_ns, s.last_ns, s.windows FROM streams s JOIN agents a ON a.id = s.agent")
            var rows: [(StoredStream, String)] = []
            while try s.step() {
                let info = try SQLiteStore.decodeInfo(s.blob(4), stream: s.int(0))
                rows.append((StoredStream(id: s.int(0), agentRow: s.int(2), agent: s.text(3), info: info, firstNanos: s.int(5), lastNanos: s.isNull(6) ? Int64.min : s.int(6), windows: s.int(7)),
                             s.text(1)))
            }
            for (stream, identity) in rows {
                streamByIdentity[identity] = stream.id
                let point = try SQLiteStore.point(db, stream: stream, at: Int64.max, head: nil)
                let c = try db.statement("SELECT time_ns, (SELECT COUNT(*) FROM windows w WHERE w.stream = ?1 AND w.id > upto) FROM checkpoints WHERE stream = ?1 ORDER BY time_ns DESC, upto DESC LIMIT 1")
                c.bind(1, stream.id)
                let (checkpointNanos, since) = try c.step() ? (c.int(0), Int(c.int(1))) : (Int64.min, Int(stream.windows))
                heads[stream.id] = Head(stream: stream.id, agent: stream.agentRow, gauges: stream.info.columnKinds.map { $0 == .gauge }, point: point,
                                        lastNanos: stream.lastNanos, sinceCheckpoint: since, checkpointNanos: checkpointNanos)
            }
        }

        mutating func append(_ records: [WindowRecord], policy: CheckpointPolicy) throws(StoreError) -> [AppendOutcome] {
            // Staged until the commit: a failed transaction leaves the cached heads as they were.
            var heads = self.heads
            var streamByIdentity = self.streamByIdentity
            var agentByKey = self.agentByKey
            let db = self.db
            let outcomes = try db.transaction { () throws(StoreError) -> [AppendOutcome] in
                var outcomes: [AppendOutcome] = []
                outcomes.reserveCapacity(records.count)
                for r in records {
                    let agent: Int64
                    if let a = agentByKey[r.agent] { agent = a } else {
                        let q = try db.statement("INSERT INTO agents(key) VALUES (?)")
                        q.bind(1, r.agent)
                        try q.step()
                        agent = db.lastInsertRowID
                        agentByKey[r.agent] = agent
                    }
                    let identity = streamIdentity(agent: r.agent, info: r.info)
                    var head: Head
                    // Taken out while it changes (put back below), so its states are not
                    // shared with the dictionary and change in place.
                    if let id = streamByIdentity[identity], let h = heads.removeValue(forKey: id) { head = h } else {
                        let q = try db.statement("INSERT INTO streams(agent, identity, service, type, labels, info) VALUES (?, ?, ?, ?, ?, ?)")
                        q.bind(1, agent)
                        q.bind(2, identity)
                        q.bind(3, r.info.service)
                        q.bind(4, r.info.profileType)
                        q.bind(5, r.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
                        q.bind(6, r.info.serializedBytes())
                        try q.step()
                        let id = db.lastInsertRowID
                        streamByIdentity[identity] = id
                        head = Head(stream: id, agent: agent, gauges: r.info.columnKinds.map { $0 == .gauge }, point: StreamPoint(columns: r.info.columns.count),
                                    lastNanos: Int64.min, sinceCheckpoint: 0, checkpointNanos: Int64.min)
                    }
                    guard r.state.columns == r.info.columns.count else {
                        throw .invalid("window \(r.seq) of \(r.info.service) \(r.info.profileType) has \(r.state.columns) columns, its stream \(r.info.columns.count)")
                    }
                    let quick = r.change.flatMap { c in c.from == head.mark ? head.point.delta(increment: c.increment, gauges: head.gauges) : nil }
                    let (delta, reset) = quick.map { ($0, false) } ?? head.point.delta(for: r.state, gauges: head.gauges)
                    head.mark = r.mark
                    let time = max(head.lastNanos, r.timeNanos)
                    let blob = StateBlob.encode(delta)
                    let w = try db.statement("INSERT INTO windows(stream, time_ns, duration_ns, seq, reset, delta) VALUES (?, ?, ?, ?, ?, ?)")
                    w.bind(1, head.stream)
                    w.bind(2, time)
                    w.bind(3, r.durationNanos)
                    w.bind(4, Int64(r.seq))
                    w.bind(5, reset ? 1 : 0)
                    w.bind(6, blob)
                    try w.step()
                    let windowID = db.lastInsertRowID
                    head.point.apply(delta: delta, reset: reset, gauges: head.gauges)
                    let first = head.lastNanos == Int64.min
                    head.lastNanos = time
                    head.sinceCheckpoint += 1
                    var bytes = blob.count
                    for e in r.entries {
                        let q = try db.statement("INSERT OR IGNORE INTO entries(agent, kind, entry, salt, body) VALUES (?, ?, ?, ?, ?)")
                        q.bind(1, agent)
                        q.bind(2, Int64(e.kind.rawValue))
                        q.bind(3, Int64(bitPattern: e.id))
                        q.bind(4, Int64(bitPattern: e.salt))
                        let body = e.body()
                        q.bind(5, body)
                        try q.step()
                        bytes += db.changes * body.count
                    }
                    let u = try db.statement("UPDATE streams SET first_ns = coalesce(first_ns, ?1), last_ns = ?1, windows = windows + 1 WHERE id = ?2")
                    u.bind(1, time)
                    u.bind(2, head.stream)
                    try u.step()
                    if first || head.sinceCheckpoint >= policy.windows || time - head.checkpointNanos >= policy.interval(of: head.stream) {
                        head.point = head.point.compacted
                        let c = try db.statement("INSERT INTO checkpoints(stream, upto, time_ns, windows, running, gauge_sum, offset) VALUES (?, ?, ?, ?, ?, ?, ?)")
                        c.bind(1, head.stream)
                        c.bind(2, windowID)
                        c.bind(3, time)
                        c.bind(4, head.point.windows)
                        let blobs = [StateBlob.encode(head.point.running), StateBlob.encode(head.point.gaugeSum(gauges: head.gauges)), StateBlob.encode(head.point.offset)]
                        c.bind(5, blobs[0])
                        c.bind(6, blobs[1])
                        c.bind(7, blobs[2])
                        try c.step()
                        bytes += blobs.reduce(0) { $0 + $1.count }
                        head.sinceCheckpoint = 0
                        head.checkpointNanos = time
                    }
                    heads[head.stream] = head
                    outcomes.append(AppendOutcome(reset: reset, bytes: bytes))
                }
                return outcomes
            }
            self.heads = heads
            self.streamByIdentity = streamByIdentity
            self.agentByKey = agentByKey
            return outcomes
        }

        mutating func prune(before cutoff: Int64) throws(StoreError) -> PruneReport {
            var report = PruneReport(windows: 0, checkpoints: 0, streams: 0)
            var gone: [Int64] = []
            let db = self.db
            let heads = self.heads
            try db.transaction { () throws(StoreError) in
                for (id, head) in heads.sorted(by: { $0.key < $1.key }) {
                    if head.lastNanos < cutoff {
                        // Nothing of the stream is recent enough: it goes entirely.
                        for table in ["windows", "checkpoints"] {
                            let d = try db.statement("DELETE FROM \(table) WHERE stream = ?")
                            d.bind(1, id)
                            try d.step()
                            if table == "windows" { report.windows += db.changes } else { report.checkpoints += db.changes }
                        }
                        let d = try db.statement("DELETE FROM streams WHERE id = ?")
                        d.bind(1, id)
                        try d.step()
                        report.streams += 1
                        gone.append(id)
                        continue
                    }
                    let c = try db.statement("SELECT upto FROM checkpoints WHERE stream = ? AND time_ns < ? ORDER BY time_ns DESC, upto DESC LIMIT 1")
                    c.bind(1, id)
                    c.bind(2, cutoff)
                    guard try c.step() else { continue }
                    let upto = c.int(0)
                    let dw = try db.statement("DELETE FROM windows WHERE stream = ? AND id <= ?")
                    dw.bind(1, id)
                    dw.bind(2, upto)
                    try dw.step()
                    report.windows += db.changes
                    let dc = try db.statement("DELETE FROM checkpoints WHERE stream = ? AND upto < ?")
                    dc.bind(1, id)
                    dc.bind(2, upto)
                    try dc.step()
                    report.checkpoints += db.changes
                    let p = try db.statement("UPDATE streams SET pruned = 1, first_ns = (SELECT time_ns FROM checkpoints WHERE stream = ?1 AND upto = ?2) WHERE id = ?1")
                    p.bind(1, id)
                    p.bind(2, upto)
                    try p.step()
                }
            }
            for id in gone {
                self.heads[id] = nil
                if let k = streamByIdentity.first(where: { $0.value == id })?.key { streamByIdentity[k] = nil }
            }
            return report
        }
    }
}
