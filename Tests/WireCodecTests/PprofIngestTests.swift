import Testing
import Pprof
import Profile
@testable import WireCodec

/// The agent's path for Go profiles: pprof bytes straight into the stream's state, with the
/// tables read once while they stay the same (`StreamEncoder.ingest(pprof:mode:)`).
@Suite struct PprofIngestTests {
    /// Every sequence of real Go profiles through both paths: after each profile the two
    /// encoders hold the same state and encode the same window bytes.
    @Test(arguments: [("heap", Samples.heap), ("cpu", Samples.cpu), ("goroutine", Samples.goroutine),
                      ("mutex", Samples.mutex), ("block", Samples.block), ("allocs", Samples.allocs)])
    func directIngestMatchesTheModel(type: String, files: [String]) throws {
        let first = try Samples.profile(files[0])
        var model = StreamEncoder(stream: 1, info: info(for: first, type: type))
        var direct = StreamEncoder(stream: 1, info: info(for: first, type: type))
        // The last file twice: the second time its tables are the previous snapshot's.
        for f in files + [files[files.count - 1]] {
            let bytes = try Samples.bytes(f)
            let snapshot = try PprofSnapshot(bytes)
            #expect(try snapshot.profile() == PprofDecoder.decode(bytes), "\(f)")
            try model.ingest(PprofDecoder.decode(bytes), mode: mode(for: type))
            try direct.ingest(pprof: snapshot, mode: mode(for: type))
            #expect(direct.state == model.state, "\(f)")
            let a = model.nextWindow(timeNanos: snapshot.timeNanos, durationNanos: snapshot.durationNanos)
            let b = direct.nextWindow(timeNanos: snapshot.timeNanos, durationNanos: snapshot.durationNanos)
            #expect(a.payload == b.payload, "\(f)")
            #expect(a.header == b.header, "\(f)")
            model.acknowledge(seq: a.header.seq)
            direct.acknowledge(seq: b.header.seq)
        }
        // Tables decoded at most once per file: the repeat reused them.
        #expect(direct.pprofTableDecodes <= files.count)
        #expect(direct.pprofTableDecodes >= 1)
    }

    @Test func sameBytesReuseTheTablesAndOtherTablesAreDecoded() throws {
        let a = try PprofSnapshot(Samples.bytes("heap-001.pb.gz"))
        let b = try PprofSnapshot(Samples.bytes("heap-015.pb.gz"))
        #expect(a.sameTables(as: a))
        #expect(!a.sameTables(as: b))
        var tx = StreamEncoder(stream: 1, info: info(for: try a.profile(), type: "heap"))
        try tx.ingest(pprof: a, mode: .snapshot)
        try tx.ingest(pprof: a, mode: .snapshot)
        #expect(tx.pprofTableDecodes == 1)
        try tx.ingest(pprof: b, mode: .snapshot)
        #expect(tx.pprofTableDecodes == 2)
        #expect(tx.state == (try stateThroughModel(b, type: "heap")))
    }

    /// A sample naming a location that does not exist, appended to a real heap profile: its
    /// tables are unchanged, so the reused tables must not skip the sample checks. The
    /// error is the model decoder's, and the state stays as it was.
    @Test func aMalformedSampleIsRefusedOnEitherPath() throws {
        let good = try PprofSnapshot(Samples.bytes("heap-001.pb.gz"))
        // Profile field 2 (sample): location_id 9999, values packed [1, 1, 1, 1].
        let sample: [UInt8] = [0x08, 0x8F, 0x4E, 0x12, 0x04, 0x01, 0x01, 0x01, 0x01]
        let badBytes = good.raw + [0x12, UInt8(sample.count)] + sample
        let bad = try PprofSnapshot(badBytes)
        #expect(bad.sameTables(as: good))
        var expected: PprofError?
        do { _ = try PprofDecoder.decode(badBytes) } catch { expected = error }
        let modelError = try #require(expected)
        guard case .missingReference(_, .location, 9999) = modelError else {
            Issue.record("unexpected model error \(modelError)"); return
        }
        var tx = StreamEncoder(stream: 1, info: info(for: try good.profile(), type: "heap"))
        // First with tables decoded for it, then with the good profile's tables reused.
        #expect(throws: StreamError.badProfile(modelError)) { try tx.ingest(pprof: bad, mode: .snapshot) }
        #expect(tx.state.isEmpty)
        try tx.ingest(pprof: good, mode: .snapshot)
        let before = tx.state
        #expect(throws: StreamError.badProfile(modelError)) { try tx.ingest(pprof: bad, mode: .snapshot) }
        #expect(tx.state == before)
        try tx.ingest(pprof: good, mode: .snapshot)
        #expect(tx.state == before)
        #expect("\(StreamError.badProfile(modelError))".contains("9999"))
    }

    /// A snapshot whose tables changed takes the strings its stream has seen from the
    /// memo by their bytes (Go renumbers them all when a new stack appears) and still
    /// builds the model's state.
    @Test func changedTablesTakeKnownStringsFromTheMemo() throws {
        let a = try PprofSnapshot(Samples.bytes("heap-001.pb.gz"))
        let b = try PprofSnapshot(Samples.bytes("heap-015.pb.gz"))
        var tx = StreamEncoder(stream: 1, info: info(for: try a.profile(), type: "heap"))
        try tx.ingest(pprof: a, mode: .snapshot)
        #expect(tx.pprofKnownStrings == 0)
        try tx.ingest(pprof: b, mode: .snapshot)
        #expect(tx.pprofTableDecodes == 2)
        let strings = try b.profile().functions.count
        #expect(tx.pprofKnownStrings > strings, "\(tx.pprofKnownStrings) strings known of a table for \(strings) functions")
        #expect(tx.state == (try stateThroughModel(b, type: "heap")))
    }

    /// A string the memo does not know is checked: an invalid one appended to a profile
    /// whose other strings are all known is refused with the model's error (its index),
    /// and a valid one is taken.
    @Test func aNewStringIsCheckedWhenTheOthersAreKnown() throws {
        let good = try PprofSnapshot(Samples.bytes("heap-001.pb.gz"))
        // Profile field 6 (string_table), appended: the table gets one more string.
        let invalid = good.raw + [0x32, 0x02, 0xC3, 0x28]
        let valid = good.raw + [0x32, 0x03, 0x6E, 0x65, 0x77]
        var expected: PprofError?
        do { _ = try PprofDecoder.decode(invalid) } catch { expected = error }
        let modelError = try #require(expected)
        guard case .invalidUTF8 = modelError else { Issue.record("unexpected model error \(modelError)"); return }
        var tx = StreamEncoder(stream: 1, info: info(for: try good.profile(), type: "heap"))
        try tx.ingest(pprof: good, mode: .snapshot)
        let before = tx.state
        #expect(throws: StreamError.badProfile(modelError)) { try tx.ingest(pprof: try PprofSnapshot(invalid), mode: .snapshot) }
        #expect(tx.state == before)
        try tx.ingest(pprof: try PprofSnapshot(valid), mode: .snapshot)
        #expect(tx.state == (try stateThroughModel(try PprofSnapshot(valid), type: "heap")))
    }

    /// Sample types other than the stream's are refused before any sample is read.
    @Test func otherSampleTypesAreRefused() throws {
        let heap = try PprofSnapshot(Samples.bytes("heap-001.pb.gz"))
        let cpu = try PprofSnapshot(Samples.bytes("cpu-01.pb.gz"))
        var tx = StreamEncoder(stream: 1, info: info(for: try heap.profile(), type: "heap"))
        #expect(throws: StreamError.self) { try tx.ingest(pprof: cpu, mode: .snapshot) }
        try tx.ingest(pprof: heap, mode: .snapshot)
        #expect(tx.state == (try stateThroughModel(heap, type: "heap")))
    }

    func stateThroughModel(_ s: PprofSnapshot, type: String) throws -> StreamState {
        let p = try s.profile()
        var tx = StreamEncoder(stream: 1, info: info(for: p, type: type))
        try tx.ingest(p, mode: .snapshot)
        return tx.state
    }
}
