import Testing
import Profile
import Pprof

/// Malformed inputs: each must give its own precise error, never a crash.
@Suite struct DecoderErrorTests {
    @Test func minimalProfileDecodesToTheExpectedModel() throws {
        let p = try PprofDecoder.decode(RawProfile.minimal().encoded)
        #expect(p == Profile(
            sampleTypes: [ValueType(type: "samples", unit: "count")],
            functions: [Function(name: "main")],
            locations: [Location(address: 0x1000, lines: [Line(function: 0, line: 10)])],
            samples: [Sample(locations: [0], values: [1])]))
    }

    @Test func emptyProfileDecodes() throws {
        var raw = RawProfile.minimal()
        raw.samples = []
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.samples.isEmpty)
        #expect(p.sampleTypes == [ValueType(type: "samples", unit: "count")])
        #expect(p.total(sampleIndex: 0) == 0)
    }

    @Test func truncatedGzip() throws {
        let gz = try TestFiles.fixture("heap-001")
        #expect(throws: PprofError.compression(.truncated)) {
            try PprofDecoder.decode(Array(gz.prefix(gz.count / 2)))
        }
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        let bomb = try PprofEncoder.encodeGzip(Profile(
            sampleTypes: [ValueType(type: "x", unit: "y")], comments: [String(repeating: "a", count: 2 << 20)]))
        #expect(bomb.count < 100_000)
        #expect(throws: PprofError.compression(.tooLarge(limit: 1 << 20))) {
            try PprofDecoder.decode(bomb, maxDecompressedBytes: 1 << 20)
        }
    }

    @Test func textIsNotProtobuf() {
        #expect(throws: PprofError.notProtobuf(reason: "invalid field tag or wire type")) {
            try PprofDecoder.decode(Array("this is not a profile\n".utf8))
        }
    }

    @Test func truncatedProtobuf() {
        let bytes = RawProfile.minimal().encoded
        #expect(throws: PprofError.notProtobuf(reason: "it ends in the middle of a field")) {
            try PprofDecoder.decode(Array(bytes.dropLast()))
        }
    }

    @Test func noBytesAtAllHasNoStringTable() {
        #expect(throws: PprofError.emptyStringTable) { try PprofDecoder.decode([]) }
    }

    @Test func firstStringMustBeEmpty() {
        var raw = RawProfile.minimal()
        raw.strings[0] = Array("oops".utf8)
        #expect(throws: PprofError.firstStringNotEmpty("oops")) { try PprofDecoder.decode(raw.encoded) }
    }

    @Test func stringIndexOutOfRange() {
        var raw = RawProfile.minimal()
        raw.functions[0].name = 9999
        #expect(throws: PprofError.stringIndexOutOfRange(field: "function 1 name", index: 9999, tableSize: 4)) {
            try PprofDecoder.decode(raw.encoded)
        }
        raw.functions[0].name = -1
        #expect(throws: PprofError.stringIndexOutOfRange(field: "function 1 name", index: -1, tableSize: 4)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func stringIndexOutOfRangeInSampleTypeAndLabel() {
        var raw = RawProfile.minimal()
        raw.sampleTypes[0].unit = 77
        #expect(throws: PprofError.stringIndexOutOfRange(field: "sample type 0 unit", index: 77, tableSize: 4)) {
            try PprofDecoder.decode(raw.encoded)
        }
        raw = RawProfile.minimal()
        raw.samples[0].labels = [RawProfile.RawLabel(key: 1, str: 50)]
        #expect(throws: PprofError.stringIndexOutOfRange(field: "sample 0 label 1 value", index: 50, tableSize: 4)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func idZero() {
        var raw = RawProfile.minimal()
        raw.functions.append(RawProfile.RawFunction(id: 0, name: 1))
        #expect(throws: PprofError.zeroID(table: .function, position: 1)) { try PprofDecoder.decode(raw.encoded) }

        raw = RawProfile.minimal()
        raw.locations.insert(RawProfile.RawLocation(id: 0, address: 0x10), at: 0)
        #expect(throws: PprofError.zeroID(table: .location, position: 0)) { try PprofDecoder.decode(raw.encoded) }

        raw = RawProfile.minimal()
        raw.mappings = [RawProfile.RawMapping(id: 0)]
        #expect(throws: PprofError.zeroID(table: .mapping, position: 0)) { try PprofDecoder.decode(raw.encoded) }
    }

    @Test func duplicateIDs() {
        var raw = RawProfile.minimal()
        raw.functions.append(RawProfile.RawFunction(id: 1, name: 1))
        #expect(throws: PprofError.duplicateID(table: .function, id: 1)) { try PprofDecoder.decode(raw.encoded) }

        // Ids too large for the dense table take the dictionary path.
        raw = RawProfile.minimal()
        raw.mappings = [RawProfile.RawMapping(id: 1 << 40), RawProfile.RawMapping(id: 7), RawProfile.RawMapping(id: 1 << 40)]
        #expect(throws: PprofError.duplicateID(table: .mapping, id: 1 << 40)) { try PprofDecoder.decode(raw.encoded) }
    }

    @Test func sparseAndHugeIDsResolve() throws {
        var raw = RawProfile.minimal()
        raw.functions[0].id = .max
        raw.locations[0].lines[0].functionID = .max
        raw.locations[0].id = 1 << 62
        raw.mappings = [RawProfile.RawMapping(id: 123_456_789_000)]
        raw.locations[0].mappingID = 123_456_789_000
        raw.samples[0].locationIDs = [1 << 62]
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.samples[0].locations == [0])
        #expect(p.locations[0].mapping == 0)
        #expect(p.stackRootFirst(of: p.samples[0]) == ["main"])
    }

    @Test func missingLocation() {
        var raw = RawProfile.minimal()
        raw.samples[0].locationIDs = [1, 42]
        #expect(throws: PprofError.missingReference(referrer: "sample 0", table: .location, id: 42)) {
            try PprofDecoder.decode(raw.encoded)
        }
        raw.samples[0].locationIDs = [.max]
        #expect(throws: PprofError.missingReference(referrer: "sample 0", table: .location, id: .max)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func missingMapping() {
        var raw = RawProfile.minimal()
        raw.mappings = [RawProfile.RawMapping(id: 1)]
        raw.locations[0].mappingID = 7
        #expect(throws: PprofError.missingReference(referrer: "location 1", table: .mapping, id: 7)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func missingFunction() {
        var raw = RawProfile.minimal()
        raw.locations[0].lines.append(RawProfile.RawLine(functionID: 9))
        #expect(throws: PprofError.missingReference(referrer: "location 1 line 2", table: .function, id: 9)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func valueCountMismatch() {
        var raw = RawProfile.minimal()
        raw.samples.append(RawProfile.RawSample(locationIDs: [1], values: [1, 2]))
        #expect(throws: PprofError.valueCountMismatch(sample: 1, values: 2, sampleTypes: 1)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func locationWithoutLinesOrAddress() {
        var raw = RawProfile.minimal()
        raw.locations.append(RawProfile.RawLocation(id: 2))
        #expect(throws: PprofError.emptyLocation(id: 2)) { try PprofDecoder.decode(raw.encoded) }
    }

    @Test func addressOnlyLocationShowsItsAddress() throws {
        var raw = RawProfile.minimal()
        raw.locations.append(RawProfile.RawLocation(id: 2, address: 0x4a5b))
        raw.samples[0].locationIDs = [2, 1]
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.stackRootFirst(of: p.samples[0]) == ["main", "0x4a5b"])
    }

    @Test func deepRecursionIsRejected() {
        var raw = RawProfile.minimal()
        raw.samples[0].locationIDs = [UInt64](repeating: 1, count: 70_000)
        #expect(throws: PprofError.stackTooDeep(sample: 0, frames: 65_537, limit: 65_536)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func depthCountsInlinedLines() throws {
        var raw = RawProfile.minimal()
        raw.locations[0].lines.append(RawProfile.RawLine(functionID: 1, line: 20))
        raw.samples[0].locationIDs = [UInt64](repeating: 1, count: 32_768)  // 65,536 frames: the limit
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.stackRootFirst(of: p.samples[0]).count == 65_536)
        raw.samples[0].locationIDs.append(1)
        #expect(throws: PprofError.stackTooDeep(sample: 0, frames: 65_538, limit: 65_536)) {
            try PprofDecoder.decode(raw.encoded)
        }
    }

    @Test func invalidUTF8Name() {
        var raw = RawProfile.minimal()
        raw.strings.append([0x6d, 0xff, 0xfe, 0x61])
        raw.functions[0].name = Int64(raw.strings.count - 1)
        #expect(throws: PprofError.invalidUTF8(stringIndex: 4)) { try PprofDecoder.decode(raw.encoded) }
    }

    @Test func unpackedRepeatedFieldsAreAccepted() throws {
        var raw = RawProfile.minimal()
        raw.samples[0].packed = false
        raw.samples[0].values = [-5]
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.samples == [Sample(locations: [0], values: [-5])])
    }

    @Test func labelsDecode() throws {
        var raw = RawProfile.minimal()
        let key = raw.string("tenant"), value = raw.string("acme")
        let bytes = raw.string("bytes"), unit = raw.string("bytes")
        raw.samples[0].labels = [
            RawProfile.RawLabel(key: key, str: value),
            RawProfile.RawLabel(key: bytes, num: 4096, unit: unit),
            RawProfile.RawLabel(key: key, num: -3),
        ]
        let p = try PprofDecoder.decode(raw.encoded)
        #expect(p.samples[0].labels == [
            Label(key: "tenant", string: "acme"),
            Label(key: "bytes", number: 4096, unit: "bytes"),
            Label(key: "tenant", number: -3),
        ])
    }

    @Test func defaultSampleTypeIsResolved() throws {
        var raw = RawProfile.minimal()
        raw.defaultSampleType = raw.string("samples")
        #expect(try PprofDecoder.decode(raw.encoded).defaultSampleType == "samples")
        raw.defaultSampleType = 0
        #expect(try PprofDecoder.decode(raw.encoded).defaultSampleType == nil)
    }

    @Test func descriptionsAreOneActionableLine() {
        let e = PprofError.stringIndexOutOfRange(field: "function 12 name", index: 9999, tableSize: 812)
        #expect(e.description == "function 12 name: string index 9999 out of range (table has 812 strings)")
        #expect(PprofError.missingReference(referrer: "location 7 line 2", table: .function, id: 9).description
            == "location 7 line 2 refers to function 9, which does not exist")
        let all: [PprofError] = [
            .compression(.truncated), .notProtobuf(reason: "r"), .emptyStringTable, .firstStringNotEmpty("a\nb"),
            .invalidUTF8(stringIndex: 3), e, .zeroID(table: .mapping, position: 0),
            .duplicateID(table: .location, id: 4), .valueCountMismatch(sample: 1, values: 2, sampleTypes: 4),
            .emptyLocation(id: 5), .stackTooDeep(sample: 0, frames: 65_537, limit: 65_536),
        ]
        for error in all {
            #expect(!error.description.contains("\n"), "\(error)")
            #expect(!error.description.isEmpty)
        }
    }
}
