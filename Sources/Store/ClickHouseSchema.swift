import Foundation
import ClickHouse

/// The ClickHouse tables of the shared store (Protocol/STORE.md §10), created on first start.
///
/// Every table is a `ReplacingMergeTree` whose ordering key names one row of one window (or
/// one entry): an insert repeated after a retry writes rows with the same keys, and reads
/// with `FINAL` count them once. Windows and their rows are partitioned by UTC day, so
/// retention drops whole days (ClickHouse 18.16 has no table TTL).
enum ClickHouseSchema {
    static let version = "1"

    /// A day partition of a nanosecond time column.
    static let day = "toYYYYMMDD(toDateTime(intDiv(time, 1000000000), 'UTC'))"

    static func statements(_ db: String) -> [String] {
        [
            "CREATE TABLE IF NOT EXISTS \(db).meta (key String, value String) ENGINE = ReplacingMergeTree() ORDER BY key",
            """
            CREATE TABLE IF NOT EXISTS \(db).streams (stream UInt64, agent String, identity String, service String, type String,
                labels String, info String) ENGINE = ReplacingMergeTree() ORDER BY stream
            """,
            """
            CREATE TABLE IF NOT EXISTS \(db).windows (stream UInt64, time Int64, n UInt64, kind UInt8, duration Int64, seq UInt32,
                reset UInt8, lineage UInt32, bytes UInt64) ENGINE = ReplacingMergeTree() PARTITION BY \(day) ORDER BY (stream, time, n)
            """,
            // Each stream's extent per day, kept by ClickHouse as windows are inserted: listing
            // streams reads this, not every window. min and max ignore a repeated insert.
            """
            CREATE MATERIALIZED VIEW IF NOT EXISTS \(db).stream_days ENGINE = AggregatingMergeTree() PARTITION BY day ORDER BY (stream, day)
                AS SELECT stream, \(day) AS day, minState(time) AS first, maxState(time) AS last, maxState(n) AS windows
                FROM \(db).windows GROUP BY stream, day
            """,
            """
            CREATE TABLE IF NOT EXISTS \(db).samples (stream UInt64, time Int64, n UInt64, kind UInt8, lineage UInt32, stack UInt64,
                values Array(Int64)) ENGINE = ReplacingMergeTree() PARTITION BY \(day) ORDER BY (stream, time, n, stack)
            """,
            // Checkpoints (STORE.md §10.4): per stream, at some ordinals `n`, the sums of the
            // rows that count up to `n` (`total`) and of the same rows weighted by their ordinal
            // (`weighted`), computed against the base with ordinal `base`; a row in
            // `checkpoints` once every row of one is in. Reads start from them, so a range
            // reads at most a checkpoint interval of windows per end, however long it is.
            """
            CREATE TABLE IF NOT EXISTS \(db).points (stream UInt64, n UInt64, base UInt64, time Int64, stack UInt64,
                total Array(Int64), weighted Array(Int64)) ENGINE = ReplacingMergeTree() PARTITION BY \(day) ORDER BY (stream, n, base, stack)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(db).checkpoints (stream UInt64, n UInt64, base UInt64, time Int64)
                ENGINE = ReplacingMergeTree() PARTITION BY \(day) ORDER BY (stream, n, base)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(db).entries (agent String, kind UInt8, entry UInt64, salt UInt64, body String)
                ENGINE = ReplacingMergeTree() ORDER BY (agent, kind, entry)
            """,
        ]
    }

    /// Creates the database and tables when missing and checks the schema version.
    static func prepare(_ client: ClickHouseClient) throws(ClickHouseError) {
        let db = client.endpoint.database
        try client.execute("CREATE DATABASE IF NOT EXISTS \(db)", database: false)
        for s in statements(db) { try client.execute(s) }
        let found = try client.text("SELECT value FROM \(db).meta FINAL WHERE key = 'schema'").trimmingCharacters(in: .whitespacesAndNewlines)
        if found.isEmpty {
            var w = RowBinaryWriter()
            w.string("schema")
            w.string(version)
            try client.insert(into: "\(db).meta", columns: "key, value", rows: w.bytes)
        } else if found != version {
            throw .address("\(client.endpoint) has store schema \(found); this flamewire reads schema \(version)")
        }
    }
}

/// A stream's id in the shared store: FNV-1a (64 bit) of its identity string (STORE.md §1),
/// top bit cleared. Every collector computes the same id for the same stream without
/// asking the others.
func sharedStreamID(_ identity: String) -> Int64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in identity.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01b3
    }
    return Int64(bitPattern: h & 0x7fff_ffff_ffff_ffff)
}
