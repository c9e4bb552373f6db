import ClickHouse
import WireCodec

/// SQL text helpers: id lists and per-stream constants (`transform`), all numbers, so no
/// value from outside reaches a query unescaped.
enum SQLText {
    static func list(_ ids: some Sequence<UInt64>) -> String { ids.map(String.init).joined(separator: ",") }

    /// `transform(stream, [ids], [values], default)`: a per-stream constant inside one query.
    static func perStream(_ values: [UInt64: UInt64], type: String, default d: UInt64 = 0) -> String {
        let keys = values.keys.sorted()
        return "transform(stream, CAST([\(list(keys))] AS Array(UInt64)), CAST([\(list(keys.map { values[$0]! }))] AS Array(\(type))), to\(type)(\(d)))"
    }

    /// `perStream` for signed values (times).
    static func perStream(_ values: [UInt64: Int64]) -> String {
        let keys = values.keys.sorted()
        return "transform(stream, CAST([\(list(keys))] AS Array(UInt64)), CAST([\(keys.map { String(values[$0]!) }.joined(separator: ","))] AS Array(Int64)), toInt64(0))"
    }

    /// `terms` joined by OR, or `0` (false) when there is none.
    static func any(_ terms: [String]) -> String { terms.isEmpty ? "0" : terms.map { "(\($0))" }.joined(separator: " OR ") }

    /// A string literal.
    static func quoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The rows that count for each stream (STORE.md §10.3): its newest base row (kind 1,
    /// written by retention, ordinal `B`) and the windows after it.
    static func effective(bases: [UInt64: UInt64]) -> String {
        let b = perStream(bases, type: "UInt64")
        return "((kind = 1 AND n = \(b)) OR (kind = 0 AND n > \(b)))"
    }
}

extension RowBinaryReader {
    /// Stream id and stack, then `count` arrays of values (`sumForEach` results).
    mutating func stackRow(arrays count: Int) throws(ClickHouseError) -> (UInt64, UInt64, [[Int64]]) {
        let stream = try uint64(), stack = try uint64()
        var arrays: [[Int64]] = []
        for _ in 0..<count { arrays.append(try int64Array()) }
        return (stream, stack, arrays)
    }
}

/// Value `c` of a `sumForEach` array (shorter when no row of the group reached column `c`).
@inline(__always) func at(_ a: [Int64], _ c: Int) -> Int64 { c < a.count ? a[c] : 0 }

/// Builds a state from rows in any order (zero rows left out).
func state(columns: Int, rows: [(UInt64, [Int64])]) -> StreamState {
    let sorted = rows.filter { $0.1.contains { $0 != 0 } }.sorted { $0.0 < $1.0 }
    var cells: [Int64] = []
    cells.reserveCapacity(sorted.count * columns)
    for (_, v) in sorted { cells.append(contentsOf: v) }
    return StreamState(columns: columns, ids: sorted.map(\.0), cells: cells) ?? StreamState(columns: columns)
}

/// Loading the writer's head of streams another process stored before (a restarted
/// collector, or the next collector after an agent moved).
enum ClickHouseHeads {
    static func load(_ c: ClickHouseClient, db: String, streams: [Int64: StreamInfo]) throws(ClickHouseError) -> [Int64: ClickHouseStore.Head] {
        let ids = streams.keys.map { UInt64(bitPattern: $0) }
        let list = SQLText.list(ids)
        // Samples too: a window whose rows landed but whose window row did not still counts.
        var r = try c.select("""
            SELECT stream, max(n), argMax(lineage, n), max(time), maxIf(n, kind = 1), argMaxIf(time, n, kind = 1) FROM (
                SELECT stream, n, lineage, time, kind FROM \(db).windows WHERE stream IN (\(list))
                UNION ALL SELECT stream, n, lineage, time, kind FROM \(db).samples WHERE stream IN (\(list)))
            GROUP BY stream
            """)
        var meta: [UInt64: (n: UInt64, lineage: UInt32, last: Int64, base: UInt64, baseTime: Int64)] = [:]
        while !r.atEnd { meta[try r.uint64()] = (try r.uint64(), try r.uint32(), try r.int64(), try r.uint64(), try r.int64()) }
        guard !meta.isEmpty else { return [:] }
        let checkpoints = try ClickHouseCheckpoints.newest(c, db: db, bases: meta.mapValues(\.base), limits: [nil])
        let rows = try ClickHouseHeads.agentRows(c, db: db, kinds: streams.reduce(into: [:]) { $0[UInt64(bitPattern: $1.key)] = $1.value.columnKinds },
                                                 lineages: meta.mapValues { UInt64($0.lineage) }, bases: meta.mapValues(\.base))
        var out: [Int64: ClickHouseStore.Head] = [:]
        for (id, m) in meta {
            guard let info = streams[Int64(bitPattern: id)] else { continue }
            out[Int64(bitPattern: id)] = ClickHouseStore.Head(gauges: info.columnKinds.map { $0 == .gauge },
                                                              state: state(columns: info.columns.count, rows: rows[id] ?? []),
                                                              n: m.n, lineage: m.lineage, lastNanos: m.last, base: m.base, baseTime: m.baseTime,
                                                              checkpoint: checkpoints[id]?[0] ?? .start(base: m.base, baseTime: m.baseTime))
        }
        return out
    }
}

extension ClickHouseHeads {
    /// Per stream and stack, the agent's state summed from the rows that count (§10.1),
    /// optionally only those `before` a time: gauge columns from every row, counter columns
    /// from the rows of the stream's lineage. What a head loads and what a retention base
    /// holds. Rows of all zeros are left out.
    static func agentRows(_ c: ClickHouseClient, db: String, kinds: [UInt64: [StreamInfo.ColumnKind]], lineages: [UInt64: UInt64],
                          bases: [UInt64: UInt64], before: Int64? = nil) throws(ClickHouseError) -> [UInt64: [(UInt64, [Int64])]] {
        var r = try c.select("""
            SELECT stream, stack, sumForEach(values), sumForEachIf(values, lineage = \(SQLText.perStream(lineages, type: "UInt32")))
            FROM \(db).samples FINAL
            WHERE stream IN (\(SQLText.list(lineages.keys)))\(before.map { " AND time < \($0)" } ?? "") AND \(SQLText.effective(bases: bases))
            GROUP BY stream, stack
            """)
        var rows: [UInt64: [(UInt64, [Int64])]] = [:]
        while !r.atEnd {
            let (stream, stack, a) = try r.stackRow(arrays: 2)
            guard let k = kinds[stream] else { throw .malformed("stream \(stream) has no identity row") }
            let values = k.enumerated().map { c, kind in kind == .gauge ? at(a[0], c) : at(a[1], c) }
            if values.contains(where: { $0 != 0 }) { rows[stream, default: []].append((stack, values)) }
        }
        return rows
    }
}

/// A range merged by ClickHouse, per stream and stack (STORE.md §10.4).
struct MergedRange {
    /// Ordinals of the last window at or before each end of the range.
    var nFrom: UInt64
    var nTo: UInt64
    /// Per stack: Σ d over the range's windows, Σ d·n over them, and Σ d before the range.
    var rows: [(stack: UInt64, sum: [Int64], weighted: [Int64], before: [Int64])] = []

    var windows: Int64 { Int64(nTo) - Int64(nFrom) }

    /// The range's state (STORE.md §3): counters summed over the range; gauges as the mean
    /// level over its windows or the level at its end.
    func state(columns: Int, gauges: [Bool], aggregation: GaugeAggregation) -> StreamState {
        let m = windows
        var out: [(UInt64, [Int64])] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            var v = [Int64](repeating: 0, count: columns)
            for c in 0..<columns {
                let sum = at(row.sum, c)
                guard gauges[c] else { v[c] = sum; continue }
                let levelBefore = at(row.before, c)
                if aggregation == .last || m <= 0 {
                    v[c] = levelBefore &+ sum
                } else {
                    // Σ over the range's windows k of the level after k
                    //   = m·level_before + Σ_j d_j·(nTo − n_j + 1).
                    // Wrapping, like the sums ClickHouse returns: exact whenever the total fits.
                    let total = m &* levelBefore &+ (Int64(nTo) &+ 1) &* sum &- at(row.weighted, c)
                    v[c] = total >= 0 ? (total &+ m / 2) / m : 0 &- ((0 &- total &+ m / 2) / m)
                }
            }
            out.append((row.stack, v))
        }
        return Store.state(columns: columns, rows: out)
    }
}

enum ClickHouseRange {
    /// Streams per query: each adds a few key-range terms to the query's text.
    static let chunk = 100

    /// Merges `streams` over `range` in the database (STORE.md §10.4), in chunks of streams:
    /// per chunk one query for the window ordinals at the range's ends, one for the
    /// checkpoints at or before them, one for the stacks.
    static func query(_ c: ClickHouseClient, db: String, streams: [StoredStream], range: TimeRange) throws(ClickHouseError) -> [Int64: MergedRange] {
        var out: [Int64: MergedRange] = [:]
        var i = 0
        while i < streams.count {
            let part = Array(streams[i..<min(streams.count, i + chunk)])
            i += chunk
            out.merge(try query(chunk: part, c, db: db, range: range)) { a, _ in a }
        }
        return out
    }

    static func query(chunk streams: [StoredStream], _ c: ClickHouseClient, db: String, range: TimeRange) throws(ClickHouseError) -> [Int64: MergedRange] {
        let ids = streams.map { UInt64(bitPattern: $0.id) }
        var r = try c.select("""
            SELECT stream, maxIf(n, kind = 1), argMaxIf(time, n, kind = 1), maxIf(n, time <= \(range.from) OR kind = 1), maxIf(n, time <= \(range.to) OR kind = 1)
            FROM \(db).windows WHERE stream IN (\(SQLText.list(ids))) GROUP BY stream
            """)
        var out: [Int64: MergedRange] = [:]
        var bases: [UInt64: UInt64] = [:], baseTimes: [UInt64: Int64] = [:]
        var nFrom: [UInt64: UInt64] = [:], nTo: [UInt64: UInt64] = [:]
        while !r.atEnd {
            let id = try r.uint64()
            (bases[id], baseTimes[id], nFrom[id], nTo[id]) = (try r.uint64(), try r.int64(), try r.uint64(), try r.uint64())
        }
        guard !bases.isEmpty else { return [:] }
        // Each end of the range is the sum of the rows up to it: the newest checkpoint at or
        // before it, plus the windows after that checkpoint.
        let marks = try ClickHouseCheckpoints.newest(c, db: db, bases: bases, limits: [nFrom, nTo])
        var c1: [UInt64: UInt64] = [:], c2: [UInt64: UInt64] = [:]
        var points: [String] = [], rows: [String] = []
        for (id, b) in bases.sorted(by: { $0.key < $1.key }) {
            let start = ClickHouseCheckpoints.Mark.start(base: b, baseTime: baseTimes[id]!)
            let m1 = marks[id]?[0] ?? start, m2 = marks[id]?[1] ?? start
            (c1[id], c2[id]) = (m1.n, m2.n)
            let at = Set([m1.n, m2.n].filter { $0 > b })
            if !at.isEmpty { points.append("stream = \(id) AND base = \(b) AND n IN (\(SQLText.list(at.sorted())))") }
            for (m, n, time) in [(m1, nFrom[id]!, range.from), (m2, nTo[id]!, range.to)] {
                if let t = ClickHouseCheckpoints.rows(stream: id, base: b, baseTime: baseTimes[id]!, from: m, to: n, time: time) { rows.append(t) }
            }
            out[Int64(bitPattern: id)] = MergedRange(nFrom: nFrom[id]!, nTo: nTo[id]!)
        }
        let gauges = streams.contains { $0.info.columnKinds.contains(.gauge) }
        // Gauge levels need the weighted sums; counters do not.
        let pointsWeighted = gauges ? "weighted" : "emptyArrayInt64()"
        let rowsWeighted = gauges ? ClickHouseCheckpoints.weightedValues : "emptyArrayInt64()"
        let (C1, C2) = (SQLText.perStream(c1, type: "UInt64"), SQLText.perStream(c2, type: "UInt64"))
        let (NF, NT) = (SQLText.perStream(nFrom, type: "UInt64"), SQLText.perStream(nTo, type: "UInt64"))
        // e: bit 0 when the row is in the sum up to the range's start, bit 1 up to its end.
        r = try c.select("""
            SELECT stream, stack, sumForEachIf(s, e >= 2), sumForEachIf(w, e >= 2), sumForEachIf(s, e % 2 = 1), sumForEachIf(w, e % 2 = 1)
            FROM (
                SELECT stream, stack, total AS s, \(pointsWeighted) AS w, (n = \(C1)) + 2 * (n = \(C2)) AS e
                FROM \(db).points FINAL WHERE \(SQLText.any(points))
                UNION ALL
                SELECT stream, stack, values AS s, \(rowsWeighted) AS w,
                       ((kind = 1 AND n = \(C1)) OR (kind = 0 AND n > \(C1) AND n <= \(NF)))
                       + 2 * ((kind = 1 AND n = \(C2)) OR (kind = 0 AND n > \(C2) AND n <= \(NT))) AS e
                FROM \(db).samples FINAL WHERE \(SQLText.any(rows))
            )
            GROUP BY stream, stack
            """)
        while !r.atEnd {
            let (stream, stack, a) = try r.stackRow(arrays: 4)
            let width = a.map(\.count).max() ?? 0
            let sum = (0..<width).map { at(a[0], $0) &- at(a[2], $0) }
            let weighted = (0..<width).map { at(a[1], $0) &- at(a[3], $0) }
            out[Int64(bitPattern: stream)]?.rows.append((stack, sum, weighted, a[2]))
        }
        return out
    }
}

/// Dictionary entries fetched by what a query reaches: stacks, then their locations,
/// functions and strings (four round trips at most, ids in chunks).
enum ClickHouseDictionary {
    static let chunk = 4000

    static func load(_ c: ClickHouseClient, db: String, agent: String, stacks: [EntryID], into d: inout WireDictionary) throws(ClickHouseError) {
        var want: [EntryKind: Set<EntryID>] = [.stack: Set(stacks.filter { d.stacks[$0] == nil })]
        for kind in [EntryKind.stack, .location, .function, .string] {
            let ids = want[kind]?.sorted() ?? []
            guard !ids.isEmpty else { continue }
            var got: [StoredEntry] = []
            var i = 0
            while i < ids.count {
                let part = ids[i..<min(ids.count, i + chunk)]
                i += chunk
                var r = try c.select("""
                    SELECT entry, salt, body FROM \(db).entries
                    WHERE agent = \(SQLText.quoted(agent)) AND kind = \(kind.rawValue) AND entry IN (\(SQLText.list(part)))
                    """)
                while !r.atEnd {
                    let id = try r.uint64(), salt = try r.uint64(), body = try r.bytesValue()
                    // A row that does not decode or hash to its id was altered: leave it out.
                    if let e = try? StoredEntry.decode(kind: Int64(kind.rawValue), id: id, salt: salt, body: body) { got.append(e) }
                }
            }
            func need(_ k: EntryKind, _ id: EntryID) {
                let held: Bool
                switch k {
                case .string: held = d.strings[id] != nil
                case .function: held = d.functions[id] != nil
                case .location: held = d.locations[id] != nil
                case .stack: held = d.stacks[id] != nil
                }
                if !held { want[k, default: []].insert(id) }
            }
            for e in got where d.insert(e) {
                switch e.content {
                case .stack(let s):
                    for l in s.locations { need(.location, l) }
                    for label in s.labels {
                        need(.string, label.key)
                        switch label.value {
                        case .string(let v): need(.string, v)
                        case .number(_, let unit): need(.string, unit)
                        }
                    }
                case .location(let l):
                    for line in l.lines { need(.function, line.function) }
                case .function(let f):
                    for s in [f.name, f.systemName, f.filename] { need(.string, s) }
                case .string: break
                }
            }
        }
    }
}
