/// Open-addressing hash tables specialised for building flame trees quickly.

/// Maps (parent node, name) to a child node. Keys are packed into one UInt64.
///
/// Key and value share one 16-byte slot, so a probe touches one cache line: with tens of
/// millions of nodes nearly every probe misses the cache, and that miss is the cost.
struct ChildTable {
    private struct Slot {
        var key: UInt64
        var value: Int32
    }

    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int = 1 << 12) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        slots = [Slot](repeating: Slot(key: Self.empty, value: 0), count: cap)
        mask = cap - 1
    }

    @inline(__always)
    static func key(parent: Int32, name: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: parent)) << 32 | UInt64(UInt32(bitPattern: name))
    }

    @inline(__always)
    static func slot(_ key: UInt64, _ mask: Int) -> Int {
        // Fibonacci hashing spreads the packed key's bits.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29) & mask
    }

    /// Makes room for `n` entries without rehashing on the way.
    mutating func reserve(_ n: Int) {
        guard n * 4 > (mask + 1) * 3 else { return }
        var cap = mask + 1
        while n * 4 > cap * 3 { cap <<= 1 }
        rehash(to: cap)
    }

    /// Returns the child for `key`, or inserts `newValue()` and returns it.
    @inline(__always)
    mutating func findOrInsert(_ key: UInt64, _ newValue: () -> Int32) -> Int32 {
        var i = Self.slot(key, mask)
        let found: Int32? = slots.withUnsafeBufferPointer { b in
            while true {
                let k = b[i].key
                if k == key { return b[i].value }
                if k == Self.empty { return nil }
                i = (i + 1) & mask
            }
        }
        if let found { return found }
        let v = newValue()
        slots[i] = Slot(key: key, value: v)
        count += 1
        if count * 4 > (mask + 1) * 3 { rehash(to: (mask + 1) * 2) }
        return v
    }

    private mutating func rehash(to cap: Int) {
        let old = slots
        slots = [Slot](repeating: Slot(key: Self.empty, value: 0), count: cap)
        mask = cap - 1
        for s in old where s.key != Self.empty {
            var i = Self.slot(s.key, mask)
            while slots[i].key != Self.empty { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}

/// Interns byte strings: equal bytes get the same small integer id.
struct NameTable {
    private var slots: [Int32]  // -1 empty, else name id
    private var hashes: [UInt64] = []  // per name id
    private var starts: [Int] = []  // per name id, offset into arena
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []
    private var mask: Int
    var count: Int { starts.count }

    init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
        arena.reserveCapacity(1 << 16)
    }

    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        // FNV-1a over 8-byte words, then a final mix: fast for short names.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x100_0000_01b3
        h ^= h >> 32
        h = h &* 0xd6e8_feb8_6659_fd93
        h ^= h >> 32
        return h
    }

    /// Returns the id of the name in `p[0..<n]`, and whether it was new.
    @inline(__always)
    mutating func intern(_ p: UnsafeRawPointer, _ n: Int) -> (id: Int32, isNew: Bool) {
        let h = Self.hash(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            if hashes[Int(id)] == h, lengths[Int(id)] == n, equal(Int(id), p, n) { return (id, false) }
            i = (i + 1) & mask
        }
        let id = Int32(starts.count)
        slots[i] = id
        hashes.append(h)
        starts.append(arena.count)
        lengths.append(Int32(n))
        arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        if starts.count * 2 > mask + 1 { grow() }
        return (id, true)
    }

    @inline(__always)
    private func equal(_ id: Int, _ p: UnsafeRawPointer, _ n: Int) -> Bool {
        arena.withUnsafeBytes { a in memcmp(a.baseAddress! + starts[id], p, n) == 0 }
    }

    private mutating func grow() {
        let cap = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for id in hashes.indices {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// Bytes of name `id`.
    func bytes(_ id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<(starts[id] + Int(lengths[id]))] }

    /// All names as Strings (invalid UTF-8 was rejected at insertion by the caller).
    func strings() -> [String] {
        starts.indices.map { String(decoding: bytes($0), as: UTF8.self) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
