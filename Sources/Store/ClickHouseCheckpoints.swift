import ClickHouse

/// Checkpoints of the shared store (STORE.md §10.4): per stream, at some ordinals, the sums of
/// the rows that count up to there, so a range is read from two checkpoints and the windows
/// after each instead of from every row before its end. ClickHouse computes each one from
/// the stream's previous checkpoint and the windows since (`INSERT … SELECT`), so the
/// collector keeps no extra state per stream and a checkpoint costs the rows it adds.
enum ClickHouseCheckpoints {
    /// A place in a stream: the ordinal of a window and its time.
    struct Mark: Sendable, Equatable {
        var n: UInt64
        var time: Int64

        /// Where a stream starts when no checkpoint is usable: its base (ordinal `B` at the
        /// base's time), or before its first window.
        static func start(base: UInt64, baseTime: Int64) -> Mark { Mark(n: base, time: base > 0 ? baseTime : .min) }
    }

    /// A checkpoint to write: `to`, computed from the checkpoint at `from` (or from the base
    /// when `from.n == base`) and the windows in between.
    struct Due: Sendable {
        var stream: UInt64
        var base: UInt64
        var baseTime: Int64
        var from: Mark
        var to: Mark
    }

    /// Rows of `samples` with `lower < n ≤ upper` (kind 0) of `stream`, as key-range terms
    /// (time bounds first, so ClickHouse reads only their granules), plus the base rows when
    /// the sum starts at the base. Nil when there is nothing to read.
    static func rows(stream: UInt64, base: UInt64, baseTime: Int64, from start: Mark, to n: UInt64, time: Int64) -> String? {
        var terms: [String] = []
        if n > start.n {
            let lower = start.time == .min ? "" : "time >= \(start.time) AND "
            terms.append("stream = \(stream) AND \(lower)time <= \(time) AND kind = 0 AND n > \(start.n) AND n <= \(n)")
        }
        if start.n == base && base > 0 {
            terms.append("stream = \(stream) AND time = \(baseTime) AND kind = 1 AND n = \(base)")
        }
        return terms.isEmpty ? nil : SQLText.any(terms)
    }

    /// `values · n` per row: what `weighted` sums.
    static let weightedValues = "arrayMap((v, k) -> v * k, values, arrayResize(emptyArrayInt64(), length(values), toInt64(n)))"

    /// Writes the checkpoints `due` (one `INSERT … SELECT` into `points`), then their rows in
    /// `checkpoints`, which is what makes them usable: a checkpoint whose points did not all
    /// land has no such row and is never read.
    static func write(_ c: ClickHouseClient, db: String, _ due: [Due]) throws(ClickHouseError) {
        var i = 0
        while i < due.count {
            try write(chunk: Array(due[i..<min(due.count, i + ClickHouseRange.chunk)]), c, db: db)
            i += ClickHouseRange.chunk
        }
    }

    /// One statement's worth (its text grows with the streams).
    static func write(chunk due: [Due], _ c: ClickHouseClient, db: String) throws(ClickHouseError) {
        let previous = due.filter { $0.from.n > $0.base }.map { "stream = \($0.stream) AND n = \($0.from.n) AND base = \($0.base)" }
        let since = due.compactMap { rows(stream: $0.stream, base: $0.base, baseTime: $0.baseTime, from: $0.from, to: $0.to.n, time: $0.to.time) }
        try insert(c, db: db, due.map { ($0.stream, $0.base, $0.to) }, summing: [
            "SELECT stream, stack, total AS s, weighted AS w FROM \(db).points FINAL WHERE \(SQLText.any(previous))",
            "SELECT stream, stack, values AS s, \(weightedValues) AS w FROM \(db).samples FINAL WHERE \(SQLText.any(since))",
        ])
    }

    /// Writes the checkpoint of each `(stream, base, at)` as the per-stack sums of what the
    /// `summing` queries give (columns `stream, stack, s, w`: values and weighted values),
    /// then the rows in `checkpoints` that make them usable.
    static func insert(_ c: ClickHouseClient, db: String, _ marks: [(stream: UInt64, base: UInt64, at: Mark)], summing sources: [String]) throws(ClickHouseError) {
        var n: [UInt64: UInt64] = [:], base: [UInt64: UInt64] = [:], time: [UInt64: Int64] = [:]
        for m in marks { (n[m.stream], base[m.stream], time[m.stream]) = (m.at.n, m.base, m.at.time) }
        try c.execute("""
            INSERT INTO \(db).points (stream, n, base, time, stack, total, weighted)
            SELECT stream, \(SQLText.perStream(n, type: "UInt64")), \(SQLText.perStream(base, type: "UInt64")), \(SQLText.perStream(time)),
                   stack, sumForEach(s), sumForEach(w)
            FROM (\(sources.joined(separator: " UNION ALL ")))
            GROUP BY stream, stack
            """)
        var rows = RowBinaryWriter()
        for m in marks {
            rows.uint64(m.stream); rows.uint64(m.at.n); rows.uint64(m.base); rows.int64(m.at.time)
        }
        try c.insert(into: "\(db).checkpoints", columns: "stream, n, base, time", rows: rows.bytes)
    }

    /// Per stream, the newest usable checkpoint (written against the stream's current base)
    /// at or below each limit in `limits` (nil: no limit); nil where there is none.
    static func newest(_ c: ClickHouseClient, db: String, bases: [UInt64: UInt64], limits: [[UInt64: UInt64]?]) throws(ClickHouseError) -> [UInt64: [Mark?]] {
        guard !bases.isEmpty else { return [:] }
        let columns = limits.map { limit -> String in
            guard let limit else { return "max(n), argMax(time, n)" }
            let cond = "n <= \(SQLText.perStream(limit, type: "UInt64"))"
            return "maxIf(n, \(cond)), argMaxIf(time, n, \(cond))"
        }
        var r = try c.select("""
            SELECT stream, \(columns.joined(separator: ", ")) FROM \(db).checkpoints FINAL
            WHERE stream IN (\(SQLText.list(bases.keys))) AND base = \(SQLText.perStream(bases, type: "UInt64"))
            GROUP BY stream
            """)
        var out: [UInt64: [Mark?]] = [:]
        while !r.atEnd {
            let stream = try r.uint64()
            var marks: [Mark?] = []
            for _ in limits {
                let n = try r.uint64(), time = try r.int64()
                // Checkpoints stand after their base; 0 is maxIf's answer for none.
                marks.append(n > (bases[stream] ?? 0) ? Mark(n: n, time: time) : nil)
            }
            out[stream] = marks
        }
        return out
    }
}
