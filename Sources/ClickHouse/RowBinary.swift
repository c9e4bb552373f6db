/// ClickHouse's RowBinary format, the subset FlameWire uses: little-endian fixed-width
/// integers, strings and arrays as a LEB128 length and their contents. Inserts are written
/// this way (no text escaping, no parsing on the server side beyond copying), and query
/// results are read back the same way.
public struct RowBinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func uint8(_ v: UInt8) { bytes.append(v) }
    public mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func uint64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func int64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    public mutating func length(_ n: Int) {
        var v = UInt64(n)
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    public mutating func string(_ s: String) { string(Array(s.utf8)) }
    public mutating func string(_ b: [UInt8]) { length(b.count); bytes.append(contentsOf: b) }

    public mutating func int64Array(_ values: some Collection<Int64>) {
        length(values.count)
        for v in values { int64(v) }
    }
}

/// Reads RowBinary answers; every read checks the remaining length.
public struct RowBinaryReader {
    let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var atEnd: Bool { offset >= bytes.count }

    mutating func take(_ n: Int, _ what: String) throws(ClickHouseError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - offset >= n else { throw .malformed("a RowBinary \(what) runs past the end of the answer (offset \(offset))") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func uint8() throws(ClickHouseError) -> UInt8 { try take(1, "UInt8").first! }

    public mutating func uint32() throws(ClickHouseError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4, "UInt32").enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    public mutating func uint64() throws(ClickHouseError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8, "UInt64").enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    public mutating func int64() throws(ClickHouseError) -> Int64 { Int64(bitPattern: try uint64()) }

    public mutating func length() throws(ClickHouseError) -> Int {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try uint8()
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            guard shift < 63 else { throw .malformed("an overlong RowBinary length at offset \(offset)") }
        }
        guard v <= UInt64(bytes.count - offset) * 8 + 8 else { throw .malformed("a RowBinary length of \(v) past the answer's end") }
        return Int(v)
    }

    public mutating func bytesValue() throws(ClickHouseError) -> [UInt8] { Array(try take(try length(), "String")) }

    public mutating func string() throws(ClickHouseError) -> String { String(decoding: try bytesValue(), as: UTF8.self) }

    public mutating func int64Array() throws(ClickHouseError) -> [Int64] {
        let n = try length()
        var out: [Int64] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try int64()) }
        return out
    }
}
