/// LEB128 varints for control frames (SPEC.md conventions), with bounds-checked reads.
struct ByteReader {
    let bytes: [UInt8]
    var at: Int

    init(_ bytes: [UInt8], at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    var isAtEnd: Bool { at >= bytes.count }

    mutating func varint() throws(ControlError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < bytes.count else { throw .truncated }
            let b = bytes[at]
            at += 1
            guard shift < 64 else { throw .malformed("varint longer than 10 bytes") }
            if shift == 63 && b > 1 { throw .malformed("varint over 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func u32() throws(ControlError) -> UInt32 {
        let v = try varint()
        guard v <= UInt64(UInt32.max) else { throw .malformed("value \(v) does not fit 32 bits") }
        return UInt32(v)
    }

    /// A count that must be no larger than `limit` (and than the bytes left, each element
    /// taking at least one byte).
    mutating func count(limit: Int) throws(ControlError) -> Int {
        let v = try varint()
        guard v <= UInt64(limit), Int(v) <= bytes.count - at else { throw .malformed("count \(v) is over its limit \(limit)") }
        return Int(v)
    }
}

extension Array where Element == UInt8 {
    mutating func appendVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    mutating func appendVarint(_ v: Int) { appendVarint(UInt64(Swift.max(0, v))) }
    mutating func appendVarint(_ v: UInt32) { appendVarint(UInt64(v)) }
}
