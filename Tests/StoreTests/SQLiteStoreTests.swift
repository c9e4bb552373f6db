import Foundation
import Profile
import TestSupport
import WireCodec
import XCTest

@testable import Store

/// What only the SQLite store has: checkpoint spacing, a full disk, files that are not a
/// store, state blobs. What every store must do is `StoreConformanceTests`.
final class SQLiteStoreTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var path: String { dir.appendingPathComponent("store.db").path }

    func records(_ names: [String], type: String, everyEntry: Bool = false) throws -> [WindowRecord] {
        try StoreFixture.records(names, type: type, everyEntry: everyEntry)
    }

    func totals(_ p: Profile) -> [Int64] { StoreFixture.totals(p) }

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

    func testAFullDiskFailsTheBatchAndLosesNothingCommitted() throws {
        let store = try SQLiteStore(path: path)
        let recs = try records(Samples.allocs, type: "allocs")
        _ = try store.append(Array(recs.prefix(2)))
        XCTAssertGreaterThan(try store.fileBytes(), 0)
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
