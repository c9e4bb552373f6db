#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A caller's values for strings it has seen, looked up by a string's bytes in a pprof
/// string table without building a `String` (`PprofSnapshot.tables(known:)`).
///
/// An agent's encoder keeps one per stream: it maps each string it interned to its
/// dictionary entry, so a snapshot whose tables were renumbered (a new stack in a Go
/// profile renumbers them all) costs a hash and a `memcmp` per string it has seen rather
/// than a UTF-8 check, an allocation and an intern. An open-addressing table over one
/// byte arena, with a hash seeded per memo; no reference counting on a lookup. It is a
/// cache: it forgets everything at `limit` entries or `byteLimit` bytes of strings, so a
/// profile with ever-new label values cannot grow it without bound.
public struct PprofStringMemo: Sendable {
    /// What the memo holds for a string: a caller's id for it.
    public typealias Value = UInt64

    private struct Entry {
        var hash: UInt64
        var start: Int
        var length: Int
    }
    /// Positions in `entries`, or -1; a power of two long, at most half full.
    private var slots: [Int32] = []
    private var entries: [Entry] = []
    private var values: [Value] = []
    private var arena: [UInt8] = []
    private let seed: UInt64
    /// Entries at which the memo starts again from empty.
    public let limit: Int
    /// Bytes of strings at which the memo starts again from empty.
    public let byteLimit: Int

    public init(limit: Int = 1 << 18, byteLimit: Int = 8 << 20) {
        self.limit = limit
        self.byteLimit = byteLimit
        seed = UInt64.random(in: 1...UInt64.max)
    }

    public var count: Int { entries.count }

    /// The value of the string whose UTF-8 bytes are `bytes`, if it was inserted.
    public func value(for bytes: UnsafeRawBufferPointer) -> Value? {
        guard !entries.isEmpty else { return nil }
        return position(of: bytes, hash: hash(bytes)).found.map { values[$0] }
    }

    /// Remembers `value` for `string` (a string checked when it was built: only such
    /// strings may be inserted, since a hit skips the UTF-8 check).
    public mutating func insert(_ string: String, _ value: Value) {
        var s = string
        s.withUTF8 { u in insert(UnsafeRawBufferPointer(u), value) }
    }

    private mutating func insert(_ bytes: UnsafeRawBufferPointer, _ value: Value) {
        if entries.count >= limit || arena.count + bytes.count > byteLimit { removeAll() }
        if slots.count < 2 * (entries.count + 1) { grow() }
        let h = hash(bytes)
        let (found, slot) = position(of: bytes, hash: h)
        if let found { values[found] = value; return }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: h, start: arena.count, length: bytes.count))
        arena.append(contentsOf: bytes)
        values.append(value)
    }

    private mutating func removeAll() {
        slots = []
        entries.removeAll()
        values.removeAll()
        arena.removeAll()
    }

    /// The entry holding `bytes`, or the empty slot where it would go.
    @inline(__always)
    private func position(of bytes: UnsafeRawBufferPointer, hash h: UInt64) -> (found: Int?, slot: Int) {
        let mask = slots.count - 1
        return slots.withUnsafeBufferPointer { s in
            entries.withUnsafeBufferPointer { e in
                arena.withUnsafeBytes { a in
                    var i = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let k = Int(s[i])
                        if k < 0 { return (nil, i) }
                        let x = e[k]
                        if x.hash == h, x.length == bytes.count,
                           x.length == 0 || memcmp(a.baseAddress! + x.start, bytes.baseAddress!, x.length) == 0 {
                            return (k, i)
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    private mutating func grow() {
        let capacity = max(64, slots.count * 2)
        var next = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (k, x) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: x.hash) & mask
            while next[i] >= 0 { i = (i + 1) & mask }
            next[i] = Int32(k)
        }
        slots = next
    }

    /// A seeded multiply–xorshift hash over 8-byte words (the memo's keys come from the
    /// profiled service; the seed keeps a crafted profile from choosing collisions).
    @inline(__always)
    private func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        let m: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = seed ^ (UInt64(b.count) &* m)
        var i = 0
        let n = b.count
        while i + 8 <= n {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* m
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { tail |= UInt64(b[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* m
            h ^= h >> 29
        }
        h = (h ^ (h >> 32)) &* m
        return h ^ (h >> 29)
    }
}
