import Testing
import Profile
import Pprof

/// `PprofDecoder.decode` reads the wire format straight into the model; the generated
/// messages (`decodeThroughMessages`) are the reference. Both must give the same model for
/// every real profile, and agree on every damaged one: both decode it (to the same model)
/// or both refuse it.
@Suite struct ReaderEquivalenceTests {
    @Test func everyRealProfileDecodesAsThroughTheGeneratedMessages() throws {
        var checked = 0
        for name in TestFiles.fixtureNames {
            let bytes = try TestFiles.fixture(name)
            #expect(try PprofDecoder.decode(bytes) == PprofDecoder.decodeThroughMessages(bytes), "\(name)")
            checked += 1
        }
        for path in TestFiles.allRealProfiles {
            let bytes = try TestFiles.read(path)
            #expect(try PprofDecoder.decode(bytes) == PprofDecoder.decodeThroughMessages(bytes), "\(path)")
            checked += 1
        }
        #expect(checked >= TestFiles.fixtureNames.count)
    }

    /// Unpacked repeated fields, unknown fields of every wire type (a group among them),
    /// known fields with the wrong wire type, and a field given twice (last wins).
    @Test func wireVariantsDecodeAlike() throws {
        var raw = RawProfile.minimal()
        raw.samples = [RawProfile.RawSample(locationIDs: [1, 1], values: [3], packed: false)]
        var bytes = raw.encoded
        var w = ProtoWriter()
        w.uint(99, 7)                        // unknown varint
        w.data(98, [1, 2, 3])                // unknown bytes
        w.tag(97, wireType: 1); w.bytes += [UInt8](repeating: 0, count: 8)  // unknown fixed64
        w.tag(96, wireType: 5); w.bytes += [0, 0, 0, 0]                   // unknown fixed32
        w.tag(95, wireType: 3); w.uint(1, 5); w.tag(95, wireType: 4)      // unknown group
        w.tag(9, wireType: 5); w.bytes += [1, 2, 3, 4]                    // time_nanos as fixed32: not a varint
        w.int(9, 42); w.int(9, 43)                                          // time_nanos twice
        w.message(11) { $0.int(1, 1) }; w.message(11) { $0.int(2, 2) }      // period_type given in two parts
        bytes += w.bytes
        let p = try PprofDecoder.decode(bytes)
        #expect(p == (try PprofDecoder.decodeThroughMessages(bytes)))
        #expect(p.timeNanos == 43 && p.samples[0].locations == [0, 0] && p.samples[0].values == [3])
        #expect(p.periodType == ValueType(type: "samples", unit: "count"))
    }

    /// Unknown groups nested inside each other: both decoders accept them up to the protobuf
    /// runtime's nesting limit of 100 levels (the profile is the first, a sample the second) and refuse one level more with an error, not a crash. A fuzzer found a
    /// stack overflow when the reader skipped nested groups by recursion.
    @Test func nestedGroupsAreSkippedUpToTheLimitAndRefusedPastIt() throws {
        func groups(_ n: Int) -> [UInt8] {
            var w = ProtoWriter()
            for _ in 0..<n { w.tag(95, wireType: 3) }
            w.uint(1, 5)
            for _ in 0..<n { w.tag(95, wireType: 4) }
            return w.bytes
        }
        func inSample(_ n: Int) -> [UInt8] {
            var w = ProtoWriter()
            w.data(2, [0x08, 0x01, 0x10, 0x03] + groups(n))    // location 1, value 3, then the groups
            return w.bytes
        }
        let base = RawProfile.minimal().encoded
        let cases: [(String, [UInt8], Bool)] = [
            ("in the profile, 99 deep", base + groups(99), true),
            ("in the profile, 100 deep", base + groups(100), false),
            ("in a sample, 98 deep", base + inSample(98), true),
            ("in a sample, 99 deep", base + inSample(99), false),
            ("200,000 start-group keys (field 95)", base + Array([[UInt8]](repeating: [0xFB, 0x05], count: 200_000).joined()), false),
        ]
        for (name, bytes, accepted) in cases {
            let fast = Result { () throws(PprofError) in try PprofDecoder.decode(bytes) }
            let reference = Result { () throws(PprofError) in try PprofDecoder.decodeThroughMessages(bytes) }
            switch (fast, reference) {
            case (.success(let x), .success(let y)):
                #expect(accepted && x == y, "\(name)")
            case (.failure(let e), .failure):
                #expect(!accepted, "\(name): \(e)")
                if case .notProtobuf = e {} else { Issue.record("\(name): \(e)") }
            default:
                Issue.record("\(name): the decoders disagree: \(fast), \(reference)")
            }
        }
    }

    /// Seeded damage to real profiles: flipped bytes, cut ends, inserted and deleted bytes.
    @Test func damagedProfilesAreRefusedOrDecodedAlike() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var refused = 0, decoded = 0
        for name in ["mutex-001", "block-001", "goroutine-001", "cpu-01"] {
            let raw = PprofEncoder.encode(try PprofDecoder.decode(try TestFiles.fixture(name)))
            for _ in 0..<300 {
                var b = raw
                switch random(4) {
                case 0: b[random(b.count)] ^= UInt8(1 << random(8))
                case 1: b = Array(b.prefix(random(b.count)))
                case 2: b.insert(UInt8(random(256)), at: random(b.count))
                default: b.remove(at: random(b.count))
                }
                let fast = Result { () throws(PprofError) in try PprofDecoder.decode(b) }
                let reference = Result { () throws(PprofError) in try PprofDecoder.decodeThroughMessages(b) }
                switch (fast, reference) {
                case (.success(let x), .success(let y)):
                    #expect(x == y, "\(name): both decoded, differently")
                    decoded += 1
                case (.failure, .failure):
                    refused += 1
                case (.success, .failure(let e)):
                    Issue.record("\(name): the reader decoded what the reference refused: \(e)")
                case (.failure(let e), .success):
                    Issue.record("\(name): the reader refused what the reference decoded: \(e)")
                }
            }
        }
        #expect(refused > 100 && decoded > 100, "the damage both breaks and spares profiles: \(refused) refused, \(decoded) decoded")
    }
}
