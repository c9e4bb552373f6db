import Foundation
import Profile
import TestSupport
import WireCodec
import XCTest

@testable import Store

/// The SQLite store on real Go profiles: counters over ranges, gauges as mean and last,
/// restarts, service restarts (counter resets), retention, and bad files.
final class SQLiteStoreTests: XCTestCase {
    let agent = "AGENTKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var path: String { dir.appendingPathComponent("store.db").path }

    /// Feeds real snapshots through a stream encoder and returns one record per profile,
    /// timed one second apart from `start` seconds.
    func records(_ names: [String], type: String, mode: IngestMode = .snapshot, start: Int64 = 1, labels: [String: String] = [:],
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
            out.append(WindowRecord(agent: agent, info: encoder!.info, timeNanos: (start + Int64(i)) * 1_000_000_000, durationNanos: 1_000_000_000,
                                    seq: UInt32(i + 1), state: encoder!.state, entries: entries))
        }
        return out
    }

    func totals(_ p: Profile) -> [Int64] {
        (0..<p.sampleTypes.count).map { c in p.samples.reduce(0) { $0 + $1.values[c] } }
    }

    func one(_ store: SQLiteStore, type: String, _ range: TimeRange = .all, _ agg: GaugeAggregation = .mean) throws -> RangeProfile {
        let r = try store.profiles(where: { $0.info.profileType == type }, range: range, aggregation: agg)
        XCTAssertEqual(r.count, 1)
        return try XCTUnwrap(r.first)
    }

    /// Streams that start together checkpoint at different times: each stream's interval is
    /// fixed, between half the policy's and all of it, and spread over that range.
    func testCheckpointIntervalsAreSpreadOverStreams() {
        let policy = CheckpointPolicy()
        let intervals = (1...200).map { policy.interval(of: Int64($0)) }
        XCTAssert(intervals.allSatisfy { $0 > 30_000_000_000 && $0 <= 60_000_000_000 }, "\(intervals.min()!)…\(intervals.max()!)")
        XCTAssertEqual(intervals, (1...200).map { policy.interval(of: Int64($0)) })
        // Spread: every 3 s bucket of the 30 s range holds some stream.
        XCTAssertEqual(Set(intervals.map { ($0 - 30_000_000_000) / 3_000_000_000 }).count, 10)
        XCTAssert(CheckpointPolicy(windows: 2, intervalNanos: .max).interval(of: 7) > Int64.max / 2)
    }

    func testCountersOverTheWholeRangeEqualTheLastSnapshot() throws {
        let store = try SQLiteStore(path: path)
        let recs = try records(Samples.allocs, type: "allocs")
        _ = try store.append(recs)
        // allocs carries inuse gauges too: `.last` shows their final level.
        let got = try one(store, type: "allocs", .all, .last)
        let last = try Samples.profile(Samples.allocs.last!)
        XCTAssertEqual(totals(got.profile), totals(last))
        XCTAssertEqual(got.windows, Int64(recs.count))
        // Function names survive the round trip through the stored dictionary.
        let names = Set(got.profile.functions.map(\.name))
        XCTAssertTrue(Set(last.functions.map(\.name)).isSubset(of: names))
        XCTAssertFalse(names.isEmpty)
    }

    func testARangeIsTheDifferenceOfItsEnds() throws {
        // Checkpoints every 2 windows, so ranges end between checkpoints and replay windows.
        let store = try SQLiteStore(path: path, policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let recs = try records(Samples.mutex, type: "mutex")
        _ = try store.append(recs)
        for (a, b) in [(1, 4), (2, 3), (0, 5), (3, 5)] {
            let range = TimeRange(from: Int64(a) * 1_000_000_000, to: Int64(b) * 1_000_000_000)
            let got = try one(store, type: "mutex", range)
            let expected = b == 0 ? StreamState(columns: 2) : recs[b - 1].state.increment(since: a == 0 ? StreamState(columns: recs[0].state.columns) : recs[a - 1].state)
            XCTAssertEqual(totals(got.profile), (0..<expected.columns).map { expected.total(column: $0) }, "range (\(a), \(b)]")
            XCTAssertEqual(got.windows, Int64(b - a))
        }
    }

    func testGaugesAreTheMeanOrTheLastLevel() throws {
        let store = try SQLiteStore(path: path, policy: CheckpointPolicy(windows: 3, intervalNanos: .max))
        let recs = try records(Array(Samples.heap.prefix(7)), type: "heap")
        _ = try store.append(recs)
        let info = recs[0].info
        let gauges = info.columnKinds.enumerated().filter { $0.element == .gauge }.map(\.offset)
        let counters = info.columnKinds.enumerated().filter { $0.element == .counter }.map(\.offset)
        XCTAssertFalse(gauges.isEmpty)
        XCTAssertFalse(counters.isEmpty)
        let range = TimeRange(from: 2_000_000_000, to: 6_000_000_000)  // windows 3…6
        let mean = try one(store, type: "heap", range, .mean)
        let last = try one(store, type: "heap", range, .last)
        for g in gauges {
            // Per-stack rounding makes the mean of totals differ by at most one per stack.
            let levels = (2...5).map { recs[$0].state.total(column: g) }
            let expected = Double(levels.reduce(0, +)) / 4
            let stacks = Double(mean.profile.samples.count)
            XCTAssertEqual(Double(totals(mean.profile)[g]), expected, accuracy: stacks, "mean of column \(g)")
            XCTAssertEqual(totals(last.profile)[g], recs[5].state.total(column: g), "last of column \(g)")
        }
        for c in counters {
            let expected = recs[5].state.total(column: c) - recs[1].state.total(column: c)
            XCTAssertEqual(totals(mean.profile)[c], expected)
            XCTAssertEqual(totals(last.profile)[c], expected)
        }
    }

    func testARestartedStoreContinuesExactly() throws {
        let recs = try records(Samples.block, type: "block")
        do {
            let store = try SQLiteStore(path: path, policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
            _ = try store.append(Array(recs.prefix(3)))
        }
        // Reopened: the head is rebuilt from the newest checkpoint and the windows after it.
        let store = try SQLiteStore(path: path, policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let outcomes = try store.append(Array(recs.dropFirst(3)))
        XCTAssertEqual(outcomes.map(\.reset), [false, false])
        let got = try one(store, type: "block")
        XCTAssertEqual(totals(got.profile), (0..<recs[4].state.columns).map { recs[4].state.total(column: $0) })
        XCTAssertEqual(got.windows, 5)
    }

    func testAServiceRestartStartsANewLineageInsteadOfNegativeIncrements() throws {
        let store = try SQLiteStore(path: path)
        var recs = try records(Array(Samples.allocs.suffix(2)), type: "allocs")
        // The service restarted: its counters start again from the first snapshot.
        let again = try records([Samples.allocs[0]], type: "allocs", start: 10)
        recs.append(again[0])
        let outcomes = try store.append(recs)
        XCTAssertEqual(outcomes.map(\.reset), [false, false, true])
        let counters = recs[0].info.columnKinds.enumerated().filter { $0.element == .counter }.map(\.offset)
        let got = try one(store, type: "allocs")
        let expected = counters.map { recs[1].state.total(column: $0) + recs[2].state.total(column: $0) }
        XCTAssertEqual(counters.map { totals(got.profile)[$0] }, expected)
        // Only the part after the restart, for a range that starts after it.
        let after = try one(store, type: "allocs", TimeRange(from: 5_000_000_000, to: .max), .last)
        XCTAssertEqual(totals(after.profile), (0..<recs[2].state.columns).map { recs[2].state.total(column: $0) })
        // And a reopened store keeps the lineage: the next snapshot adds exactly.
        let store2 = try SQLiteStore(path: path)
        let next = try records(Array(Samples.allocs.prefix(2)), type: "allocs", start: 20)
        XCTAssertEqual(try store2.append([next[1]]).map(\.reset), [false])
        let end = try one(store2, type: "allocs")
        XCTAssertEqual(counters.map { totals(end.profile)[$0] }, counters.map { recs[1].state.total(column: $0) + next[1].state.total(column: $0) })
    }

    func testStreamsAreKeptApartByLabelsAndAgent() throws {
        let store = try SQLiteStore(path: path)
        _ = try store.append(try records(Array(Samples.goroutine.prefix(2)), type: "goroutine", labels: ["zone": "a"]))
        _ = try store.append(try records(Array(Samples.goroutine.prefix(3)), type: "goroutine", labels: ["zone": "b"]))
        var other = try records([Samples.goroutine[0]], type: "goroutine")
        other[0].agent = "OTHERKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        _ = try store.append(other)
        let streams = try store.streams()
        XCTAssertEqual(streams.count, 3)
        XCTAssertEqual(streams.map(\.windows).sorted(), [1, 2, 3])
        XCTAssertEqual(Set(streams.map(\.agent)).count, 2)
    }

    func testRetentionKeepsWhatLaterRangesNeed() throws {
        let store = try SQLiteStore(path: path, policy: CheckpointPolicy(windows: 2, intervalNanos: .max))
        let recs = try records(Array(Samples.heap.prefix(10)), type: "heap")
        _ = try store.append(recs)
        let info = recs[0].info
        let before = try one(store, type: "heap", TimeRange(from: 6_000_000_000, to: 10_000_000_000))
        let all = try one(store, type: "heap", .all, .last)
        let report = try store.prune(before: 6_000_000_000)
        XCTAssertGreaterThan(report.windows, 0)
        XCTAssertEqual(report.streams, 0)
        let after = try one(store, type: "heap", TimeRange(from: 6_000_000_000, to: 10_000_000_000))
        XCTAssertEqual(totals(after.profile), totals(before.profile))
        // Gauges still end at the same level; counters over "all" now start at the oldest
        // checkpoint kept, so they hold less.
        let kept = try one(store, type: "heap", .all, .last)
        for (c, kind) in info.columnKinds.enumerated() {
            if kind == .gauge { XCTAssertEqual(totals(kept.profile)[c], totals(all.profile)[c]) } else {
                XCTAssertLessThan(totals(kept.profile)[c], totals(all.profile)[c])
            }
        }
        XCTAssertEqual(info.columns.count, after.profile.sampleTypes.count)
        // A stream with nothing after the cutoff goes entirely.
        let gone = try store.prune(before: 100_000_000_000)
        XCTAssertEqual(gone.streams, 1)
        XCTAssertTrue(try store.streams().isEmpty)
    }

    func testUsageIsReportedPerAgentAndDay() throws {
        let store = try SQLiteStore(path: path)
        _ = try store.append(try records(Samples.mutex, type: "mutex"))
        let usage = try store.usage()
        XCTAssertEqual(usage.count, 1)
        XCTAssertEqual(usage[0].agent, agent)
        XCTAssertEqual(usage[0].day, "1970-01-01")
        XCTAssertEqual(usage[0].windows, 5)
        XCTAssertGreaterThan(usage[0].bytes, 0)
        XCTAssertGreaterThan(try store.fileBytes(), 0)
    }

    func testAFullDiskFailsTheBatchAndLosesNothingCommitted() throws {
        let store = try SQLiteStore(path: path)
        let recs = try records(Samples.allocs, type: "allocs")
        _ = try store.append(Array(recs.prefix(2)))
        // Cap the file at its current size: the next batch cannot fit.
        try store.writer.withLock { w throws(StoreError) in
            let q = try w.db.statement("PRAGMA page_count")
            _ = try q.step()
            try w.db.execute("PRAGMA max_page_count = \(q.int(0))")
        }
        XCTAssertThrowsError(try store.append(Array(recs.dropFirst(2)))) { error in
            let e = error as? StoreError
            XCTAssertEqual(e?.isDiskFull, true, "\(error)")
            XCTAssertTrue("\(error)".contains("disk is full"), "\(error)")
        }
        // What was committed is intact; after space returns, the next window is exact.
        XCTAssertEqual(try one(store, type: "allocs").windows, 2)
        try store.writer.withLock { w throws(StoreError) in try w.db.execute("PRAGMA max_page_count = 1073741823") }
        // The collector marks entries as stored only after a commit, so the retry carries
        // the entries of the failed batch again.
        _ = try store.append([try records(Samples.allocs, type: "allocs", everyEntry: true)[4]])
        XCTAssertEqual(totals(try one(store, type: "allocs", .all, .last).profile), totals(try Samples.profile(Samples.allocs[4])))
    }

    func testAFileThatIsNotAStoreIsAClearError() throws {
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SQLiteStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a FlameWire database"), "\(error)")
        }
        XCTAssertThrowsError(try SQLiteStore(path: dir.appendingPathComponent("no/such/dir/x.db").path)) { error in
            XCTAssertTrue("\(error)".contains("cannot open the store"), "\(error)")
        }
    }

    func testStateBlobsRoundTripAndRejectGarbage() throws {
        let recs = try records([Samples.heap[0]], type: "heap")
        let s = recs[0].state
        XCTAssertEqual(try StateBlob.decode(StateBlob.encode(s), what: "x"), s)
        XCTAssertThrowsError(try StateBlob.decode([1, 2, 3], what: "x"))
        var blob = StateBlob.encode(s)
        blob[blob.count / 2] ^= 0xff
        // A flipped byte either fails to decode or decodes to something else; never a crash.
        _ = try? StateBlob.decode(blob, what: "x")
    }
}
