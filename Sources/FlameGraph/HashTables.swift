/// Open-addressing hash tables specialised for building flame trees quickly.

/// Maps (parent node, name) to a child node. Keys are packed into one UInt64.
struct ChildTable {
    private var keys: [UInt64]
    private var vals: [Int32]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int = 1 << 12) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: cap)
        vals = [Int32](repeating: 0, count: cap)
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

    /// Returns the child for `key`, or inserts `newValue()` and returns it.
    @inline(__always)
    mutating func findOrInsert(_ key: UInt64, _ newValue: () -> Int32) -> Int32 {
        var i = Self.slot(key, mask)
        while true {
            let k = keys[i]
            if k == key { return vals[i] }
            if k == Self.empty {
                let v = newValue()
                keys[i] = key
                vals[i] = v
                count += 1
                if count * 4 > (mask + 1) * 3 { grow() }
                return v
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldVals = vals
        let cap = (mask + 1) * 2
        keys = [UInt64](repeating: Self.empty, count: cap)
        vals = [Int32](repeating: 0, count: cap)
        mask = cap - 1
        for j in oldKeys.indices where oldKeys[j] != Self.empty {
            var i = Self.slot(oldKeys[j], mask)
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            vals[i] = oldVals[j]
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
