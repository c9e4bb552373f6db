import Compression
import WireCodec

/// The byte layouts of what the store keeps as blobs (documented in `Protocol/STORE.md`):
/// LEB128 varints, signed values zig-zag first, ids as plain varints.
struct BlobWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func int(_ v: Int) { varint(UInt64(max(0, v))) }
    mutating func signed(_ v: Int64) { varint(ZigZag.encode(v)) }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        int(u.count)
        bytes.append(contentsOf: u)
    }
}

struct BlobReader {
    let bytes: [UInt8]
    var at = 0
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { at >= bytes.count }

    mutating func varint() throws(StoreError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < bytes.count else { throw .corrupt("\(what) ends inside a varint at byte \(at)") }
            let b = bytes[at]
            at += 1
            guard shift < 64 else { throw .corrupt("\(what) has a varint over 64 bits at byte \(at)") }
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func count(limit: Int) throws(StoreError) -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw .corrupt("\(what) has a count \(v) over \(limit) at byte \(at)") }
        return Int(v)
    }

    mutating func signed() throws(StoreError) -> Int64 { ZigZag.decode(try varint()) }

    mutating func string() throws(StoreError) -> String {
        let n = try count(limit: bytes.count - at)
        let s = String(decoding: bytes[at ..< at + n], as: UTF8.self)
        at += n
        return s
    }
}

/// A stream state as a blob: version byte 1, columns, row count, then the ids as
/// ascending deltas and the values zig-zag, row by row; snappy-compressed as a whole.
enum StateBlob {
    static let version: UInt8 = 1
    static let maxRows = 50_000_000
    static let maxColumns = 64

    static func encode(_ s: StreamState) -> [UInt8] {
        var w = BlobWriter()
        w.bytes.reserveCapacity(8 + s.count * (9 + 2 * s.columns))
        w.bytes.append(version)
        w.int(s.columns)
        w.int(s.count)
        var previous: EntryID = 0
        for id in s.ids {
            w.varint(id &- previous)
            previous = id
        }
        for v in s.cells { w.signed(v) }
        return Snappy.compress(w.bytes)
    }

    static func decode(_ blob: [UInt8], what: String) throws(StoreError) -> StreamState {
        let raw: [UInt8]
        do { raw = try Snappy.decompress(blob, limit: 1 << 30) } catch { throw .corrupt("\(what): \(error)") }
        var r = BlobReader(raw, what: what)
        guard !r.isAtEnd, raw[0] == version else { throw .corrupt("\(what) has unknown state version \(raw.first ?? 0)") }
        r.at = 1
        let columns = try r.count(limit: maxColumns)
        let rows = try r.count(limit: min(maxRows, raw.count))
        var ids: [EntryID] = []
        ids.reserveCapacity(rows)
        var id: EntryID = 0
        for i in 0..<rows {
            let d = try r.varint()
            guard i == 0 || d > 0 else { throw .corrupt("\(what) has stack ids out of order") }
            id &+= d
            ids.append(id)
        }
        var cells: [Int64] = []
        cells.reserveCapacity(rows * columns)
        for _ in 0 ..< rows * columns { cells.append(try r.signed()) }
        guard r.isAtEnd, let s = StreamState(columns: columns, ids: ids, cells: cells) else {
            throw .corrupt("\(what) does not hold a well-formed state")
        }
        return s
    }
}

/// One dictionary entry as the store keeps it: kind, content id, collision salt and content.
public struct StoredEntry: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case string(String)
        case function(FunctionEntry)
        case location(LocationEntry)
        case stack(StackEntry)
    }

    public var id: EntryID
    public var salt: UInt64
    public var content: Content

    public init(id: EntryID, salt: UInt64, content: Content) {
        self.id = id
        self.salt = salt
        self.content = content
    }

    public var kind: EntryKind {
        switch content {
        case .string: return .string
        case .function: return .function
        case .location: return .location
        case .stack: return .stack
        }
    }

    /// The content as a blob (its kind is a column of its own).
    func body() -> [UInt8] {
        var w = BlobWriter()
        switch content {
        case .string(let s): w.bytes.append(contentsOf: Array(s.utf8))
        case .function(let f):
            w.varint(f.name); w.varint(f.systemName); w.varint(f.filename); w.signed(f.startLine)
        case .location(let l):
            w.varint(l.address)
            w.int(l.lines.count)
            for line in l.lines { w.varint(line.function); w.signed(line.line) }
        case .stack(let s):
            w.int(s.locations.count)
            for l in s.locations { w.varint(l) }
            w.int(s.labels.count)
            for label in s.labels {
                w.varint(label.key)
                switch label.value {
                case .string(let v): w.varint(0); w.varint(v)
                case .number(let n, let unit): w.varint(1); w.signed(n); w.varint(unit)
                }
            }
        }
        return w.bytes
    }

    static func decode(kind: Int64, id: EntryID, salt: UInt64, body: [UInt8]) throws(StoreError) -> StoredEntry {
        var r = BlobReader(body, what: "entry \(id)")
        let content: Content
        switch EntryKind(rawValue: UInt8(truncatingIfNeeded: kind)) {
        case .string: content = .string(String(decoding: body, as: UTF8.self))
        case .function:
            content = .function(FunctionEntry(name: try r.varint(), systemName: try r.varint(), filename: try r.varint(), startLine: try r.signed()))
        case .location:
            let address = try r.varint()
            let n = try r.count(limit: body.count)
            var lines: [LineEntry] = []
            for _ in 0..<n { lines.append(LineEntry(function: try r.varint(), line: try r.signed())) }
            content = .location(LocationEntry(lines: lines, address: address))
        case .stack:
            let n = try r.count(limit: body.count)
            var locations: [EntryID] = []
            for _ in 0..<n { locations.append(try r.varint()) }
            let m = try r.count(limit: body.count)
            var labels: [LabelEntry] = []
            for _ in 0..<m {
                let key = try r.varint()
                switch try r.varint() {
                case 0: labels.append(LabelEntry(key: key, value: .string(try r.varint())))
                case 1:
                    let n = try r.signed()
                    labels.append(LabelEntry(key: key, value: .number(n, unit: try r.varint())))
                case let t: throw .corrupt("entry \(id) has label tag \(t)")
                }
            }
            content = .stack(StackEntry(locations: locations, labels: labels))
        case nil: throw .corrupt("entry \(id) has unknown kind \(kind)")
        }
        return StoredEntry(id: id, salt: salt, content: content)
    }
}
