import Foundation
import Testing
import TestSupport
import Profile
import Folded
@testable import WireCodec


let foldedInfo = StreamInfo(service: "t", profileType: "cpu", columns: [FoldedReader.valueType], columnKinds: [.counter])

@Suite struct CodecRulesTests {
    @Test func collisionsGetSaltsAndStillRoundTrip() throws {
        // A 6-bit hash makes collisions certain among 200 entries.
        let hasher = ContentHasher(bits: 6)
        var tx = StreamEncoder(stream: 1, info: foldedInfo, hasher: hasher)
        var rx = StreamDecoder(hasher: hasher)
        var text = ""
        for i in 0..<40 { text += "main;f\(i % 7);g\(i) \(i + 1)\n" }
        try tx.ingest(try foldedProfile(text), mode: .snapshot)
        #expect(tx.dictionary.hasSalts)
        let (h, payload) = tx.nextWindow()
        #expect(try rx.decode(payload).state == tx.state)
        tx.acknowledge(seq: h.seq)
        text += "main;f1;new 5\n"
        try tx.ingest(try foldedProfile(text), mode: .snapshot)
        #expect(try rx.decode(tx.nextWindow().payload).state == tx.state)
        let rebuilt = rx.dictionary.profile(of: tx.state, info: foldedInfo)
        #expect(FoldedWriter.text(rebuilt, sampleIndex: 0) == FoldedWriter.text(try foldedProfile(text), sampleIndex: 0))
    }

    /// A source that hands the encoder whole states (`setState`) with the same stacks as
    /// before skips the per-stack check; the states must still travel exactly, and a state
    /// with a stack the dictionary lacks must still be refused.
    @Test func setStateWithTheSameStacksTakesNewValues() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        var rx = StreamDecoder()
        try tx.ingest(try foldedProfile("a;b 3\na;c 4\nd 1\n"), mode: .snapshot)
        let first = tx.nextWindow()
        _ = try rx.decode(first.payload)
        tx.acknowledge(seq: first.header.seq)
        var expected = tx.state
        for k in 2...4 {
            expected = expected.mapValues { _, v in v * Int64(k) }
            try tx.setState(expected)
            #expect(tx.state == expected)
            let w = tx.nextWindow()
            #expect(try rx.decode(w.payload).state == expected)
            tx.acknowledge(seq: w.header.seq)
        }
        let unknown: EntryID = 0xDEAD_BEEF
        let foreign = try #require(StreamState(columns: 1, ids: (tx.state.ids.filter { $0 != unknown } + [unknown]).sorted(), cells: Array(repeating: 1, count: tx.state.count + 1)))
        #expect(throws: StreamError.unknownStack(unknown)) { try tx.setState(foreign) }
        #expect(tx.state == expected)
    }

    @Test func gaugesSendRemovals() throws {
        let info = StreamInfo(service: "t", profileType: "goroutine", columns: [FoldedReader.valueType], columnKinds: [.gauge])
        var tx = StreamEncoder(stream: 1, info: info)
        var rx = StreamDecoder()
        try tx.ingest(try foldedProfile("a;b 3\na;c 4\nd 1\n"), mode: .snapshot)
        let first = tx.nextWindow()
        _ = try rx.decode(first.payload)
        tx.acknowledge(seq: first.header.seq)
        try tx.ingest(try foldedProfile("a;b 3\nd 2\n"), mode: .snapshot)
        let w = try rx.decode(tx.nextWindow().payload)
        #expect(w.state == tx.state)
        #expect(w.state.count == 2)
    }

    @Test func unknownBaseIsRejectedAndKeyframeRecovers() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        var rx = StreamDecoder()
        try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
        let w1 = tx.nextWindow()
        tx.acknowledge(seq: w1.header.seq)  // acknowledged, but the receiver never got it
        try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
        let w2 = tx.nextWindow()
        #expect(throws: WireError.unknownBase(seq: 1)) { try rx.decode(w2.payload) }
        #expect(tx.baseRejected(base: 1) == .keyframeNext)
        let w3 = tx.nextWindow()
        #expect(w3.header.baseSeq == 0)
        #expect(try rx.decode(w3.payload).state == tx.state)
    }

    /// With 320 ms RTT and reordering, the rejection of an old base can arrive after a
    /// newer base was acknowledged: it must not throw the newer base away.
    @Test func lateRejectionOfAnOlderBaseKeepsTheNewerOne() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        var rx = StreamDecoder()
        try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
        let w1 = tx.nextWindow()
        _ = try rx.decode(w1.payload)
        #expect(tx.acknowledge(seq: 1) == .newBase(1))
        try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
        let w2 = tx.nextWindow()
        _ = try rx.decode(w2.payload)
        #expect(tx.acknowledge(seq: 2) == .newBase(2))
        #expect(tx.acknowledge(seq: 2) == .notNewer(base: 2))
        #expect(tx.acknowledge(seq: 1) == .notNewer(base: 2))
        #expect(tx.acknowledge(seq: 9) == .unknown)
        // A window based on 1 was rejected somewhere, long ago: base 2 stays.
        #expect(tx.baseRejected(base: 1) == .stale(current: 2))
        try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
        let w3 = tx.nextWindow()
        #expect(w3.header.baseSeq == 2)
        #expect(try rx.decode(w3.payload).state == tx.state)
    }

    /// A stream about to wrap its u32 sequence numbers starts a new epoch at seq 1, which
    /// a receiver decodes as a fresh keyframe.
    @Test func sequenceWrapStartsANewEpoch() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        tx.maxSeq = 3
        var rx = StreamDecoder()
        var seen: [(UInt32, UInt32, UInt32)] = []
        for _ in 0..<5 {
            try tx.ingest(try foldedProfile("a 1\n"), mode: .delta)
            let w = tx.nextWindow()
            seen.append((w.header.epoch, w.header.seq, w.header.baseSeq))
            #expect(try rx.decode(w.payload).state == tx.state)
            tx.acknowledge(seq: w.header.seq)
        }
        #expect(seen.map(\.0) == [1, 1, 1, 2, 2])
        #expect(seen.map(\.1) == [1, 2, 3, 1, 2])
        #expect(seen.map(\.2) == [0, 1, 2, 0, 1])
    }

    @Test func newEpochBoundsTheDictionary() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo, maxDictionaryEntries: 30)
        var rx = StreamDecoder()
        for i in 0..<6 {
            try tx.ingest(try foldedProfile("main;w\(i);x\(i);y\(i);z\(i) 2\nmain;keep 1\n"), mode: .snapshot)
            let (h, payload) = tx.nextWindow()
            let w = try rx.decode(payload)
            #expect(w.state == tx.state)
            tx.acknowledge(seq: h.seq)
        }
        #expect(tx.epoch > 1)
        #expect(rx.epoch == tx.epoch)
        #expect(rx.dictionary.count < 60)
    }

    /// A service that restarted sends counters lower than before: the next window is a
    /// keyframe of a new epoch, never a delta with negative increments (SPEC.md §4.6); gauges
    /// going down are just gauges.
    @Test func countersGoingDownStartANewEpoch() throws {
        let later = try Samples.profile("allocs-005.pb.gz"), early = try Samples.profile("allocs-001.pb.gz")
        var tx = StreamEncoder(stream: 1, info: info(for: later, type: "allocs"))
        var rx = StreamDecoder()
        try tx.ingest(later, mode: .snapshot)
        let first = tx.nextWindow()
        _ = try rx.decode(first.payload)
        tx.acknowledge(seq: first.header.seq)
        #expect(early.samples.reduce(0) { $0 + $1.values[0] } < later.samples.reduce(0) { $0 + $1.values[0] })
        try tx.ingest(early, mode: .snapshot)
        let restart = tx.nextWindow()
        #expect(tx.restarts == 1)
        #expect(restart.header.baseSeq == 0 && restart.header.epoch != first.header.epoch)
        let d = try rx.decode(restart.payload)
        #expect(d.state == tx.state && d.previousSeq == nil)
        tx.acknowledge(seq: restart.header.seq)
        // Growing again: deltas in the new epoch.
        try tx.ingest(later, mode: .snapshot)
        let next = tx.nextWindow()
        #expect(next.header.baseSeq == restart.header.seq && tx.restarts == 1)

        // Goroutines are a gauge: fewer of them is no restart.
        let both = try Samples.goroutine.map { try Samples.profile($0) }.sorted { $0.samples.reduce(0) { $0 + $1.values[0] } > $1.samples.reduce(0) { $0 + $1.values[0] } }
        let many = both.first!, few = both.last!
        #expect(few.samples.reduce(0) { $0 + $1.values[0] } < many.samples.reduce(0) { $0 + $1.values[0] })
        var g = StreamEncoder(stream: 2, info: info(for: many, type: "goroutine"))
        try g.ingest(many, mode: .snapshot)
        let g1 = g.nextWindow()
        g.acknowledge(seq: g1.header.seq)
        try g.ingest(few, mode: .snapshot)
        #expect(g.nextWindow().header.baseSeq == g1.header.seq && g.restarts == 0)
    }

    @Test func duplicatesChangeNothing() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        var rx = StreamDecoder()
        try tx.ingest(try foldedProfile("a 1\nb 2\n"), mode: .delta)
        let w = tx.nextWindow()
        _ = try rx.decode(w.payload)
        let again = try rx.decode(w.payload)
        #expect(again.isDuplicate)
        #expect(rx.heldSequences == [1])
    }

    @Test func corruptPayloadsAreTypedErrors() throws {
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        try tx.ingest(try foldedProfile("a;b 1\na;c 2\n"), mode: .delta)
        let good = tx.nextWindow().payload
        var rng = SplitMix64(state: 77)
        var errors = 0
        for _ in 0..<2000 {
            var bad = good
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bad[Int.random(in: 0..<bad.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { bad.removeLast(Int.random(in: 0..<bad.count, using: &rng)) }
            var rx = StreamDecoder()
            do { _ = try rx.decode(bad) } catch { errors += 1 }
        }
        #expect(errors > 500)
        var rx = StreamDecoder()
        #expect(throws: WireError.self) { try rx.decode([0xff, 0xff, 0xff]) }
    }
}

@Suite struct AmplificationTests {
    /// Chained templates copy frames: 100 stacks of 65,536 frames from a ~70 KB window must be
    /// refused, not expanded into 6.5 million frames.
    @Test func chainedTemplatesCannotExpandWithoutBound() throws {
        var w = keyframe(columns: 1, unit: "count")
        w.strings = ["f"]
        w.functions = [0, 0, 1, 0]  // name: the fresh string "f"; system name: the same; file: "" (ref 0 + 1)
        w.locations = [0 << 1 | 1, 0]  // one line without address, of the fresh function 0; line 0
        let depth: UInt64 = 65_536
        var stacks: [UInt64] = [depth << 3 | 0]
        stacks.append(0)  // first frame: the fresh location 0
        stacks += Array(repeating: 1, count: Int(depth) - 1)  // other frames: location ref 0 (+1)
        stacks.append(0)  // no labels
        for _ in 0..<100 { stacks += [0 << 3 | 4 | 1, depth] }  // previous stack as template, keep all
        w.stacks = stacks
        let payload: [UInt8] = try w.serializedBytes()
        #expect(payload.count < 80_000)
        var rx = StreamDecoder()
        #expect(throws: WireError.tooLarge(field: "frames defined in one window", count: 65_536 * 65, limit: 1 << 22)) {
            try rx.decode(payload)
        }
    }
}

@Suite struct ByteExactStringTests {
    /// "é" precomposed and decomposed are equal as Swift Strings but are different bytes,
    /// so they are different entries with different ids, and both survive the wire.
    @Test func canonicallyEquivalentStringsStayDistinct() throws {
        var d = WireDictionary()
        let a = d.intern(string: "caf\u{E9}")
        let b = d.intern(string: "cafe\u{301}")
        #expect(a != b)
        #expect(Array(d.strings[b]!.utf8) == Array("cafe\u{301}".utf8))
        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        var rx = StreamDecoder()
        let p = Profile(
            sampleTypes: [FoldedReader.valueType],
            functions: [Function(name: "caf\u{E9}"), Function(name: "cafe\u{301}")],
            locations: [Location(lines: [Line(function: 0)]), Location(lines: [Line(function: 1)])],
            samples: [Sample(locations: [0], values: [1]), Sample(locations: [1], values: [2])])
        try tx.ingest(p, mode: .delta)
        let w = try rx.decode(tx.nextWindow().payload)
        #expect(w.state == tx.state)
        #expect(w.state.count == 2)
        let names = Set(rx.dictionary.strings.values.map { Array($0.utf8) })
        #expect(names.contains(Array("caf\u{E9}".utf8)) && names.contains(Array("cafe\u{301}".utf8)))
    }
}

@Suite struct StateBoundTests {
    /// Stacks without frames cost a few bytes each; with many columns they must not make
    /// the decoder allocate without bound.
    @Test func columnsAndStateSizeAreBounded() throws {
        func window(columns: Int, stacks: Int, masks: Bool = false) throws -> [UInt8] {
            var w = keyframe(columns: columns)
            w.strings = (0..<stacks).map { "k\($0)" }
            // Each stack: no frames, one distinct string label.
            w.stacks = (0..<stacks).flatMap { i -> [UInt64] in [0, 1, UInt64(i + 1), 0, 0] }
            // Every defined stack has a row of values: all zero, as presence bits.
            if masks { w.valueMasks = Data(count: (stacks * columns + 7) / 8) }
            return try w.serializedBytes()
        }
        var rx = StreamDecoder()
        #expect(throws: WireError.tooLarge(field: "columns", count: 65, limit: 64)) { try rx.decode(try window(columns: 65, stacks: 1)) }
        #expect(throws: WireError.self) { try rx.decode(try window(columns: 64, stacks: 300_000)) }
        #expect(try rx.decode(try window(columns: 4, stacks: 100, masks: true)).state.count == 100)
    }

    /// The sender refuses what every receiver would reject, and keeps its state.
    @Test func senderRefusesProfilesBeyondTheLimits() throws {
        let many = (0..<65).map { ValueType(type: "c\($0)", unit: "count") }
        var wide = StreamEncoder(stream: 1, info: StreamInfo(service: "s", profileType: "t", columns: many,
                                                             columnKinds: Array(repeating: .counter, count: 65)))
        let p65 = Profile(sampleTypes: many, functions: [Function(name: "f")], locations: [Location(lines: [Line(function: 0)])],
                          samples: [Sample(locations: [0], values: Array(repeating: 1, count: 65))])
        #expect(throws: StreamError.columnCount(65, limit: 64)) { try wide.ingest(p65, mode: .delta) }

        var tx = StreamEncoder(stream: 1, info: foldedInfo)
        try tx.ingest(try foldedProfile("a;b 1\n"), mode: .delta)
        let before = tx.state
        func deep(_ depth: Int, samples: Int) -> Profile {
            Profile(sampleTypes: [FoldedReader.valueType], functions: [Function(name: "f")], locations: [Location(lines: [Line(function: 0)])],
                    samples: (0..<samples).map { i in
                        Sample(locations: Array(repeating: 0, count: depth), values: [1], labels: [Label(key: "i", number: Int64(i), unit: "")])
                    })
        }
        #expect(throws: StreamError.stackTooDeep(depth: 65_537, limit: 65_536)) { try tx.ingest(deep(65_537, samples: 1), mode: .delta) }
        #expect(throws: StreamError.tooManyFrames(65 * 65_000 + 2, limit: 1 << 22)) { try tx.ingest(deep(65_000, samples: 65), mode: .delta) }
        #expect(tx.state == before)
        // Still a working stream.
        var rx = StreamDecoder()
        #expect(try rx.decode(tx.nextWindow().payload).state == before)
    }
}

/// Window 1 of stream 1, epoch 1: a keyframe whose info has `columns` counter columns
/// "samples" of `unit`, and no content yet.
func keyframe(columns: Int, unit: String = "") -> Flamewire_Wire_Window {
    var w = Flamewire_Wire_Window()
    w.stream = 1
    w.seq = 1
    w.epoch = 1
    var column = Flamewire_Wire_ValueType()
    column.type = "samples"
    column.unit = unit
    w.info.columns = Array(repeating: column, count: columns)
    w.info.columnKinds = Array(repeating: 0, count: columns)
    return w
}
