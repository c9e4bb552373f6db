/// A TAI64N timestamp (12 bytes: 8-byte seconds label, 4-byte nanoseconds, big-endian),
/// the payload of an initiation. The collector accepts an initiation from a key only if
/// its timestamp is newer than the last one it accepted from that key, which makes a
/// replayed initiation useless. The caller reads the clock; this type only encodes.
public struct TAI64N: Sendable, Hashable, Comparable {
    /// The TAI64 label: 2^62 + seconds since 1970 TAI (see `init(unixSeconds:nanoseconds:)`).
    public var seconds: UInt64
    /// 0 … 999,999,999.
    public var nanoseconds: UInt32

    /// A timestamp from its TAI64 label and nanoseconds, as they travel.
    public init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// From Unix time, as WireGuard does: label = 2^62 + 10 + seconds (TAI was 10 s ahead
    /// of UTC in 1972; leap seconds since are ignored, only monotonicity matters).
    public init(unixSeconds: Int64, nanoseconds: UInt32) {
        self.init(seconds: UInt64(bitPattern: 0x4000_0000_0000_000A &+ unixSeconds), nanoseconds: nanoseconds)
    }

    /// The 12 wire bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
        out.appendBigEndian(seconds)
        out.appendBigEndian(nanoseconds)
        return out
    }

    /// Decodes 12 wire bytes.
    public init(bytes: [UInt8]) throws(NoiseError) {
        guard bytes.count == 12 else { throw .truncated(expected: 12, got: bytes.count) }
        self.init(seconds: readBigEndian64(bytes, at: 0), nanoseconds: readBigEndian32(bytes, at: 8))
    }

    /// Later means greater: seconds first, then nanoseconds (the bytes' order).
    public static func < (a: TAI64N, b: TAI64N) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}
