/// Content-derived ids: both ends compute the same id from the same content, so an entry
/// can be named without ever sending a number that one side made up (SPEC.md §4.3).

/// The id of a dictionary entry: 64-bit FNV-1a of its canonical encoding.
public typealias EntryID = UInt64

/// The four kinds of dictionary entry.
public enum EntryKind: UInt8, Sendable, CaseIterable {
    case string = 1, function = 2, location = 3, stack = 4
}

/// Builds the canonical byte encoding of an entry and hashes it.
///
/// Canonical encoding: the kind byte; then each field in order, integers as LEB128
/// varints (signed ones zig-zag first), strings as varint length + UTF-8 bytes, entry
/// references as 8-byte big-endian ids, lists as varint count + elements; finally, when
/// the entry needed one, the collision salt as a varint (SPEC.md §4.3).
public struct ContentHasher: Sendable {
    /// Keeps only the low `bits` bits of every id. 64 in the protocol; tests lower it to
    /// force collisions and exercise the salt rule.
    public var bits: Int

    public init(bits: Int = 64) { self.bits = bits }

    public func id(_ build: (inout Canonical) -> Void, salt: UInt64 = 0) -> EntryID {
        var c = Canonical()
        build(&c)
        if salt > 0 { c.varint(salt) }
        let h = c.hash
        return bits >= 64 ? h : h & ((1 << UInt64(bits)) - 1)
    }

    /// FNV-1a over canonical bytes, without materialising them.
    public struct Canonical {
        public private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        @inline(__always) mutating func byte(_ b: UInt8) {
            hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
        }

        public mutating func kind(_ k: EntryKind) { byte(k.rawValue) }

        public mutating func varint(_ v: UInt64) {
            var x = v
            while x >= 0x80 {
                byte(UInt8(truncatingIfNeeded: x) | 0x80)
                x >>= 7
            }
            byte(UInt8(x))
        }

        public mutating func signed(_ v: Int64) { varint(ZigZag.encode(v)) }

        public mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { b in
                varint(UInt64(b.count))
                for x in b { byte(x) }
            }
        }

        public mutating func ref(_ id: EntryID) {
            var shift: UInt64 = 56
            while true {
                byte(UInt8(truncatingIfNeeded: id >> shift))
                if shift == 0 { break }
                shift -= 8
            }
        }
    }
}

/// Zig-zag mapping of signed to unsigned integers (0, -1, 1, -2 … → 0, 1, 2, 3 …).
public enum ZigZag {
    @inline(__always) public static func encode(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) public static func decode(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }
}
