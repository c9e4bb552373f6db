import Profile

/// Reads a raw (uncompressed) pprof message straight into the `Profile` model, without
/// building the generated protobuf messages first.
///
/// The generated `PBProfile` allocates a message per sample, location, line, label and
/// function and then `model(maxStackDepth:)` copies all of it again; a 4,000-sample heap
/// profile spent most of its decode time there. This reader walks the wire format once
/// to find each table's entries (byte ranges), then builds the model from the ranges in
/// the same order, with the same checks and the same errors as the generated path
/// (`PBProfile.model`), which stays as the reference the tests and the fuzzer compare
/// against. The two share no code on purpose (the checks read alike): a bug in one is
/// caught by the other only while they stay separate.
///
/// Wire rules followed (those of the protobuf runtime): unknown fields are skipped (groups
/// included); a known field with another wire type than its own is skipped as unknown;
/// repeated scalars are accepted packed and unpacked; a singular field seen twice keeps
/// the last value (a message field merges).
struct ProfileReader {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Where the top-level fields are, after the first pass.
    struct Layout {
        var sampleTypes: [Range<Int>] = []
        var samples: [Range<Int>] = []
        var mappings: [Range<Int>] = []
        var locations: [Range<Int>] = []
        var functions: [Range<Int>] = []
        var strings: [Range<Int>] = []
        var periodTypes: [Range<Int>] = []
        var comments: [Int64] = []
        var dropFrames: Int64 = 0, keepFrames: Int64 = 0, timeNanos: Int64 = 0, durationNanos: Int64 = 0
        var period: Int64 = 0, defaultSampleType: Int64 = 0
    }

    /// One field's key and where its payload is: a varint's value, or a length-delimited
    /// payload's range (fixed-width and group fields are skipped by `next`).
    struct Field {
        var number: Int
        var wire: Int
        var value: UInt64
        var payload: Range<Int>
    }

    static let truncated = PprofError.notProtobuf(reason: "it ends in the middle of a field")
    static let malformed = PprofError.notProtobuf(reason: "invalid field tag or wire type")
    static let tooDeep = PprofError.notProtobuf(reason: "messages and groups nested more than \(nestingLimit) deep")

    let bytes: Bytes

    // MARK: - Wire primitives

    @inline(__always)
    func varint(_ i: inout Int, end: Int) throws(PprofError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < end else { throw Self.truncated }
            let b = bytes[i]
            i += 1
            if shift < 64 { v |= UInt64(b & 0x7F) << shift }
            if b < 0x80 { return v }
            shift += 7
            if shift >= 70 { throw Self.malformed }
        }
    }

    /// The next field in `i..<end`, or nil at `end`. Fixed-width and group fields come back
    /// with wire type 1, 5 or 3 and an empty payload (already skipped). `depth` is the level
    /// of the message being read (1: the profile; 2: its sample, location, ...; 3: a
    /// location's line or a sample's label), which bounds the groups it may skip.
    @inline(__always)
    func next(_ i: inout Int, end: Int, depth: Int) throws(PprofError) -> Field? {
        guard i < end else { return nil }
        let key = try varint(&i, end: end)
        guard key <= UInt64(UInt32.max) else { throw Self.malformed }
        let number = Int(key >> 3), wire = Int(key & 7)
        guard number != 0 else { throw Self.malformed }
        switch wire {
        case 0:
            return Field(number: number, wire: 0, value: try varint(&i, end: end), payload: i..<i)
        case 2:
            let n = try varint(&i, end: end)
            guard n <= UInt64(end - i) else { throw Self.truncated }
            let start = i
            i += Int(n)
            return Field(number: number, wire: 2, value: n, payload: start..<i)
        case 1, 5:
            let n = wire == 1 ? 8 : 4
            guard end - i >= n else { throw Self.truncated }
            i += n
            return Field(number: number, wire: wire, value: 0, payload: i..<i)
        case 3:
            try skipGroup(number, &i, end: end, depth: depth)
            return Field(number: number, wire: 3, value: 0, payload: i..<i)
        default:
            throw Self.malformed
        }
    }

    /// How deep messages and groups may nest, the profile itself counting as the first
    /// level: the protobuf runtime's limit (`BinaryDecodingOptions.messageDepthLimit`), so
    /// that both decoders refuse the same inputs.
    static let nestingLimit = 100

    /// Skips a group's fields up to its end-group key, nested groups included, with a stack
    /// of open group numbers instead of recursion: a few kilobytes of start-group keys must
    /// not overflow the thread's stack. `depth` is the level of the message the group is in
    /// (1 for the profile itself); groups nested past `nestingLimit` are refused.
    func skipGroup(_ number: Int, _ i: inout Int, end: Int, depth: Int) throws(PprofError) {
        var open = [number]
        guard depth + open.count <= Self.nestingLimit else { throw Self.tooDeep }
        while let innermost = open.last {
            guard i < end else { throw Self.truncated }
            let key = try varint(&i, end: end)
            guard key <= UInt64(UInt32.max), key >> 3 != 0 else { throw Self.malformed }
            switch Int(key & 7) {
            case 4:
                guard Int(key >> 3) == innermost else { throw Self.malformed }
                open.removeLast()
            case 0: _ = try varint(&i, end: end)
            case 2:
                let n = try varint(&i, end: end)
                guard n <= UInt64(end - i) else { throw Self.truncated }
                i += Int(n)
            case 1, 5:
                let n = key & 7 == 1 ? 8 : 4
                guard end - i >= n else { throw Self.truncated }
                i += n
            case 3:
                open.append(Int(key >> 3))
                guard depth + open.count <= Self.nestingLimit else { throw Self.tooDeep }
            default: throw Self.malformed
            }
        }
    }

    /// Appends a repeated scalar field's values: one unpacked varint, or a packed run.
    @inline(__always)
    func appendScalars(_ f: Field, to out: inout [UInt64]) throws(PprofError) {
        if f.wire == 0 {
            out.append(f.value)
        } else if f.wire == 2 {
            var j = f.payload.lowerBound
            while j < f.payload.upperBound { out.append(try varint(&j, end: f.payload.upperBound)) }
        }
    }

    // MARK: - Pass one: the top level

    func layout() throws(PprofError) -> Layout {
        var l = Layout()
        var i = 0
        var comments: [UInt64] = []
        while let f = try next(&i, end: bytes.count, depth: 1) {
            switch (f.number, f.wire) {
            case (1, 2): l.sampleTypes.append(f.payload)
            case (2, 2): l.samples.append(f.payload)
            case (3, 2): l.mappings.append(f.payload)
            case (4, 2): l.locations.append(f.payload)
            case (5, 2): l.functions.append(f.payload)
            case (6, 2): l.strings.append(f.payload)
            case (7, 0): l.dropFrames = Int64(bitPattern: f.value)
            case (8, 0): l.keepFrames = Int64(bitPattern: f.value)
            case (9, 0): l.timeNanos = Int64(bitPattern: f.value)
            case (10, 0): l.durationNanos = Int64(bitPattern: f.value)
            case (11, 2): l.periodTypes.append(f.payload)
            case (12, 0): l.period = Int64(bitPattern: f.value)
            case (13, 0), (13, 2): try appendScalars(f, to: &comments)
            case (14, 0): l.defaultSampleType = Int64(bitPattern: f.value)
            default: break
            }
        }
        l.comments = comments.map { Int64(bitPattern: $0) }
        return l
    }

    // MARK: - Pass two: the tables, in the order the reference path checks them

    func profile(maxStackDepth: Int) throws(PprofError) -> Profile {
        try profile(layout(), maxStackDepth: maxStackDepth)
    }

    /// The model of a profile whose layout was read (`layout()`).
    func profile(_ l: Layout, maxStackDepth: Int) throws(PprofError) -> Profile {
        let h = try head(l)
        var samples: [Sample] = []
        samples.reserveCapacity(l.samples.count)
        try forEachSample(l.samples, h.index, maxStackDepth: maxStackDepth) { _, stack, values, labels in
            var out: [Label] = []
            if !labels.isEmpty {
                out.reserveCapacity(labels.count)
                // Indices already checked by `forEachSample`.
                for r in labels {
                    let name = h.strings.strings[r.key]
                    out.append(r.string != 0 ? Label(key: name, string: h.strings.strings[r.string])
                                             : Label(key: name, number: r.number, unit: h.strings.strings[r.unit]))
                }
            }
            samples.append(Sample(locations: Array(stack), values: Array(values), labels: out))
        }
        let t = try tail(l, h.strings)
        return Profile(
            sampleTypes: h.sampleTypes,
            defaultSampleType: t.defaultSampleType.isEmpty ? nil : t.defaultSampleType,
            periodType: t.periodType,
            period: l.period,
            timeNanos: l.timeNanos,
            durationNanos: l.durationNanos,
            mappings: h.mappings,
            functions: h.functions,
            locations: h.locations,
            samples: samples,
            comments: t.comments,
            dropFrames: t.dropFrames,
            keepFrames: t.keepFrames)
    }

    /// The tables samples refer to, checked, with every string as its index in the string
    /// table: what the model (`Head`) and a reader that resolves strings its own way
    /// (`PprofSnapshot.tables(known:)`) both build on, so both make the same checks.
    struct IndexHead: Sendable {
        var stringCount: Int
        var sampleTypes: [(type: Int, unit: Int)]
        var mappings: [IndexMapping]
        var functions: [PprofFunctionRef]
        var locations: [Location]
        var locationIndex: IDIndex
        /// Frames per location (its lines, at least 1), by position.
        var framesPerLocation: [Int]
    }

    /// A mapping with its strings as indices (checked).
    struct IndexMapping: Sendable {
        var start: UInt64, limit: UInt64, offset: UInt64, file: Int, build: Int
        var flags: (Bool, Bool, Bool, Bool)

        func model(_ s: [String]) -> Mapping {
            Mapping(start: start, limit: limit, offset: offset, file: s[file], buildID: s[build],
                    hasFunctions: flags.0, hasFilenames: flags.1, hasLineNumbers: flags.2, hasInlineFrames: flags.3)
        }
    }

    /// The tables samples refer to, decoded and checked, in the order the reference path
    /// checks them: strings, sample types, mappings, functions, locations.
    struct Head: Sendable {
        var strings: StringTable
        var index: IndexHead
        var sampleTypes: [ValueType]
        var mappings: [Mapping]
        var functions: [Function]
        var locations: [Location] { index.locations }
    }

    /// What the reference path checks after the samples.
    struct Tail: Sendable {
        var comments: [String]
        var defaultSampleType: String
        var periodType: ValueType?
        var dropFrames: String
        var keepFrames: String
    }

    /// `Tail` with its strings as indices (checked).
    struct IndexTail {
        var comments: [Int]
        var defaultSampleType: Int
        var periodType: (type: Int, unit: Int)?
        var dropFrames: Int
        var keepFrames: Int
    }

    /// A string index read from the file, checked against a table of `count` strings;
    /// `field` names where it came from, for the error.
    @inline(__always)
    static func checked(_ index: Int64, _ count: Int, _ field: @autoclosure () -> String) throws(PprofError) -> Int {
        guard index >= 0, index < Int64(count) else {
            throw .stringIndexOutOfRange(field: field(), index: index, tableSize: count)
        }
        return Int(index)
    }

    func head(_ l: Layout) throws(PprofError) -> Head {
        let strings = try stringTable(l.strings)
        let h = try indexHead(l, stringCount: strings.count)
        let s = strings.strings
        return Head(strings: strings, index: h,
                    sampleTypes: h.sampleTypes.map { ValueType(type: s[$0.type], unit: s[$0.unit]) },
                    mappings: h.mappings.map { $0.model(s) },
                    functions: h.functions.map {
                        Function(name: s[$0.name], systemName: s[$0.systemName], filename: s[$0.filename], startLine: $0.startLine)
                    })
    }

    /// Everything `head` checks after the string table's contents, for a table of
    /// `stringCount` strings.
    func indexHead(_ l: Layout, stringCount n: Int) throws(PprofError) -> IndexHead {
        var sampleTypes: [(type: Int, unit: Int)] = []
        sampleTypes.reserveCapacity(l.sampleTypes.count)
        for (k, r) in l.sampleTypes.enumerated() {
            let (t, u) = try valueType(r)
            let type = try Self.checked(t, n, "sample type \(k) type")
            sampleTypes.append((type, try Self.checked(u, n, "sample type \(k) unit")))
        }
        let (mappings, mappingIndex) = try self.mappings(l.mappings, stringCount: n)
        let (functions, functionIndex) = try self.functions(l.functions, stringCount: n)
        let (locations, locationIndex, frames) = try self.locations(l.locations, mappings: mappingIndex, functions: functionIndex)
        return IndexHead(stringCount: n, sampleTypes: sampleTypes, mappings: mappings, functions: functions,
                         locations: locations, locationIndex: locationIndex, framesPerLocation: frames)
    }

    func tail(_ l: Layout, _ strings: StringTable) throws(PprofError) -> Tail {
        let t = try indexTail(l, stringCount: strings.count)
        let s = strings.strings
        return Tail(comments: t.comments.map { s[$0] }, defaultSampleType: s[t.defaultSampleType],
                    periodType: t.periodType.map { ValueType(type: s[$0.type], unit: s[$0.unit]) },
                    dropFrames: s[t.dropFrames], keepFrames: s[t.keepFrames])
    }

    func indexTail(_ l: Layout, stringCount n: Int) throws(PprofError) -> IndexTail {
        var comments: [Int] = []
        comments.reserveCapacity(l.comments.count)
        for (k, c) in l.comments.enumerated() { comments.append(try Self.checked(c, n, "comment \(k)")) }
        let defaultType = try Self.checked(l.defaultSampleType, n, "default sample type")
        var periodType: (type: Int, unit: Int)?
        if !l.periodTypes.isEmpty {
            var t: Int64 = 0, u: Int64 = 0
            for r in l.periodTypes { try valueType(r, merging: &t, &u) }
            let type = try Self.checked(t, n, "period type type")
            periodType = (type, try Self.checked(u, n, "period type unit"))
        }
        let drop = try Self.checked(l.dropFrames, n, "drop_frames")
        return IndexTail(comments: comments, defaultSampleType: defaultType, periodType: periodType,
                         dropFrames: drop, keepFrames: try Self.checked(l.keepFrames, n, "keep_frames"))
    }

    /// The string table's first checks: at least one string, and the first one empty.
    func checkFirstString(_ ranges: [Range<Int>]) throws(PprofError) {
        guard let first = ranges.first else { throw .emptyStringTable }
        guard first.isEmpty else { throw .firstStringNotEmpty(String(decoding: UnsafeBufferPointer(rebasing: bytes[first]), as: UTF8.self)) }
    }

    func stringTable(_ ranges: [Range<Int>]) throws(PprofError) -> StringTable {
        try checkFirstString(ranges)
        var strings: [String] = []
        strings.reserveCapacity(ranges.count)
        for (n, r) in ranges.enumerated() {
            guard let s = String(validating: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) else { throw .invalidUTF8(stringIndex: n) }
            strings.append(s)
        }
        return StringTable(validated: strings)
    }

    func valueType(_ r: Range<Int>) throws(PprofError) -> (Int64, Int64) {
        var t: Int64 = 0, u: Int64 = 0
        try valueType(r, merging: &t, &u)
        return (t, u)
    }

    func valueType(_ r: Range<Int>, merging t: inout Int64, _ u: inout Int64) throws(PprofError) {
        var i = r.lowerBound
        while let f = try next(&i, end: r.upperBound, depth: 2) {
            switch (f.number, f.wire) {
            case (1, 0): t = Int64(bitPattern: f.value)
            case (2, 0): u = Int64(bitPattern: f.value)
            default: break
            }
        }
    }

    func mappings(_ ranges: [Range<Int>], stringCount n: Int) throws(PprofError) -> ([IndexMapping], IDIndex) {
        struct Raw { var id: UInt64 = 0, start: UInt64 = 0, limit: UInt64 = 0, offset: UInt64 = 0, file: Int64 = 0, build: Int64 = 0
                     var flags: (Bool, Bool, Bool, Bool) = (false, false, false, false) }
        var raws: [Raw] = []
        raws.reserveCapacity(ranges.count)
        for r in ranges {
            var m = Raw()
            var i = r.lowerBound
            while let f = try next(&i, end: r.upperBound, depth: 2) {
                guard f.wire == 0 else { continue }
                switch f.number {
                case 1: m.id = f.value
                case 2: m.start = f.value
                case 3: m.limit = f.value
                case 4: m.offset = f.value
                case 5: m.file = Int64(bitPattern: f.value)
                case 6: m.build = Int64(bitPattern: f.value)
                case 7: m.flags.0 = f.value != 0
                case 8: m.flags.1 = f.value != 0
                case 9: m.flags.2 = f.value != 0
                case 10: m.flags.3 = f.value != 0
                default: break
                }
            }
            raws.append(m)
        }
        let index = try IDIndex(raws.lazy.map(\.id), table: .mapping)
        var out: [IndexMapping] = []
        out.reserveCapacity(raws.count)
        for m in raws {
            let file = try Self.checked(m.file, n, "mapping \(m.id) filename")
            out.append(IndexMapping(start: m.start, limit: m.limit, offset: m.offset, file: file,
                                    build: try Self.checked(m.build, n, "mapping \(m.id) build id"), flags: m.flags))
        }
        return (out, index)
    }

    func functions(_ ranges: [Range<Int>], stringCount n: Int) throws(PprofError) -> ([PprofFunctionRef], IDIndex) {
        var raws: [(id: UInt64, name: Int64, system: Int64, file: Int64, start: Int64)] = []
        raws.reserveCapacity(ranges.count)
        for r in ranges {
            var fn: (id: UInt64, name: Int64, system: Int64, file: Int64, start: Int64) = (0, 0, 0, 0, 0)
            var i = r.lowerBound
            while let f = try next(&i, end: r.upperBound, depth: 2) {
                guard f.wire == 0 else { continue }
                switch f.number {
                case 1: fn.id = f.value
                case 2: fn.name = Int64(bitPattern: f.value)
                case 3: fn.system = Int64(bitPattern: f.value)
                case 4: fn.file = Int64(bitPattern: f.value)
                case 5: fn.start = Int64(bitPattern: f.value)
                default: break
                }
            }
            raws.append(fn)
        }
        let index = try IDIndex(raws.lazy.map(\.id), table: .function)
        var out: [PprofFunctionRef] = []
        out.reserveCapacity(raws.count)
        for f in raws {
            let name = try Self.checked(f.name, n, "function \(f.id) name")
            let system = try Self.checked(f.system, n, "function \(f.id) system name")
            out.append(PprofFunctionRef(name: name, systemName: system,
                                        filename: try Self.checked(f.file, n, "function \(f.id) filename"), startLine: f.start))
        }
        return (out, index)
    }

    func locations(_ ranges: [Range<Int>], mappings: IDIndex, functions: IDIndex) throws(PprofError) -> ([Location], IDIndex, [Int]) {
        struct Raw { var id: UInt64 = 0, mapping: UInt64 = 0, address: UInt64 = 0, folded = false, lines: [Range<Int>] = [] }
        var raws: [Raw] = []
        raws.reserveCapacity(ranges.count)
        for r in ranges {
            var l = Raw()
            var i = r.lowerBound
            while let f = try next(&i, end: r.upperBound, depth: 2) {
                switch (f.number, f.wire) {
                case (1, 0): l.id = f.value
                case (2, 0): l.mapping = f.value
                case (3, 0): l.address = f.value
                case (4, 2): l.lines.append(f.payload)
                case (5, 0): l.folded = f.value != 0
                default: break
                }
            }
            raws.append(l)
        }
        let index = try IDIndex(raws.lazy.map(\.id), table: .location)
        var models: [Location] = []
        models.reserveCapacity(raws.count)
        var frames: [Int] = []
        frames.reserveCapacity(raws.count)
        for l in raws {
            if l.lines.isEmpty && l.address == 0 { throw .emptyLocation(id: l.id) }
            var mappingPosition: Int?
            if l.mapping != 0 {
                guard let p = mappings.position(of: l.mapping) else {
                    throw .missingReference(referrer: "location \(l.id)", table: .mapping, id: l.mapping)
                }
                mappingPosition = p
            }
            var lines: [Line] = []
            lines.reserveCapacity(l.lines.count)
            for (n, r) in l.lines.enumerated() {
                var function: UInt64 = 0, line: Int64 = 0, column: Int64 = 0
                var i = r.lowerBound
                while let f = try next(&i, end: r.upperBound, depth: 3) {
                    guard f.wire == 0 else { continue }
                    switch f.number {
                    case 1: function = f.value
                    case 2: line = Int64(bitPattern: f.value)
                    case 3: column = Int64(bitPattern: f.value)
                    default: break
                    }
                }
                guard let p = functions.position(of: function) else {
                    throw .missingReference(referrer: "location \(l.id) line \(n + 1)", table: .function, id: function)
                }
                lines.append(Line(function: p, line: line, column: column))
            }
            frames.append(max(lines.count, 1))
            models.append(Location(mapping: mappingPosition, address: l.address, lines: lines, isFolded: l.folded))
        }
        return (models, index, frames)
    }

    /// Reads every sample in file order with the checks of the reference path (value
    /// count, location ids, stack depth, label string indices) and hands each to `body`:
    /// its number, its stack as location positions (leaf first, as in the file), its
    /// values and its labels. The buffers are reused: valid only during the call.
    func forEachSample(_ ranges: [Range<Int>], _ h: IndexHead, maxStackDepth: Int,
                       _ body: (Int, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int64>, UnsafeBufferPointer<PprofLabelRef>) -> Void) throws(PprofError) {
        let valueCount = h.sampleTypes.count
        var ids: [UInt64] = []
        var raw: [UInt64] = []
        var labels: [Range<Int>] = []
        var stack: [Int] = []
        var values: [Int64] = []
        var refs: [PprofLabelRef] = []
        for (n, r) in ranges.enumerated() {
            ids.removeAll(keepingCapacity: true)
            raw.removeAll(keepingCapacity: true)
            labels.removeAll(keepingCapacity: true)
            var i = r.lowerBound
            while let f = try next(&i, end: r.upperBound, depth: 2) {
                switch (f.number, f.wire) {
                case (1, 0), (1, 2): try appendScalars(f, to: &ids)
                case (2, 0), (2, 2): try appendScalars(f, to: &raw)
                case (3, 2): labels.append(f.payload)
                default: break
                }
            }
            guard raw.count == valueCount else {
                throw .valueCountMismatch(sample: n, values: raw.count, sampleTypes: valueCount)
            }
            stack.removeAll(keepingCapacity: true)
            var depth = 0
            for id in ids {
                guard let p = h.locationIndex.position(of: id) else {
                    throw .missingReference(referrer: "sample \(n)", table: .location, id: id)
                }
                depth += h.framesPerLocation[p]
                if depth > maxStackDepth { throw .stackTooDeep(sample: n, frames: depth, limit: maxStackDepth) }
                stack.append(p)
            }
            refs.removeAll(keepingCapacity: true)
            for (k, lr) in labels.enumerated() {
                var key: Int64 = 0, str: Int64 = 0, num: Int64 = 0, unit: Int64 = 0
                var j = lr.lowerBound
                while let f = try next(&j, end: lr.upperBound, depth: 3) {
                    guard f.wire == 0 else { continue }
                    switch f.number {
                    case 1: key = Int64(bitPattern: f.value)
                    case 2: str = Int64(bitPattern: f.value)
                    case 3: num = Int64(bitPattern: f.value)
                    case 4: unit = Int64(bitPattern: f.value)
                    default: break
                    }
                }
                _ = try Self.checked(key, h.stringCount, "sample \(n) label \(k + 1) key")
                if str != 0 {
                    _ = try Self.checked(str, h.stringCount, "sample \(n) label \(k + 1) value")
                    refs.append(PprofLabelRef(key: Int(key), string: Int(str), number: 0, unit: 0))
                } else {
                    _ = try Self.checked(unit, h.stringCount, "sample \(n) label \(k + 1) unit")
                    refs.append(PprofLabelRef(key: Int(key), string: 0, number: num, unit: Int(unit)))
                }
            }
            values.removeAll(keepingCapacity: true)
            for v in raw { values.append(Int64(bitPattern: v)) }
            stack.withUnsafeBufferPointer { sb in
                values.withUnsafeBufferPointer { vb in
                    refs.withUnsafeBufferPointer { lb in body(n, sb, vb, lb) }
                }
            }
        }
    }
}
