import Testing
import Folded
import Profile
import Pprof

/// Encoding then decoding gives back the same model.
@Suite struct RoundTripTests {
    @Test(arguments: TestFiles.fixtureNames)
    func realProfileRoundTrips(name: String) throws {
        let original = try PprofDecoder.decode(try TestFiles.fixture(name))
        #expect(!original.samples.isEmpty)

        let raw = PprofEncoder.encode(original)
        let again = try PprofDecoder.decode(raw)
        #expect(again == original)
        for i in original.sampleTypes.indices {
            #expect(FoldedWriter.text(again, sampleIndex: i) == FoldedWriter.text(original, sampleIndex: i))
        }

        let gz = try PprofEncoder.encodeGzip(original)
        #expect(gz.starts(with: [0x1f, 0x8b]))
        #expect(try PprofDecoder.decode(gz) == original)
    }

    @Test func everyModelFieldRoundTrips() throws {
        let profile = Profile(
            sampleTypes: [ValueType(type: "alloc_space", unit: "bytes"), ValueType(type: "alloc_objects", unit: "count")],
            defaultSampleType: "alloc_objects",
            periodType: ValueType(type: "space", unit: "bytes"),
            period: 524_288,
            timeNanos: 1_700_000_000_123_456_789,
            durationNanos: 10_000_000_000,
            mappings: [
                Mapping(start: 0x400000, limit: 0x6d0000, offset: 0x1000, file: "/bin/svc", buildID: "abc123",
                        hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: true),
                Mapping(start: 0x7f00_0000_0000, limit: .max, file: "[vdso]"),
            ],
            functions: [
                Function(name: "main.main", systemName: "main.main", filename: "/src/main.go", startLine: 12),
                Function(name: "runtime.mallocgc", systemName: "_mallocgc", filename: "malloc.go", startLine: -1),
                Function(name: "naïve;weird 名前"),
            ],
            locations: [
                Location(mapping: 0, address: 0x401000, lines: [Line(function: 0, line: 20, column: 3)]),
                Location(mapping: 0, address: 0x402000, lines: [Line(function: 1, line: 991), Line(function: 2, line: 5)],
                         isFolded: true),
                Location(mapping: 1, address: .max, lines: []),
                Location(address: 0, lines: [Line(function: 2)]),
            ],
            samples: [
                Sample(locations: [1, 0], values: [4096, 2], labels: [
                    Label(key: "bytes", number: 2048, unit: "bytes"),
                    Label(key: "tenant", string: "acme"),
                    Label(key: "tenant", string: "other"),
                ]),
                Sample(locations: [2, 3, 0], values: [-7, .max]),
                Sample(locations: [], values: [.min, 0]),
            ],
            comments: ["first", "second", "first"],
            dropFrames: "runtime\\..*",
            keepFrames: "main\\..*")
        let bytes = PprofEncoder.encode(profile)
        #expect(try PprofDecoder.decode(bytes) == profile)
    }

    @Test func emptyProfileRoundTrips() throws {
        let profile = Profile(sampleTypes: [])
        #expect(try PprofDecoder.decode(PprofEncoder.encode(profile)) == profile)
    }

    @Test func mergedRoundTrips() throws {
        let a = try PprofDecoder.decode(try TestFiles.fixture("heap-001"))
        let merged = try Profile.merge([a, a])
        #expect(merged.total(sampleIndex: 1) == 2 * a.total(sampleIndex: 1))
        #expect(try PprofDecoder.decode(PprofEncoder.encode(merged)) == merged)
    }
}
