import ClickHouse
import Foundation
import Profile
import Synchronization
import WireCodec

/// The shared store: windows of many collectors in one ClickHouse database, over its HTTP
/// interface (Protocol/STORE.md §10 has the tables). Each window is stored as one row per
/// stack of its delta, so a range is merged in the database (`GROUP BY stack` over the
/// stored values) and only the merged rows travel to the collector that renders them.
///
/// `append` returns once ClickHouse has answered 200 to every insert that holds the windows;
/// inserts are keyed per window, so one repeated after a failure does not count twice.
/// Failed inserts are kept (bounded) and sent again, in order, before the next windows.
public final class ClickHouseStore: ProfileStore {
    public let endpoint: ClickHouseEndpoint
    let readClient: ClickHouseClient
    let writer: Mutex<Writer>
    /// Each agent's dictionary as loaded so far (only the entries some query needed).
    let dictionaries = Mutex<[String: WireDictionary]>([:])

    /// Opens the store, creating the database and tables when missing. `policy` spaces each
    /// stream's checkpoints (STORE.md §10.4) as the SQLite store spaces its own; the
    /// checkpoints of every stream due are written together at most once per
    /// `checkpointPass` (two statements each time: inserts, not rows, are what ClickHouse
    /// pays for).
    public init(_ endpoint: ClickHouseEndpoint, timeoutSeconds: Double = 30, pendingLimitBytes: Int = 64 << 20,
                policy: CheckpointPolicy = CheckpointPolicy(), checkpointPass: Duration = .seconds(1)) throws(StoreError) {
        self.endpoint = endpoint
        let writeClient = ClickHouseClient(endpoint, timeoutSeconds: timeoutSeconds)
        readClient = ClickHouseClient(endpoint, timeoutSeconds: timeoutSeconds)
        do { try ClickHouseSchema.prepare(writeClient) } catch { throw Self.storeError(error) }
        writer = Mutex(Writer(client: writeClient, pendingLimit: pendingLimitBytes, policy: policy, checkpointPass: checkpointPass))
    }

    /// Bytes ClickHouse sent to answer this store's reads (merged rows and dictionary entries).
    public var bytesRead: Int { readClient.bytesReceived }
    /// Bytes this store sent ClickHouse to insert windows.
    public var bytesWritten: Int { writer.withLock { $0.client.bytesSent } }

    static func storeError(_ e: ClickHouseError) -> StoreError { .server(e.description, transient: e.isTransient) }

    var db: String { endpoint.database }

    /// Runs `body` against the read connection, mapping ClickHouse's errors to the store's.
    func reading<T>(_ body: (ClickHouseClient) throws(ClickHouseError) -> T) throws(StoreError) -> T {
        do { return try body(readClient) } catch { throw Self.storeError(error) }
    }

    // MARK: ProfileStore

    public func append(_ records: [WindowRecord]) throws(StoreError) -> [AppendOutcome] {
        try writer.withLock { w throws(StoreError) in try w.append(records) }
    }

    public func streams() throws(StoreError) -> [StoredStream] {
        try reading { c throws(ClickHouseError) in try Self.readStreams(c, db: db) }
    }

    public func profiles(where include: (StoredStream) -> Bool, range: TimeRange, aggregation: GaugeAggregation) throws(StoreError) -> [RangeProfile] {
        let chosen = try streams().filter(include)
        guard !chosen.isEmpty else { return [] }
        let merged = try reading { c throws(ClickHouseError) in try ClickHouseRange.query(c, db: db, streams: chosen, range: range) }
        var out: [RangeProfile] = []
        for s in chosen {
            guard let m = merged[s.id] else { continue }
            let gauges = s.info.columnKinds.map { $0 == .gauge }
            let state = m.state(columns: s.info.columns.count, gauges: gauges, aggregation: aggregation)
            let dictionary = try dictionary(agent: s.agent, covering: state)
            let start = max(range.from, s.firstNanos), end = min(range.to, s.lastNanos)
            let profile = dictionary.profile(of: state, info: s.info, timeNanos: start, durationNanos: max(0, end - start))
            out.append(RangeProfile(stream: s, profile: profile, windows: m.windows))
        }
        return out
    }

    public func prune(before cutoff: Int64) throws(StoreError) -> PruneReport {
        try writer.withLock { w throws(StoreError) in
            defer { w.heads.removeAll() }  // bases moved: heads reload from what is kept
            do throws(ClickHouseError) { return try ClickHouseRetention.prune(w.client, db: db, before: cutoff) } catch { throw Self.storeError(error) }
        }
    }

    public func usage() throws(StoreError) -> [UsageRow] {
        try reading { c throws(ClickHouseError) in
            var agents: [UInt64: String] = [:]
            var r = try c.select("SELECT stream, any(agent) FROM \(db).streams GROUP BY stream")
            while !r.atEnd { agents[try r.uint64()] = try r.string() }
            var rows: [String: UsageRow] = [:]
            let days = Self.utcDays()
            r = try c.select("""
                SELECT stream, intDiv(time, \(ClickHouseRetention.dayNanos)) - (time < 0 AND time % \(ClickHouseRetention.dayNanos) != 0) AS day,
                       sum(bytes), countIf(kind = 0)
                FROM \(db).windows FINAL GROUP BY stream, day
                """)
            while !r.atEnd {
                let stream = try r.uint64(), day = days(try r.int64()), bytes = try r.uint64(), windows = try r.uint64()
                let agent = agents[stream] ?? "?"
                var row = rows[agent + " " + day] ?? UsageRow(agent: agent, day: day, bytes: 0, windows: 0)
                row.bytes += Int64(bytes)
                row.windows += Int64(windows)
                rows[agent + " " + day] = row
            }
            return rows.values.sorted { ($0.agent, $0.day) < ($1.agent, $1.day) }
        }
    }

    /// yyyy-mm-dd of a day number since 1970 (UTC), one formatter for all rows.
    static func utcDays() -> (Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return { f.string(from: Date(timeIntervalSince1970: Double($0) * 86_400)) }
    }

    // MARK: Reading

    static func readStreams(_ c: ClickHouseClient, db: String) throws(ClickHouseError) -> [StoredStream] {
        var extent: [UInt64: (Int64, Int64, UInt64)] = [:]
        var r = try c.select("SELECT stream, minMerge(first), maxMerge(last), maxMerge(windows) FROM \(db).stream_days GROUP BY stream")
        while !r.atEnd { extent[try r.uint64()] = (try r.int64(), try r.int64(), try r.uint64()) }
        guard !extent.isEmpty else { return [] }
        r = try c.select("SELECT stream, any(agent), any(info) FROM \(db).streams GROUP BY stream")
        var out: [StoredStream] = []
        while !r.atEnd {
            let id = try r.uint64(), agent = try r.string(), infoBytes = try r.bytesValue()
            guard let (first, last, windows) = extent[id] else { continue }
            guard let info = try? StreamInfo(serializedBytes: infoBytes) else {
                throw .malformed("stream \(id) has an info record that does not decode")
            }
            out.append(StoredStream(id: Int64(bitPattern: id), agent: agent, info: info, firstNanos: first, lastNanos: last, windows: Int64(windows)))
        }
        return out.sorted { ($0.agent, $0.id) < ($1.agent, $1.id) }
    }

    /// The agent's dictionary with every entry `state` reaches (fetched when missing).
    func dictionary(agent: String, covering state: StreamState) throws(StoreError) -> WireDictionary {
        var d = dictionaries.withLock { $0[agent] } ?? WireDictionary()
        let before = d.count
        try reading { c throws(ClickHouseError) in
            try ClickHouseDictionary.load(c, db: db, agent: agent, stacks: state.ids, into: &d)
        }
        if d.count != before { dictionaries.withLock { $0[agent] = d } }
        return d
    }
}

extension ClickHouseStore {
    /// A stream's newest stored window as the writer needs it.
    struct Head: Sendable {
        var gauges: [Bool]
        /// The agent's own cumulative state after the newest stored window.
        var state: StreamState
        /// Windows stored (the newest window's ordinal).
        var n: UInt64
        /// Counter resets so far: windows of one lineage sum to the agent's counters.
        var lineage: UInt32
        var lastNanos: Int64
        /// The newest retention base: its ordinal (0: none) and time.
        var base: UInt64 = 0
        var baseTime: Int64 = 0
        /// The newest checkpoint against that base, or the base itself when there is none.
        var checkpoint = ClickHouseCheckpoints.Mark(n: 0, time: .min)
    }

    /// One insert not yet confirmed by ClickHouse.
    struct Insert: Sendable {
        var table: String
        var columns: String
        var rows: [UInt8]
    }

    struct Writer: Sendable {
        let client: ClickHouseClient
        let pendingLimit: Int
        let policy: CheckpointPolicy
        let checkpointPass: Duration
        var lastCheckpointPass: ContinuousClock.Instant?
        var heads: [Int64: Head] = [:]
        var pending: [Insert] = []

        init(client: ClickHouseClient, pendingLimit: Int, policy: CheckpointPolicy, checkpointPass: Duration) {
            (self.client, self.pendingLimit, self.policy, self.checkpointPass) = (client, pendingLimit, policy, checkpointPass)
        }

        var db: String { client.endpoint.database }

        mutating func append(_ records: [WindowRecord]) throws(StoreError) -> [AppendOutcome] {
            // What failed before goes first, in order: later deltas build on it.
            try flush()
            var ids: [Int64] = []
            ids.reserveCapacity(records.count)
            for r in records {
                guard r.state.columns == r.info.columns.count else {
                    throw .invalid("window \(r.seq) of \(r.info.service) \(r.info.profileType) has \(r.state.columns) columns, its stream \(r.info.columns.count)")
                }
                ids.append(sharedStreamID(streamIdentity(agent: r.agent, info: r.info)))
            }
            // Another collector may have stored windows of a stream since this one did (its
            // agent moved there and back): such a head reloads.
            do { try dropStaleHeads(Set(ids)) } catch { throw ClickHouseStore.storeError(error) }
            var fresh: [Int64: WindowRecord] = [:]
            for (r, id) in zip(records, ids) where heads[id] == nil && fresh[id] == nil { fresh[id] = r }
            var streamRows = RowBinaryWriter()
            if !fresh.isEmpty {
                let loaded: [Int64: Head]
                do { loaded = try ClickHouseHeads.load(client, db: db, streams: fresh.mapValues(\.info)) } catch { throw ClickHouseStore.storeError(error) }
                for (id, r) in fresh.sorted(by: { $0.key < $1.key }) {
                    heads[id] = loaded[id] ?? Head(gauges: r.info.columnKinds.map { $0 == .gauge }, state: StreamState(columns: r.info.columns.count),
                                                   n: 0, lineage: 0, lastNanos: Int64.min)
                    // The stream's identity row: written again by every collector that meets it (one row after merges).
                    streamRows.uint64(UInt64(bitPattern: id))
                    streamRows.string(r.agent)
                    streamRows.string(streamIdentity(agent: r.agent, info: r.info))
                    streamRows.string(r.info.service)
                    streamRows.string(r.info.profileType)
                    streamRows.string(r.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
                    streamRows.string(r.info.serializedBytes())
                }
            }
            var samples = RowBinaryWriter(capacity: 1 << 16)
            var windows = RowBinaryWriter()
            var entries = RowBinaryWriter()
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(records.count)
            for (r, id) in zip(records, ids) {
                var head = heads[id]!
                let columns = r.info.columns.count
                let previous = StreamPoint(running: head.state, gaugeSum: StreamState(columns: columns), windows: 0, offset: StreamState(columns: columns))
                let (delta, reset) = previous.delta(for: r.state, gauges: head.gauges)
                head.n += 1
                if reset { head.lineage += 1 }
                let time = max(head.lastNanos, r.timeNanos)
                let start = samples.bytes.count
                for row in 0..<delta.count {
                    samples.uint64(UInt64(bitPattern: id))
                    samples.int64(time)
                    samples.uint64(head.n)
                    samples.uint8(0)
                    samples.uint32(head.lineage)
                    samples.uint64(delta.ids[row])
                    samples.int64Array(delta.values(row: row))
                }
                var bytes = samples.bytes.count - start
                for e in r.entries {
                    let body = e.body()
                    entries.string(r.agent)
                    entries.uint8(e.kind.rawValue)
                    entries.uint64(e.id)
                    entries.uint64(e.salt)
                    entries.string(body)
                    bytes += body.count + 17
                }
                windows.uint64(UInt64(bitPattern: id))
                windows.int64(time)
                windows.uint64(head.n)
                windows.uint8(0)
                windows.int64(r.durationNanos)
                windows.uint32(r.seq)
                windows.uint8(reset ? 1 : 0)
                windows.uint32(head.lineage)
                windows.uint64(UInt64(bytes))
                head.state = r.state
                head.lastNanos = time
                heads[id] = head
                outcomes.append(AppendOutcome(reset: reset, bytes: bytes))
            }
            // Entries and identities before the rows that use them; the window rows last.
            for (table, columns, rows) in [("entries", "agent, kind, entry, salt, body", entries.bytes),
                                           ("streams", "stream, agent, identity, service, type, labels, info", streamRows.bytes),
                                           ("samples", "stream, time, n, kind, lineage, stack, values", samples.bytes),
                                           ("windows", "stream, time, n, kind, duration, seq, reset, lineage, bytes", windows.bytes)] where !rows.isEmpty {
                pending.append(Insert(table: "\(db).\(table)", columns: columns, rows: rows))
            }
            try flush()
            let now = ContinuousClock.now
            if lastCheckpointPass.map({ now - $0 >= checkpointPass }) ?? true {
                // Every stream with a cached head, not only this batch's: one that went idle
                // still gets the checkpoint its last windows are due.
                if checkpoint(Set(heads.keys)) { lastCheckpointPass = now }
            }
            return outcomes
        }

        /// Writes a checkpoint for each of `streams` due one (after its first window, then
        /// every `policy.windows` windows or its interval of stream time), once their windows
        /// are in; true when it wrote any. A failure costs only read speed: the next append
        /// tries again from the same previous checkpoint.
        @discardableResult
        mutating func checkpoint(_ streams: Set<Int64>) -> Bool {
            var due: [ClickHouseCheckpoints.Due] = []
            for id in streams.sorted() {
                guard let h = heads[id], h.n > h.checkpoint.n else { continue }
                let first = h.checkpoint.n == h.base
                guard first || h.n - h.checkpoint.n >= UInt64(policy.windows)
                    || h.lastNanos.subtractingReportingOverflow(h.checkpoint.time).partialValue >= policy.interval(of: id) else { continue }
                due.append(.init(stream: UInt64(bitPattern: id), base: h.base, baseTime: h.baseTime, from: h.checkpoint,
                                 to: .init(n: h.n, time: h.lastNanos)))
            }
            guard !due.isEmpty else { return false }
            // On a failure the windows stay durable and the heads keep their previous
            // checkpoints, so the next pass covers these windows too.
            if (try? ClickHouseCheckpoints.write(client, db: db, due)) != nil {
                for d in due { heads[Int64(bitPattern: d.stream)]?.checkpoint = d.to }
            }
            return true
        }

        /// Forgets the cached heads of `streams` whose newest stored window is not the one
        /// this writer stored last (one query over the newest rows of those streams).
        mutating func dropStaleHeads(_ streams: Set<Int64>) throws(ClickHouseError) {
            let cached = streams.compactMap { id in heads[id].map { (UInt64(bitPattern: id), $0) } }
            guard let since = cached.map(\.1.lastNanos).min() else { return }
            var r = try client.select("""
                SELECT stream, max(n) FROM \(db).windows WHERE stream IN (\(SQLText.list(cached.map(\.0)))) AND time >= \(since) GROUP BY stream
                """)
            while !r.atEnd {
                let id = Int64(bitPattern: try r.uint64()), n = try r.uint64()
                if let h = heads[id], n != h.n { heads[id] = nil }
            }
        }

        /// Sends the pending inserts in order. On a failure the rest stays pending (the heads
        /// already include it) unless the failure will not go away or the backlog passed its
        /// limit: then it is dropped and the heads reload from what ClickHouse holds, so the
        /// agents' next windows cover the dropped ones.
        mutating func flush() throws(StoreError) {
            while let first = pending.first {
                do {
                    try client.insert(into: first.table, columns: first.columns, rows: first.rows)
                    pending.removeFirst()
                } catch {
                    let backlog = pending.reduce(0) { $0 + $1.rows.count }
                    if !error.isTransient || backlog > pendingLimit {
                        pending.removeAll()
                        heads.removeAll()
                    }
                    throw ClickHouseStore.storeError(error)
                }
            }
        }
    }
}
