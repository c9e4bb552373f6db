/// A map keyed by entry id. Ids are already hash values (FNV-1a of content), so the map
/// only scrambles them with one multiply instead of running SipHash as `Dictionary` does;
/// open addressing with linear probing over flat arrays, no per-entry allocation.
///
/// Entries are never deleted (a use count that drops to zero stays as zero): the tables
/// that use it are bounded by the dictionary of one epoch.
public struct IDMap<Value>: Sendable where Value: Sendable {
    /// 0: empty; else index + 1 into `keys`/`values`.
    private var slots: [Int32] = []
    /// Keys and values in insertion order.
    public private(set) var keys: [EntryID] = []
    public private(set) var values: [Value] = []
    private var shift: UInt64 = 64

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    @inline(__always)
    private func home(_ id: EntryID) -> Int { Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    private func find(_ id: EntryID) -> (slot: Int, index: Int) {
        let mask = slots.count - 1
        var i = home(id)
        while true {
            let s = Int(slots[i])
            if s == 0 || keys[s - 1] == id { return (i, s - 1) }
            i = (i + 1) & mask
        }
    }

    public subscript(id: EntryID) -> Value? {
        guard !slots.isEmpty else { return nil }
        let (_, index) = find(id)
        return index < 0 ? nil : values[index]
    }

    /// The value for `id`, or `fallback` when absent.
    @inline(__always)
    func value(_ id: EntryID, default fallback: Value) -> Value { self[id] ?? fallback }

    /// Sets the value of `id`, inserting it when absent.
    mutating func set(_ id: EntryID, _ value: Value) {
        if slots.isEmpty { resize(64) }
        let (slot, index) = find(id)
        if index >= 0 { values[index] = value; return }
        keys.append(id)
        values.append(value)
        slots[slot] = Int32(keys.count)
        if keys.count * 4 > slots.count * 3 { resize(slots.count * 2) }
    }

    private mutating func resize(_ capacity: Int) {
        slots = [Int32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        let mask = capacity - 1
        for (k, id) in keys.enumerated() {
            var i = home(id)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = Int32(k + 1)
        }
    }
}

/// What a use count did: went from zero to non-zero, back to zero, or neither.
enum UseChange { case appeared, disappeared, stayed }

extension IDMap where Value == Int32 {
    /// Adds `delta` to the use count of `id` (absent counts as 0).
    mutating func count(_ id: EntryID, by delta: Int32) -> UseChange {
        let old = value(id, default: 0)
        let n = old + delta
        set(id, n)
        return old == 0 && n != 0 ? .appeared : (n == 0 && old != 0 ? .disappeared : .stayed)
    }
}
