/// Big-endian integer encoding for the datagram layouts (SPEC §6.3: all integers big-endian).
extension Array where Element == UInt8 {
    @inlinable mutating func appendBigEndian(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable mutating func appendBigEndian(_ v: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: v >> 32))
        appendBigEndian(UInt32(truncatingIfNeeded: v))
    }
}

/// Reads a big-endian u32 at `offset` of `bytes` (the caller checked the length).
@inlinable func readBigEndian32<C: Collection<UInt8>>(_ bytes: C, at offset: Int) -> UInt32 where C.Index == Int {
    let b = bytes.startIndex + offset
    return UInt32(bytes[b]) << 24 | UInt32(bytes[b + 1]) << 16 | UInt32(bytes[b + 2]) << 8 | UInt32(bytes[b + 3])
}

/// Reads a big-endian u64 at `offset` of `bytes` (the caller checked the length).
@inlinable func readBigEndian64<C: Collection<UInt8>>(_ bytes: C, at offset: Int) -> UInt64 where C.Index == Int {
    UInt64(readBigEndian32(bytes, at: offset)) << 32 | UInt64(readBigEndian32(bytes, at: offset + 4))
}

/// Compares two byte sequences in time that depends only on their length (MACs, tags).
func constantTimeEqual<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for (x, y) in zip(a, b) { diff |= x ^ y }
    return diff == 0
}

extension RandomNumberGenerator {
    /// `count` bytes from the generator (ephemeral keys, cookie secrets, nonces).
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
