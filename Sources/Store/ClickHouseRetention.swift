import ClickHouse
import WireCodec

/// Retention in the shared store (STORE.md §10.5): whole UTC days before the cutoff's day
/// are dropped as partitions. A stream that goes on after them first gets a **base**, rows
/// of kind 1 at the first kept instant holding the sum of what is dropped (its gauge levels,
/// and its counters since the agent's last reset), so later ranges and the next collector's
/// head stay exact; a stream with nothing kept goes entirely.
enum ClickHouseRetention {
    static let dayNanos: Int64 = 86_400_000_000_000

    static func prune(_ c: ClickHouseClient, db: String, before cutoff: Int64) throws(ClickHouseError) -> PruneReport {
        var report = PruneReport(windows: 0, checkpoints: 0, streams: 0)
        // The first kept instant: the start of the cutoff's UTC day.
        let keep = cutoff >= 0 ? cutoff / dayNanos * dayNanos : -((-cutoff + dayNanos - 1) / dayNanos) * dayNanos
        let keepDay = try c.text("SELECT toYYYYMMDD(toDateTime(intDiv(toInt64(\(keep)), 1000000000), 'UTC'))")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var r = try c.select("""
            SELECT DISTINCT table, partition FROM system.parts
            WHERE database = \(SQLText.quoted(db)) AND table IN ('windows', 'samples', 'points', 'checkpoints') AND active
            """)
        var drop: [(String, String)] = []
        while !r.atEnd {
            let table = try r.string(), partition = try r.string()
            if let p = Int(partition), let k = Int(keepDay), p < k { drop.append((table, partition)) }
        }
        guard !drop.isEmpty else { return report }

        // What each stream loses, and whether anything of it stays.
        r = try c.select("""
            SELECT stream, maxIf(n, time < \(keep)), argMaxIf(lineage, n, time < \(keep)), maxIf(n, kind = 1 AND time < \(keep)),
                   countIf(kind = 0 AND time < \(keep)), countIf(kind = 1 AND time < \(keep)), countIf(time >= \(keep))
            FROM \(db).windows FINAL GROUP BY stream
            """)
        var last: [UInt64: UInt64] = [:], lineage: [UInt64: UInt64] = [:], oldBase: [UInt64: UInt64] = [:]
        while !r.atEnd {
            let id = try r.uint64(), n = try r.uint64(), l = try r.uint32(), b = try r.uint64()
            let windows = try r.uint64(), bases = try r.uint64(), kept = try r.uint64()
            report.windows += Int(windows)
            report.checkpoints += Int(bases)
            guard windows + bases > 0 else { continue }
            if kept == 0 { report.streams += 1; continue }
            (last[id], lineage[id], oldBase[id]) = (n, UInt64(l), b)
        }
        if !last.isEmpty {
            var kinds: [UInt64: [StreamInfo.ColumnKind]] = [:]
            r = try c.select("SELECT stream, any(info) FROM \(db).streams WHERE stream IN (\(SQLText.list(last.keys))) GROUP BY stream")
            while !r.atEnd {
                let id = try r.uint64(), bytes = try r.bytesValue()
                kinds[id] = (try? StreamInfo(serializedBytes: bytes))?.columnKinds
            }
            var samples = RowBinaryWriter()
            var bytes: [UInt64: Int] = [:]
            let sums = try ClickHouseHeads.agentRows(c, db: db, kinds: kinds, lineages: lineage, bases: oldBase, before: keep)
            for (stream, rows) in sums.sorted(by: { $0.key < $1.key }) {
                let start = samples.bytes.count
                for (stack, values) in rows {
                    samples.uint64(stream); samples.int64(keep); samples.uint64(last[stream]!); samples.uint8(1)
                    samples.uint32(UInt32(lineage[stream]!)); samples.uint64(stack); samples.int64Array(values)
                }
                bytes[stream] = samples.bytes.count - start
            }
            var windows = RowBinaryWriter()
            for (id, n) in last.sorted(by: { $0.key < $1.key }) {
                windows.uint64(id); windows.int64(keep); windows.uint64(n); windows.uint8(1); windows.int64(0); windows.uint32(0)
                windows.uint8(0); windows.uint32(UInt32(lineage[id]!)); windows.uint64(UInt64(bytes[id] ?? 0))
            }
            // Bases first: dropping before they are in would lose what they sum. A crash
            // between the two leaves both, and reads count only rows after the newest base.
            if !samples.bytes.isEmpty { try c.insert(into: "\(db).samples", columns: "stream, time, n, kind, lineage, stack, values", rows: samples.bytes) }
            try c.insert(into: "\(db).windows", columns: "stream, time, n, kind, duration, seq, reset, lineage, bytes", rows: windows.bytes)
            try carryCheckpoints(c, db: db, keep: keep, oldBases: oldBase.filter { last[$0.key] != nil }, newBases: last)
        }
        for (table, partition) in drop {
            try c.execute("ALTER TABLE \(db).\(table) DROP PARTITION \(partition)")
        }
        // The streams' extents go with the days they describe (the same partition ids).
        for partition in Set(drop.map(\.1)).sorted() {
            try c.execute("ALTER TABLE \(db).stream_days DROP PARTITION \(partition)")
        }
        return report
    }

    /// Rewrites each stream's newest checkpoint after the new base against that base
    /// (STORE.md §10.5), before the rows it needs are dropped: P_new(c) = P_old(c) − P_old(B)
    /// + base and Q_new(c) = Q_old(c) − Q_old(B) + B · base, where P_old(B) and Q_old(B) sum the
    /// rows that counted before `keep`. Without it, a stream's next checkpoint would sum
    /// every kept window again.
    static func carryCheckpoints(_ c: ClickHouseClient, db: String, keep: Int64, oldBases: [UInt64: UInt64], newBases: [UInt64: UInt64]) throws(ClickHouseError) {
        let newest = try ClickHouseCheckpoints.newest(c, db: db, bases: oldBases, limits: [nil])
        var carried: [UInt64: ClickHouseCheckpoints.Mark] = [:]
        for (id, marks) in newest { if let m = marks[0], let b = newBases[id], m.n > b { carried[id] = m } }
        guard !carried.isEmpty else { return }
        let all = carried.keys.sorted()
        for i in stride(from: 0, to: all.count, by: ClickHouseRange.chunk) {
            try carry(c, db: db, keep: keep, Array(all[i..<min(all.count, i + ClickHouseRange.chunk)]), carried, oldBases, newBases)
        }
    }

    /// One statement's worth of `carryCheckpoints`.
    static func carry(_ c: ClickHouseClient, db: String, keep: Int64, _ streams: [UInt64], _ carried: [UInt64: ClickHouseCheckpoints.Mark],
                      _ oldBases: [UInt64: UInt64], _ newBases: [UInt64: UInt64]) throws(ClickHouseError) {
        let ids = SQLText.list(streams)
        let old = streams.map { "stream = \($0) AND n = \(carried[$0]!.n) AND base = \(oldBases[$0]!)" }
        let w = ClickHouseCheckpoints.weightedValues
        try ClickHouseCheckpoints.insert(c, db: db, streams.map { ($0, newBases[$0]!, carried[$0]!) }, summing: [
            "SELECT stream, stack, total AS s, weighted AS w FROM \(db).points FINAL WHERE \(SQLText.any(old))",
            // Minus what counted before `keep` under the old base…
            """
            SELECT stream, stack, arrayMap(v -> negate(v), values) AS s, arrayMap(v -> negate(v), \(w)) AS w FROM \(db).samples FINAL
            WHERE stream IN (\(ids)) AND time < \(keep) AND \(SQLText.effective(bases: oldBases.filter { streams.contains($0.key) }))
            """,
            // …plus the new base, weighted by its ordinal.
            """
            SELECT stream, stack, values AS s, \(w) AS w FROM \(db).samples FINAL
            WHERE stream IN (\(ids)) AND time = \(keep) AND kind = 1 AND n = \(SQLText.perStream(newBases.filter { streams.contains($0.key) }, type: "UInt64"))
            """,
        ])
    }
}
