@testable import ClickHouse
import Foundation
import Testing
import TestSupport
import WireCodec

@testable import Store

/// What only the shared ClickHouse store has: windows written again after a failure count
/// once, several collectors continue one another's streams, and a ClickHouse killed and
/// restarted mid-run loses nothing reported durable and counts nothing twice. The rest of
/// what a store must do is the conformance suite, run against ClickHouse too.
@Suite(.enabled(if: StoreBackend.clickHouseURL != nil), .serialized)
struct ClickHouseStoreTests {
    static func totals(_ store: any ProfileStore, type: String) throws -> ([Int64], Int64) {
        let got = try StoreFixture.one(store, type: type, .all, .last)
        return (StoreFixture.totals(got.profile), got.windows)
    }

    static func totals(_ s: StreamState) -> [Int64] { (0..<s.columns).map { s.total(column: $0) } }

    @Test func windowsWrittenAgainCountOnce() throws {
        let fixture = try StoreFixture(.clickhouse)
        defer { fixture.remove() }
        let store = try fixture.open()
        let recs = try StoreFixture.records(Array(Samples.allocs.prefix(5)), type: "allocs")
        _ = try store.append(Array(recs.prefix(3)))
        _ = try store.append(Array(recs.suffix(2)))
        // As if every insert had been sent twice (its first answer lost): each row again.
        let db = try #require(fixture.clickHouse).database
        let client = ClickHouseClient(try #require(fixture.clickHouse))
        for table in ["samples", "windows", "entries", "streams", "points", "checkpoints"] {
            try client.execute("INSERT INTO \(db).\(table) SELECT * FROM \(db).\(table)")
        }
        #expect(try client.text("SELECT count() FROM \(db).windows").trimmingCharacters(in: .whitespacesAndNewlines) == "10")
        let (t, n) = try Self.totals(store, type: "allocs")
        #expect(t == Self.totals(recs[4].state))
        #expect(n == 5)
        #expect(try ClickHouseStore(try #require(fixture.clickHouse)).usage().first?.windows == 5)
    }

    @Test func anInsertWhoseAnswerIsLostIsSentAgainFirst() throws {
        let fixture = try StoreFixture(.clickhouse)
        defer { fixture.remove() }
        let store = try #require(try fixture.open() as? ClickHouseStore)
        let recs = try StoreFixture.records(Array(Samples.heap.prefix(6)), type: "heap", everyEntry: true)
        _ = try store.append(Array(recs[0..<2]))
        // The window rows of the next batch fail (as a timeout would): its sample rows are in.
        let client = store.writer.withLock { $0.client }
        client.fault.withLock { $0 = { $0.contains(".windows ") && $0.hasPrefix("INSERT") ? .io("test", "no answer within 30 s") : nil } }
        #expect(throws: StoreError.self) { try store.append(Array(recs[2..<4])) }
        #expect(store.writer.withLock { $0.pending.count } == 1)
        client.fault.withLock { $0 = nil }
        // Sent again before the next windows, which build on it.
        _ = try store.append(Array(recs[4..<6]))
        #expect(store.writer.withLock { $0.pending.isEmpty })
        let (t, n) = try Self.totals(store, type: "heap")
        #expect(t == Self.totals(recs[5].state))
        #expect(n == 6)
        // A failure that will not go away drops the backlog; the heads reload and the next
        // windows are still exact.
        client.fault.withLock { $0 = { $0.hasPrefix("INSERT") ? .server(status: 400, "Code: 62, Syntax error") : nil } }
        let more = try StoreFixture.records(Array(Samples.heap.prefix(8)), type: "heap", everyEntry: true)
        #expect(throws: StoreError.self) { try store.append([more[6]]) }
        #expect(store.writer.withLock { $0.pending.isEmpty && $0.heads.isEmpty })
        client.fault.withLock { $0 = nil }
        _ = try store.append([more[7]])
        #expect(try Self.totals(store, type: "heap").0 == Self.totals(more[7].state))
    }

    @Test func collectorsContinueOneAnothersStreams() throws {
        // Two collectors on one database: an agent's windows go to one, then the other, then
        // back; every range stays exact.
        let fixture = try StoreFixture(.clickhouse)
        defer { fixture.remove() }
        let a = try fixture.open(), b = try fixture.open()
        let recs = try StoreFixture.records(Array(Samples.heap.prefix(9)), type: "heap")
        _ = try a.append(Array(recs[0..<3]))
        _ = try b.append(Array(recs[3..<6]))
        _ = try a.append(Array(recs[6..<9]))
        for store in [a, b] {
            let (t, n) = try Self.totals(store, type: "heap")
            #expect(t == Self.totals(recs[8].state))
            #expect(n == 9)
            let mid = try StoreFixture.one(store, type: "heap", TimeRange(from: 2_000_000_000, to: 7_000_000_000), .last)
            let counters = recs[0].info.columnKinds.enumerated().filter { $0.element == .counter }.map(\.offset)
            for c in counters {
                #expect(StoreFixture.totals(mid.profile)[c] == recs[6].state.total(column: c) - recs[1].state.total(column: c))
            }
            #expect(mid.windows == 5)
        }
    }

    /// The reference points of `recs` (STORE.md §3, StreamPoint's arithmetic): [k] after k windows.
    static func reference(_ recs: [WindowRecord]) -> [StreamPoint] {
        let gauges = recs[0].info.columnKinds.map { $0 == .gauge }
        var p = StreamPoint(columns: recs[0].state.columns)
        var points = [p]
        for r in recs {
            let (d, reset) = p.delta(for: r.state, gauges: gauges)
            p.apply(delta: d, reset: reset, gauges: gauges)
            points.append(p)
        }
        return points
    }

    /// Every range (a, b] between `ends` (window ordinals; window k stored at `first + k − 1`
    /// seconds) of the one stream of `type`, merged by ClickHouse as mean and as last, equals
    /// the reference stack by stack.
    static func checkRanges(_ store: ClickHouseStore, type: String, reference points: [StreamPoint], first: Int64, ends: [Int], _ what: String) throws {
        let stream = try #require(try store.streams().first { $0.info.profileType == type })
        let gauges = stream.info.columnKinds.map { $0 == .gauge }
        for a in ends { for b in ends where b > a {
            let range = TimeRange(from: (first + Int64(a) - 1) * 1_000_000_000, to: (first + Int64(b) - 1) * 1_000_000_000)
            let merged = try #require(try ClickHouseRange.query(store.readClient, db: store.endpoint.database, streams: [stream], range: range)[stream.id])
            #expect(merged.nFrom == UInt64(a) && merged.nTo == UInt64(b), "\(type) (\(a), \(b)] \(what): ordinals \(merged.nFrom), \(merged.nTo)")
            for agg in GaugeAggregation.allCases {
                let got = merged.state(columns: stream.info.columns.count, gauges: gauges, aggregation: agg)
                let want = StreamPoint.range(from: points[a], to: points[b], gauges: gauges, aggregation: agg)
                // Compared whole; reported by size (the states are thousands of cells).
                let same = got == want
                #expect(same, "\(type) (\(a), \(b)] \(agg) \(what): \(got.count) stacks, \(want.count) expected; totals \(totals(got)), \(totals(want)) expected")
            }
        }}
    }

    /// The checkpoints a database holds, as "n/base" in stream and ordinal order.
    static func checkpoints(_ endpoint: ClickHouseEndpoint) throws -> String {
        try ClickHouseClient(endpoint).text("""
            SELECT arrayStringConcat(groupArray(concat(toString(n), '/', toString(base))), ',')
            FROM (SELECT n, base FROM \(endpoint.database).checkpoints FINAL ORDER BY stream, n, base)
            """).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rangesReadFromCheckpointsAreExact() throws {
        // A heap stream (gauges and counters) and an allocs stream whose service restarts,
        // checkpointed every 3 windows, across two UTC days: every range, as mean and as
        // last, equals the reference arithmetic of StreamPoint (STORE.md §3) stack by stack.
        let fixture = try StoreFixture(.clickhouse)
        defer { fixture.remove() }
        let endpoint = try #require(fixture.clickHouse)
        let store = try ClickHouseStore(endpoint, policy: CheckpointPolicy(windows: 3, intervalNanos: .max), checkpointPass: .zero)
        let first: Int64 = 86_400 - 5  // windows 1–5 on the first UTC day, 6–12 on the second
        let heap = try StoreFixture.records(Array(Samples.heap.prefix(12)), type: "heap", start: first)
        // The service behind allocs restarts twice (windows 6 and 11 start new lineages).
        let allocs = try StoreFixture.records(Samples.allocs, type: "allocs", start: first)
            + StoreFixture.records(Samples.allocs, type: "allocs", start: first + 5)
            + StoreFixture.records(Array(Samples.allocs.prefix(2)), type: "allocs", start: first + 10)
        for i in 0..<12 { _ = try store.append([heap[i], allocs[i]]) }
        // After each stream's first window, then every 3.
        #expect(try Self.checkpoints(endpoint) == "1/0,4/0,7/0,10/0,1/0,4/0,7/0,10/0")
        let reference = ["heap": Self.reference(heap), "allocs": Self.reference(allocs)]
        for type in ["heap", "allocs"] {
            // Ends on, just after and between checkpoints, at the restarts and across the day.
            try Self.checkRanges(store, type: type, reference: reference[type]!, first: first, ends: [1, 2, 4, 6, 7, 11, 12], "")
        }
        // Reads start from checkpoints: with the sample rows of the first day (windows 1–5)
        // gone, ranges whose ends need only checkpoints 4 and 7 and the rows after them are
        // still exact. A read from the rows alone would miss the first day's levels.
        try ClickHouseClient(endpoint).execute("ALTER TABLE \(endpoint.database).samples DROP PARTITION 19700101")
        for type in ["heap", "allocs"] {
            try Self.checkRanges(store, type: type, reference: reference[type]!, first: first, ends: [4, 7, 8, 10, 12], "with the first day's rows dropped")
        }
    }

    @Test func retentionCarriesCheckpointsOverToTheNewBase() throws {
        // Retention drops the first day (windows 1–5) and writes a base at ordinal 5; the
        // newest checkpoint (10) is rewritten against that base, later checkpoints build on
        // it, and every range from the base on stays exact.
        let fixture = try StoreFixture(.clickhouse)
        defer { fixture.remove() }
        let endpoint = try #require(fixture.clickHouse)
        let store = try ClickHouseStore(endpoint, policy: CheckpointPolicy(windows: 3, intervalNanos: .max), checkpointPass: .zero)
        let first: Int64 = 86_400 - 5
        let heap = try StoreFixture.records(Array(Samples.heap.prefix(15)), type: "heap", start: first)
        for i in 0..<12 { _ = try store.append([heap[i]]) }
        _ = try store.prune(before: 86_400 * 1_000_000_000)
        #expect(try Self.checkpoints(endpoint) == "7/0,10/0,10/5", "the first day's checkpoints go with it; 10 is carried over")
        let reference = Self.reference(heap)
        try Self.checkRanges(store, type: "heap", reference: reference, first: first, ends: [5, 6, 10, 11, 12], "after retention")
        for i in 12..<15 { _ = try store.append([heap[i]]) }
        #expect(try Self.checkpoints(endpoint) == "7/0,10/0,10/5,13/5")
        try Self.checkRanges(store, type: "heap", reference: reference, first: first, ends: [5, 10, 12, 13, 15], "after retention and more windows")
    }

    @Test func aKilledClickHouseLosesNothingDurableAndCountsNothingTwice() throws {
        let server = try PrivateClickHouse(port: 18223)
        defer { server.stop() }
        let endpoint = ClickHouseEndpoint(host: "127.0.0.1", port: 18223, database: "killed")
        let store = try ClickHouseStore(endpoint, timeoutSeconds: 5)
        // Every record names all its entries: the collector sends entries again until a
        // commit holds them.
        let recs = try StoreFixture.records(Array(Samples.heap.prefix(6)), type: "heap", everyEntry: true)
        _ = try store.append(Array(recs[0..<2]))
        server.kill()
        // Not durable while ClickHouse is away, and said to be worth retrying.
        do {
            _ = try store.append([recs[2]])
            Issue.record("append returned with ClickHouse killed")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
        do {
            _ = try store.append([recs[3]])
            Issue.record("append returned with ClickHouse killed")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
        try server.start()
        // The windows that failed go first; the next ones build on them.
        _ = try store.append(Array(recs[4..<6]))
        let (t, n) = try Self.totals(store, type: "heap")
        #expect(t == Self.totals(recs[5].state))
        #expect(n == 4, "windows 0, 1, 4, 5: 2 and 3 came while ClickHouse was away and were not taken; 4 carries their counts")
        // What a restarted collector reads back.
        let again = try ClickHouseStore(endpoint)
        #expect(try Self.totals(again, type: "heap").0 == Self.totals(recs[5].state))
    }
}
