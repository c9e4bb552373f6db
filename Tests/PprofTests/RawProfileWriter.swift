/// Hand-written protobuf bytes for decoder tests.
///
/// Independent of SwiftProtobuf and of `PprofEncoder`, so the tests can write what no
/// valid encoder would (id 0, dangling ids, bad string indices, unpacked repeated
/// fields, invalid UTF-8) and so a bug shared by our encoder and decoder cannot hide.

/// Appends protobuf wire-format fields.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    /// A varint field; zero is skipped, as proto3 encoders do.
    mutating func uint(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(value)
    }

    mutating func int(_ field: Int, _ value: Int64) { uint(field, UInt64(bitPattern: value)) }

    mutating func bool(_ field: Int, _ value: Bool) { uint(field, value ? 1 : 0) }

    mutating func data(_ field: Int, _ value: [UInt8]) {
        tag(field, wireType: 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        data(field, inner.bytes)
    }

    /// A repeated varint field, packed (one length-delimited field) or not (one field
    /// per value); decoders must accept both.
    mutating func repeated(_ field: Int, _ values: [UInt64], packed: Bool) {
        if packed {
            guard !values.isEmpty else { return }
            var inner = ProtoWriter()
            for v in values { inner.varint(v) }
            data(field, inner.bytes)
        } else {
            for v in values {
                tag(field, wireType: 0)
                varint(v)
            }
        }
    }
}

/// A pprof message described field by field, ids and string indices exactly as written.
struct RawProfile {
    struct RawLabel { var key: Int64; var str: Int64 = 0; var num: Int64 = 0; var unit: Int64 = 0 }
    struct RawSample {
        var locationIDs: [UInt64]
        var values: [Int64]
        var labels: [RawLabel] = []
        var packed = true
    }
    struct RawMapping { var id: UInt64; var start: UInt64 = 0x400000; var limit: UInt64 = 0x500000; var file: Int64 = 0 }
    struct RawLine { var functionID: UInt64; var line: Int64 = 0 }
    struct RawLocation { var id: UInt64; var mappingID: UInt64 = 0; var address: UInt64 = 0; var lines: [RawLine] = [] }
    struct RawFunction { var id: UInt64; var name: Int64; var systemName: Int64 = 0; var filename: Int64 = 0 }

    /// String table entries as raw bytes (so a test can put invalid UTF-8 in).
    var strings: [[UInt8]] = [[]]
    var sampleTypes: [(type: Int64, unit: Int64)] = []
    var samples: [RawSample] = []
    var mappings: [RawMapping] = []
    var locations: [RawLocation] = []
    var functions: [RawFunction] = []
    var defaultSampleType: Int64 = 0

    /// The index of `s` in the string table, adding it when new.
    mutating func string(_ s: String) -> Int64 {
        let b = Array(s.utf8)
        if let i = strings.firstIndex(of: b) { return Int64(i) }
        strings.append(b)
        return Int64(strings.count - 1)
    }

    /// One sample type (samples/count), function `main` (id 1) at location 1 (with a
    /// line), and one sample of value 1 on that location: the smallest valid profile.
    static func minimal() -> RawProfile {
        var p = RawProfile()
        p.sampleTypes = [(p.string("samples"), p.string("count"))]
        p.functions = [RawFunction(id: 1, name: p.string("main"))]
        p.locations = [RawLocation(id: 1, address: 0x1000, lines: [RawLine(functionID: 1, line: 10)])]
        p.samples = [RawSample(locationIDs: [1], values: [1])]
        return p
    }

    var encoded: [UInt8] {
        var w = ProtoWriter()
        for t in sampleTypes {
            w.message(1) { $0.int(1, t.type); $0.int(2, t.unit) }
        }
        for s in samples {
            w.message(2) { m in
                m.repeated(1, s.locationIDs, packed: s.packed)
                m.repeated(2, s.values.map { UInt64(bitPattern: $0) }, packed: s.packed)
                for l in s.labels {
                    m.message(3) { $0.int(1, l.key); $0.int(2, l.str); $0.int(3, l.num); $0.int(4, l.unit) }
                }
            }
        }
        for mp in mappings {
            w.message(3) { $0.uint(1, mp.id); $0.uint(2, mp.start); $0.uint(3, mp.limit); $0.int(5, mp.file) }
        }
        for l in locations {
            w.message(4) { m in
                m.uint(1, l.id)
                m.uint(2, l.mappingID)
                m.uint(3, l.address)
                for line in l.lines { m.message(4) { $0.uint(1, line.functionID); $0.int(2, line.line) } }
            }
        }
        for f in functions {
            w.message(5) { $0.uint(1, f.id); $0.int(2, f.name); $0.int(3, f.systemName); $0.int(4, f.filename) }
        }
        for s in strings { w.data(6, s) }
        w.int(14, defaultSampleType)
        return w.bytes
    }
}
