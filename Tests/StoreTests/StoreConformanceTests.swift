import ClickHouse
import Foundation
import Profile
import Testing
import TestSupport
import WireCodec

@testable import Store

/// What every `ProfileStore` backend must do, on real Go profiles, run against each backend
/// in `StoreBackend.all`: counters over ranges, gauges as mean and last, a reopened store,
/// service restarts (counter resets), stream identity, retention and disk use. A backend
/// passes this suite before the collector may use it (issue 10: SQLite and ClickHouse).
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreBackend.all)
    func countersOverTheWholeRangeEqualTheLastSnapshot(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let (store, recs) = try fixture.storing(Samples.allocs, type: "allocs")
        // allocs carries inuse gauges too: `.last` shows their final level.
        let got = try StoreFixture.one(store, type: "allocs", .all, .last)
        let last = try Samples.profile(Samples.allocs.last!)
        #expect(StoreFixture.totals(got.profile) == StoreFixture.totals(last))
        #expect(got.windows == Int64(recs.count))
        // Function names survive the round trip through the stored dictionary.
        let names = Set(got.profile.functions.map(\.name))
        #expect(Set(last.functions.map(\.name)).isSubset(of: names))
        #expect(!names.isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func aRangeIsTheDifferenceOfItsEnds(_ backend: StoreBackend) throws {
        // Checkpoints every 2 windows (where a backend keeps them), so ranges end between
        // checkpoints and replay windows.
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let (store, recs) = try fixture.storing(Samples.mutex, type: "mutex", checkpointEvery: 2)
        for (a, b) in [(1, 4), (2, 3), (0, 5), (3, 5)] {
            let range = TimeRange(from: Int64(a) * 1_000_000_000, to: Int64(b) * 1_000_000_000)
            let got = try StoreFixture.one(store, type: "mutex", range)
            let expected = recs[b - 1].state.increment(since: a == 0 ? StreamState(columns: recs[0].state.columns) : recs[a - 1].state)
            #expect(StoreFixture.totals(got.profile) == (0..<expected.columns).map { expected.total(column: $0) }, "range (\(a), \(b)]")
            #expect(got.windows == Int64(b - a))
        }
    }

    @Test(arguments: StoreBackend.all)
    func gaugesAreTheMeanOrTheLastLevel(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let (store, recs) = try fixture.storing(Array(Samples.heap.prefix(7)), type: "heap", checkpointEvery: 3)
        let info = recs[0].info
        let gauges = info.columnKinds.enumerated().filter { $0.element == .gauge }.map(\.offset)
        let counters = info.columnKinds.enumerated().filter { $0.element == .counter }.map(\.offset)
        #expect(!gauges.isEmpty && !counters.isEmpty)
        let range = TimeRange(from: 2_000_000_000, to: 6_000_000_000)  // windows 3…6
        let mean = try StoreFixture.one(store, type: "heap", range, .mean)
        let last = try StoreFixture.one(store, type: "heap", range, .last)
        for g in gauges {
            // Per-stack rounding makes the mean of totals differ by at most one per stack.
            let levels = (2...5).map { recs[$0].state.total(column: g) }
            let expected = Double(levels.reduce(0, +)) / 4
            let stacks = Double(mean.profile.samples.count)
            #expect(abs(Double(StoreFixture.totals(mean.profile)[g]) - expected) <= stacks, "mean of column \(g)")
            #expect(StoreFixture.totals(last.profile)[g] == recs[5].state.total(column: g), "last of column \(g)")
        }
        for c in counters {
            let expected = recs[5].state.total(column: c) - recs[1].state.total(column: c)
            #expect(StoreFixture.totals(mean.profile)[c] == expected)
            #expect(StoreFixture.totals(last.profile)[c] == expected)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aReopenedStoreContinuesExactly(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let recs = try StoreFixture.records(Samples.block, type: "block")
        do {
            let store = try fixture.open(policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
            _ = try store.append(Array(recs.prefix(3)))
        }
        // Reopened: each stream's head comes back from what was stored.
        let store = try fixture.open(policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let outcomes = try store.append(Array(recs.dropFirst(3)))
        #expect(outcomes.map(\.reset) == [false, false])
        let got = try StoreFixture.one(store, type: "block")
        #expect(StoreFixture.totals(got.profile) == (0..<recs[4].state.columns).map { recs[4].state.total(column: $0) })
        #expect(got.windows == 5)
    }

    @Test(arguments: StoreBackend.all)
    func aServiceRestartStartsANewLineageInsteadOfNegativeIncrements(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.open()
        var recs = try StoreFixture.records(Array(Samples.allocs.suffix(2)), type: "allocs")
        // The service restarted: its counters start again from the first snapshot.
        let again = try StoreFixture.records([Samples.allocs[0]], type: "allocs", start: 10)
        recs.append(again[0])
        let outcomes = try store.append(recs)
        #expect(outcomes.map(\.reset) == [false, false, true])
        let counters = recs[0].info.columnKinds.enumerated().filter { $0.element == .counter }.map(\.offset)
        let got = try StoreFixture.one(store, type: "allocs")
        let expected = counters.map { recs[1].state.total(column: $0) + recs[2].state.total(column: $0) }
        #expect(counters.map { StoreFixture.totals(got.profile)[$0] } == expected)
        // Only the part after the restart, for a range that starts after it.
        let after = try StoreFixture.one(store, type: "allocs", TimeRange(from: 5_000_000_000, to: .max), .last)
        #expect(StoreFixture.totals(after.profile) == (0..<recs[2].state.columns).map { recs[2].state.total(column: $0) })
        // And a reopened store keeps the lineage: the next snapshot adds exactly.
        let store2 = try fixture.open()
        let next = try StoreFixture.records(Array(Samples.allocs.prefix(2)), type: "allocs", start: 20)
        #expect(try store2.append([next[1]]).map(\.reset) == [false])
        let end = try StoreFixture.one(store2, type: "allocs")
        #expect(counters.map { StoreFixture.totals(end.profile)[$0] } == counters.map { recs[1].state.total(column: $0) + next[1].state.total(column: $0) })
    }

    @Test(arguments: StoreBackend.all)
    func streamsAreKeptApartByLabelsAndAgent(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.open()
        _ = try store.append(try StoreFixture.records(Array(Samples.goroutine.prefix(2)), type: "goroutine", labels: ["zone": "a"]))
        _ = try store.append(try StoreFixture.records(Array(Samples.goroutine.prefix(3)), type: "goroutine", labels: ["zone": "b"]))
        var other = try StoreFixture.records([Samples.goroutine[0]], type: "goroutine")
        other[0].agent = "OTHERKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        _ = try store.append(other)
        let streams = try store.streams()
        #expect(streams.count == 3)
        #expect(streams.map(\.windows).sorted() == [1, 2, 3])
        #expect(Set(streams.map(\.agent)).count == 2)
        #expect(Set(streams.map { $0.info.labels["zone"] ?? "" }) == ["a", "b", ""])
    }

    @Test(arguments: StoreBackend.all)
    func retentionKeepsWhatLaterRangesNeed(_ backend: StoreBackend) throws {
        // Ten heap windows twelve hours apart (five UTC days), so a backend that drops whole
        // days (ClickHouse) and one that prunes to a checkpoint (SQLite) both remove some.
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let day: Int64 = 86_400_000_000_000
        let store = try fixture.open(policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let recs = try StoreFixture.records(Array(Samples.heap.prefix(10)), type: "heap", step: 43_200)
        _ = try store.append(recs)
        let cutoff = 3 * day  // windows 0…5 are before it, 6…9 after
        let later = TimeRange(from: cutoff, to: 10 * day)
        let before = try StoreFixture.one(store, type: "heap", later)
        let beforeLast = try StoreFixture.one(store, type: "heap", later, .last)
        let all = try StoreFixture.one(store, type: "heap", .all, .last)
        let report = try store.prune(before: cutoff)
        #expect(report.windows > 0)
        #expect(report.streams == 0)
        let after = try StoreFixture.one(store, type: "heap", later)
        #expect(StoreFixture.totals(after.profile) == StoreFixture.totals(before.profile))
        #expect(after.windows == 4)
        #expect(StoreFixture.totals(try StoreFixture.one(store, type: "heap", later, .last).profile) == StoreFixture.totals(beforeLast.profile))
        // Gauges still end at the same level; counters over "all" now start at the oldest
        // state kept, so they hold less.
        let kept = try StoreFixture.one(store, type: "heap", .all, .last)
        let info = recs[0].info
        for (c, kind) in info.columnKinds.enumerated() {
            if kind == .gauge {
                #expect(StoreFixture.totals(kept.profile)[c] == StoreFixture.totals(all.profile)[c])
            } else {
                #expect(StoreFixture.totals(kept.profile)[c] < StoreFixture.totals(all.profile)[c])
            }
        }
        #expect(info.columns.count == after.profile.sampleTypes.count)
        // A store reopened after retention continues the stream exactly.
        let reopened = try fixture.open(policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let more = try StoreFixture.records(Array(Samples.heap.prefix(12)), type: "heap", step: 43_200)
        #expect(try reopened.append(Array(more.suffix(2))).map(\.reset) == [false, false])
        let end = try StoreFixture.one(reopened, type: "heap", TimeRange(from: cutoff, to: 10 * day), .last)
        for (c, kind) in info.columnKinds.enumerated() {
            let expected = kind == .gauge ? more[11].state.total(column: c) : more[11].state.total(column: c) - more[5].state.total(column: c)
            #expect(StoreFixture.totals(end.profile)[c] == expected, "column \(c) after reopening")
        }
        // A stream with nothing after the cutoff goes entirely.
        let gone = try reopened.prune(before: 100 * day)
        #expect(gone.streams == 1)
        #expect(try reopened.streams().isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func usageIsReportedPerAgentAndDay(_ backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.remove() }
        let store = try fixture.open()
        _ = try store.append(try StoreFixture.records(Samples.mutex, type: "mutex"))
        let usage = try store.usage()
        #expect(usage.count == 1)
        #expect(usage.first?.agent == StoreFixture.agent)
        #expect(usage.first?.day == "1970-01-01")
        #expect(usage.first?.windows == 5)
        #expect((usage.first?.bytes ?? 0) > 0)
    }
}

extension StoreConformanceTests {
    /// CI runs the suite against every backend: a missing server there is a failure, not a skip.
    @Test func everyBackendRunsInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(StoreBackend.all == StoreBackend.allCases, "CI must start ClickHouse and set FLAMEWIRE_CLICKHOUSE_URL (Tools/test.sh does)")
        }
    }
}

/// A store backend the conformance suite runs against.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case clickhouse

    /// Every backend this machine can run: ClickHouse when `FLAMEWIRE_CLICKHOUSE_URL` names a
    /// server (the test command starts one on loopback and sets it; CI requires it).
    static var all: [StoreBackend] { clickHouseURL == nil ? [.sqlite] : allCases }

    static var clickHouseURL: String? {
        ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var testDescription: String { rawValue }
}

/// One backend's data for one test: a fresh place, opened (and reopened) as often as the
/// test asks; `remove()` (deferred by the test, which also keeps the fixture alive) deletes it.
final class StoreFixture {
    static let agent = "AGENTKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    let backend: StoreBackend
    let dir: URL
    /// A database of its own on the ClickHouse server, dropped by `remove()`.
    let clickHouse: ClickHouseEndpoint?

    init(_ backend: StoreBackend) throws {
        self.backend = backend
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if backend == .clickhouse {
            var e = try ClickHouseEndpoint(parsing: try #require(StoreBackend.clickHouseURL))
            e.database = "fwtest_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            clickHouse = e
        } else {
            clickHouse = nil
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: dir)
        if let e = clickHouse { try? ClickHouseClient(e).execute("DROP DATABASE IF EXISTS \(e.database)", database: false) }
    }

    /// The store over this fixture's data (the same data on every call).
    func open(policy: CheckpointPolicy = CheckpointPolicy()) throws -> any ProfileStore {
        switch backend {
        case .sqlite: return try SQLiteStore(path: dir.appendingPathComponent("store.db").path, policy: policy)
        case .clickhouse: return try ClickHouseStore(try #require(clickHouse), policy: policy, checkpointPass: .zero)
        }
    }

    /// A store over this fixture's data holding `names` as one stream of `type` (with a
    /// checkpoint every `every` windows where the backend keeps them), and the records.
    func storing(_ names: [String], type: String, checkpointEvery every: Int? = nil) throws -> (any ProfileStore, [WindowRecord]) {
        let store = try open(policy: every.map { CheckpointPolicy(windows: $0, intervalNanos: .max) } ?? CheckpointPolicy())
        let recs = try Self.records(names, type: type)
        _ = try store.append(recs)
        return (store, recs)
    }

    /// Feeds real snapshots through a stream encoder and returns one record per profile,
    /// timed `step` seconds apart from `start` seconds.
    static func records(_ names: [String], type: String, mode: IngestMode = .snapshot, start: Int64 = 1, step: Int64 = 1, labels: [String: String] = [:],
                        everyEntry: Bool = false) throws -> [WindowRecord] {
        var encoder: StreamEncoder?
        var known = Set<EntryKey>()
        var out: [WindowRecord] = []
        for (i, name) in names.enumerated() {
            let p = try Samples.profile(name)
            if encoder == nil { encoder = StreamEncoder(stream: 1, info: StreamInfo(describing: p, service: "svc", profileType: type, labels: labels)) }
            try encoder!.ingest(p, mode: mode)
            var seen = Set<EntryKey>()
            let entries = encoder!.dictionary.entries(reaching: encoder!.state, known: known, seen: &seen)
            if !everyEntry { known.formUnion(seen) }
            out.append(WindowRecord(agent: agent, info: encoder!.info, timeNanos: (start + Int64(i) * step) * 1_000_000_000, durationNanos: 1_000_000_000,
                                    seq: UInt32(i + 1), state: encoder!.state, entries: entries))
        }
        return out
    }

    static func totals(_ p: Profile) -> [Int64] {
        (0..<p.sampleTypes.count).map { c in p.samples.reduce(0) { $0 + $1.values[c] } }
    }

    /// The one stream of `type` over `range`.
    static func one(_ store: any ProfileStore, type: String, _ range: TimeRange = .all, _ agg: GaugeAggregation = .mean) throws -> RangeProfile {
        let r = try store.profiles(where: { $0.info.profileType == type }, range: range, aggregation: agg)
        try #require(r.count == 1, "one \(type) stream, found \(r.count)")
        return r[0]
    }
}
