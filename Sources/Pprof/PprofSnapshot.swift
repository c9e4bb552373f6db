#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Profile

/// A pprof profile held as its protobuf bytes with its top-level layout read, for readers
/// that go from pprof bytes straight to their own structures without the `Profile` model.
///
/// An agent fetches the same service's profile every few hundred milliseconds, and between
/// two fetches the tables (strings, functions, locations, mappings) are usually byte for
/// byte the same: only the samples' values moved. `sameTables(as:)` finds that in one
/// pass of `memcmp`, so the tables are decoded (`tables()`) and interned once and only
/// the samples are read each time (`forEachSample`). Every check of `PprofDecoder.decode`
/// is made, on the tables when they are decoded and on the samples each time, so a
/// malformed profile is refused with the same error either way.
public struct PprofSnapshot: Sendable {
    /// The protobuf bytes (gunzipped).
    public let raw: [UInt8]
    let layout: ProfileReader.Layout

    /// Reads `bytes`, gzip-compressed (magic `1f 8b`) or raw protobuf, as far as its
    /// top-level fields.
    public init(_ bytes: [UInt8], maxDecompressedBytes: Int = PprofDecoder.maxDecompressedBytes) throws(PprofError) {
        let raw = try PprofDecoder.uncompressed(bytes, limit: maxDecompressedBytes)
        self.raw = raw
        layout = try raw.withUnsafeBufferPointer { b throws(PprofError) in try ProfileReader(bytes: b).layout() }
    }

    /// When the profile was taken (`time_nanos`) and the time it covers (`duration_nanos`).
    public var timeNanos: Int64 { layout.timeNanos }
    public var durationNanos: Int64 { layout.durationNanos }
    /// How many samples the profile holds (with repeats of a stack).
    public var sampleCount: Int { layout.samples.count }

    /// The whole profile as the model: what `PprofDecoder.decode` returns.
    public func profile() throws(PprofError) -> Profile {
        try raw.withUnsafeBufferPointer { b throws(PprofError) in
            try ProfileReader(bytes: b).profile(layout, maxStackDepth: PprofDecoder.maxStackDepth)
        }
    }

    /// Whether everything but the samples and the times is byte for byte the same as in
    /// `other`: sample types, mappings, locations, functions, strings, period, comments,
    /// default sample type, drop and keep frames. Then `other`'s tables are this profile's
    /// tables too (the same bytes decode and check the same).
    public func sameTables(as other: PprofSnapshot) -> Bool {
        let a = layout, b = other.layout
        guard a.period == b.period, a.defaultSampleType == b.defaultSampleType, a.dropFrames == b.dropFrames,
              a.keepFrames == b.keepFrames, a.comments == b.comments else { return false }
        return raw.withUnsafeBufferPointer { x in
            other.raw.withUnsafeBufferPointer { y in
                func same(_ r: [Range<Int>], _ s: [Range<Int>]) -> Bool {
                    guard r.count == s.count else { return false }
                    for k in r.indices {
                        let u = r[k], v = s[k]
                        guard u.count == v.count else { return false }
                        if u.isEmpty { continue }
                        guard memcmp(x.baseAddress! + u.lowerBound, y.baseAddress! + v.lowerBound, u.count) == 0 else { return false }
                    }
                    return true
                }
                return same(a.strings, b.strings) && same(a.sampleTypes, b.sampleTypes) && same(a.functions, b.functions)
                    && same(a.locations, b.locations) && same(a.mappings, b.mappings) && same(a.periodTypes, b.periodTypes)
            }
        }
    }

    /// Decodes and checks everything but the samples, with the checks of
    /// `PprofDecoder.decode`, without building the strings `known` already holds: each
    /// string of the table is looked up there by its bytes (`.known`; no UTF-8 check is
    /// needed, since only checked strings are ever inserted), and the others are checked
    /// and built (`.new`). Go renumbers its strings, functions and locations whenever a new
    /// stack appears, so a snapshot whose tables changed still holds mostly strings its
    /// stream's encoder has seen: this keeps those cheap.
    public func tables(known: PprofStringMemo) throws(PprofError) -> PprofTables {
        try raw.withUnsafeBufferPointer { b throws(PprofError) in
            let reader = ProfileReader(bytes: b)
            let ranges = layout.strings
            try reader.checkFirstString(ranges)
            var strings: [PprofString] = []
            strings.reserveCapacity(ranges.count)
            var knownCount = 0
            for (n, r) in ranges.enumerated() {
                let bytes = UnsafeBufferPointer(rebasing: b[r])
                if let v = known.value(for: UnsafeRawBufferPointer(bytes)) {
                    strings.append(.known(v))
                    knownCount += 1
                } else {
                    guard let s = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(stringIndex: n) }
                    strings.append(.new(s))
                }
            }
            let head = try reader.indexHead(layout, stringCount: ranges.count)
            _ = try reader.indexTail(layout, stringCount: ranges.count)
            func string(_ i: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[ranges[i]]), as: UTF8.self) }
            return PprofTables(head: head, sampleTypes: head.sampleTypes.map { ValueType(type: string($0.type), unit: string($0.unit)) },
                               strings: strings, knownCount: knownCount)
        }
    }

    /// Reads every sample in file order, with `PprofDecoder.decode`'s checks, and hands each
    /// to `body`: its stack as positions in `tables.locations` (leaf first, as pprof has
    /// it), its values, and its labels. `tables` must be this profile's (`tables(known:)`,
    /// or those of a profile it has `sameTables` with). The buffers are valid only during
    /// the call.
    public func forEachSample(
        _ tables: PprofTables,
        _ body: (_ stack: UnsafeBufferPointer<Int>, _ values: UnsafeBufferPointer<Int64>, _ labels: UnsafeBufferPointer<PprofLabelRef>) -> Void
    ) throws(PprofError) {
        try raw.withUnsafeBufferPointer { b throws(PprofError) in
            try ProfileReader(bytes: b).forEachSample(layout.samples, tables.head, maxStackDepth: PprofDecoder.maxStackDepth) { _, s, v, l in
                body(s, v, l)
            }
        }
    }
}

/// The checked tables of a pprof profile (`PprofSnapshot.tables(known:)`), its strings
/// resolved through a caller's memo where it knew them.
public struct PprofTables: Sendable {
    let head: ProfileReader.IndexHead

    public let sampleTypes: [ValueType]
    /// Every string of the table, by index: the memo's value, or the string itself.
    public var strings: [PprofString]
    /// How many strings the memo knew when the tables were read.
    public let knownCount: Int
    /// The functions, their strings as indices into `strings`.
    public var functions: [PprofFunctionRef] { head.functions }
    /// The locations; their lines name functions by position in `functions`.
    public var locations: [Location] { head.locations }
}

/// A string of a profile's table: its value in the caller's memo, or the string (checked).
public enum PprofString: Sendable {
    case known(PprofStringMemo.Value)
    case new(String)
}

/// A pprof function with its strings as indices into the string table (checked).
public struct PprofFunctionRef: Sendable, Equatable {
    public var name: Int
    public var systemName: Int
    public var filename: Int
    public var startLine: Int64
}

/// A sample's label as string-table indices (checked against the table): a string label
/// when `string` is not 0, else a number with its unit.
public struct PprofLabelRef: Sendable {
    public var key: Int
    public var string: Int
    public var number: Int64
    public var unit: Int
}
