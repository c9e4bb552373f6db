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
        for table in ["samples", "windows", "entries", "streams"] {
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
