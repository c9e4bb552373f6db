import Foundation

/// The sender's map from a stack's content (location ids and labels) to its stack id.
///
/// Open addressing over a 64-bit multiplicative hash of the ids, with the content kept
/// flat for the equality check: no allocation and no SipHash per sample. Misses fall
/// through to the dictionary, which computes the content id.
public struct StackCache: Sendable {
    private var slots: [Int32] = []
    private var hashes: [UInt64] = []
    private var stackIDs: [EntryID] = []
    private var frameStart: [Int] = [0]
    private var frames: [EntryID] = []
    private var labelStart: [Int] = [0]
    private var labels: [LabelEntry] = []

    public init() {}

    /// Entries cached.
    public var count: Int { stackIDs.count }

    @inline(__always)
    static func mix(_ h: UInt64, _ x: UInt64) -> UInt64 {
        let m = (h ^ x) &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }

    static func hash(_ frames: UnsafeBufferPointer<EntryID>, _ labels: [LabelEntry]) -> UInt64 {
        // A polynomial over the ids in two lanes (ids are hash values already, so one
        // multiply-add per frame mixes enough); mixed properly once at the end.
        var h = UInt64(truncatingIfNeeded: frames.count) &+ 0x51_7CC1_B727_220A, g: UInt64 = 0x2545_F491_4F6C_DD1D
        var k = 0
        while k + 1 < frames.count {
            h = h &* 0x9E37_79B9_7F4A_7C15 &+ frames[k]
            g = g &* 0xC2B2_AE3D_27D4_EB4F &+ frames[k + 1]
            k += 2
        }
        if k < frames.count { h = h &* 0x9E37_79B9_7F4A_7C15 &+ frames[k] }
        h = mix(h, g)
        for l in labels {
            h = mix(h, l.key)
            switch l.value {
            case .string(let v): h = mix(h, v)
            case .number(let n, let unit): h = mix(mix(h, UInt64(bitPattern: n) ^ 0xA5A5), unit)
            }
        }
        return mix(h, 0x94D0_49BB_1331_11EB)
    }

    /// Entries ordered by stack id; `unsorted` entries arrived since.
    private var sorted: [Int32] = []
    private var unsorted: [Int32] = []

    /// The stack id of entry `e`.
    func stackID(_ e: Int) -> EntryID { stackIDs[e] }

    /// Per entry, the row it got in the current ingest (valid when its generation is current).
    private var rows: [Int32] = []
    private var rowGeneration: [UInt32] = []
    private var generation: UInt32 = 0

    /// Starts a new ingest: every entry is without a row.
    mutating func beginIngest() {
        generation &+= 1
        if generation == 0 {
            for e in rowGeneration.indices { rowGeneration[e] = 0 }
            generation = 1
        }
    }

    /// The row of entry `e` in the current ingest, or -1.
    func row(of e: Int) -> Int { rowGeneration[e] == generation ? Int(rows[e]) : -1 }

    mutating func setRow(of e: Int, _ r: Int) {
        rows[e] = Int32(r)
        rowGeneration[e] = generation
    }

    /// All entries, ordered by stack id.
    mutating func sortedEntries() -> [Int32] {
        if unsorted.isEmpty { return sorted }
        let ids = stackIDs
        unsorted.sort { ids[Int($0)] < ids[Int($1)] }
        var merged: [Int32] = []
        merged.reserveCapacity(sorted.count + unsorted.count)
        var i = 0, j = 0
        while i < sorted.count || j < unsorted.count {
            if j == unsorted.count || (i < sorted.count && ids[Int(sorted[i])] < ids[Int(unsorted[j])]) {
                merged.append(sorted[i]); i += 1
            } else {
                merged.append(unsorted[j]); j += 1
            }
        }
        sorted = merged
        unsorted.removeAll()
        return sorted
    }

    /// The entry of this content, interning it in `dictionary` on a miss.
    mutating func entry(frames f: UnsafeBufferPointer<EntryID>, labels l: [LabelEntry], dictionary: inout WireDictionary) -> Int {
        let h = Self.hash(f, l)
        if slots.isEmpty { slots = [Int32](repeating: -1, count: 1024) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h >> 7) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { break }
            if hashes[e] == h, same(e, f, l) { return e }
            i = (i + 1) & mask
        }
        let id = dictionary.internUncached(stack: StackEntry(locations: Array(f), labels: l))
        let e = stackIDs.count
        slots[i] = Int32(e)
        unsorted.append(Int32(e))
        rows.append(-1)
        rowGeneration.append(0)
        hashes.append(h)
        stackIDs.append(id)
        frames.append(contentsOf: f)
        frameStart.append(frames.count)
        labels.append(contentsOf: l)
        labelStart.append(labels.count)
        if stackIDs.count * 2 > slots.count { grow() }
        return e
    }

    private func same(_ e: Int, _ f: UnsafeBufferPointer<EntryID>, _ l: [LabelEntry]) -> Bool {
        let f0 = frameStart[e], l0 = labelStart[e]
        guard frameStart[e + 1] - f0 == f.count, labelStart[e + 1] - l0 == l.count else { return false }
        if !f.isEmpty {
            let equal = frames.withUnsafeBufferPointer { fb in
                memcmp(fb.baseAddress! + f0, f.baseAddress!, f.count * MemoryLayout<EntryID>.size) == 0
            }
            if !equal { return false }
        }
        for k in 0..<l.count where labels[l0 + k] != l[k] { return false }
        return true
    }

    /// Makes room for `n` entries without rehashing on the way (the table stays at most
    /// half full).
    mutating func reserve(_ n: Int) {
        var capacity = max(slots.count, 1024)
        while n * 2 > capacity { capacity *= 2 }
        if capacity != slots.count { rehash(capacity) }
    }

    private mutating func grow() { rehash(slots.count * 2) }

    private mutating func rehash(_ capacity: Int) {
        slots = [Int32](repeating: -1, count: capacity)
        let mask = slots.count - 1
        for (e, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h >> 7) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }
}
