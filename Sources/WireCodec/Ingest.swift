import Foundation
import Profile

/// How a profile source reports its values.
public enum IngestMode: Sendable {
    /// Each profile holds only what happened in its window (Go CPU profiles): it is added
    /// to the state.
    case delta
    /// Each profile holds totals since the process started (Go heap, allocs, mutex, block)
    /// or current levels (goroutine): it replaces the state.
    case snapshot
}

/// Errors about the profiles fed into a stream.
public enum StreamError: Error, Equatable, CustomStringConvertible, Sendable {
    case columnsChanged(expected: [ValueType], got: [ValueType])
    /// The stream has no columns or more than a receiver accepts (SPEC.md §2, MAX_COLUMNS).
    case columnCount(Int, limit: Int)
    /// A sample has more frames than a receiver accepts (MAX_DEPTH).
    case stackTooDeep(depth: Int, limit: Int)
    /// The state would hold more values than a receiver accepts (MAX_STATE_VALUES).
    case stateTooLarge(values: Int, limit: Int)
    /// A keyframe of the state would define more frames than a receiver accepts in one
    /// window (MAX_WINDOW_FRAMES).
    case tooManyFrames(Int, limit: Int)

    public var description: String {
        switch self {
        case .columnsChanged(let e, let g):
            return "the profile's sample types [\(g.map(\.description).joined(separator: ", "))] differ from the stream's [\(e.map(\.description).joined(separator: ", "))]; start a new stream"
        case .columnCount(let n, let limit):
            return "the stream has \(n) sample types; a receiver accepts 1 to \(limit)"
        case .stackTooDeep(let d, let limit):
            return "a sample has \(d) frames; a receiver accepts at most \(limit): trim the stacks at the source"
        case .stateTooLarge(let v, let limit):
            return "the stream's state would hold \(v) values (stacks × sample types); a receiver accepts at most \(limit): split the stream or start a new one"
        case .tooManyFrames(let n, let limit):
            return "the stream's stacks hold \(n) frames in all; one window carries at most \(limit): split the stream"
        }
    }
}

extension WireDictionary {
    /// Interns every sample of `profile` and returns its values summed per stack: the
    /// state a snapshot profile stands for. `cache` remembers stacks across calls, so a
    /// stack seen before costs one probe instead of a content hash (sender side only; a
    /// cache belongs to this dictionary and must be reset when the dictionary is replaced).
    public mutating func state(of profile: Profile, cache: inout StackCache) -> StreamState {
        let columns = profile.sampleTypes.count
        var functionIDs: [EntryID] = []
        functionIDs.reserveCapacity(profile.functions.count)
        for f in profile.functions {
            let name = intern(string: f.name)
            let system = sameUTF8(f.systemName, f.name) ? name : intern(string: f.systemName)
            functionIDs.append(intern(function: FunctionEntry(name: name, systemName: system,
                                                              filename: intern(string: f.filename), startLine: f.startLine)))
        }
        let locationIDs = profile.locations.map { l in
            intern(location: LocationEntry(
                lines: l.lines.map { LineEntry(function: functionIDs[$0.function], line: $0.line) },
                address: l.lines.isEmpty ? l.address : 0))
        }
        var recent = RecentStrings()
        var frameBuffer = [EntryID](repeating: 0, count: 256)
        var labels: [LabelEntry] = []
        // Samples are summed per stack as they come: `sums` holds one row per distinct
        // stack, in order of first appearance; `rowEntries` names each row's cache entry.
        var rowEntries: [Int32] = []
        var sums: [Int64] = []
        sums.reserveCapacity(profile.samples.count * columns)
        cache.beginIngest()
        cache.reserve(cache.count + profile.samples.count)
        let samples = profile.samples
        for i in samples.indices {
            let locs = samples[i].locations
            let n = locs.count
            if frameBuffer.count < n { frameBuffer = [EntryID](repeating: 0, count: 2 * n) }
            // Root first: the reverse of pprof's leaf-first order.
            frameBuffer.withUnsafeMutableBufferPointer { fb in
                locs.withUnsafeBufferPointer { lb in
                    locationIDs.withUnsafeBufferPointer { ids in
                        for k in 0..<n { fb[k] = ids[lb[n - 1 - k]] }
                    }
                }
            }
            labels.removeAll(keepingCapacity: true)
            for label in samples[i].labels {
                let key = recent.id(label.key, &self)
                switch label.value {
                case .string(let v): labels.append(LabelEntry(key: key, value: .string(recent.id(v, &self))))
                case .number(let n, let unit): labels.append(LabelEntry(key: key, value: .number(n, unit: recent.id(unit, &self))))
                }
            }
            if labels.count > 1 { labels.sort() }
            let e = frameBuffer.withUnsafeBufferPointer { fb in
                cache.entry(frames: UnsafeBufferPointer(rebasing: fb[0 ..< n]), labels: labels, dictionary: &self)
            }
            let v = samples[i].values
            let r = cache.row(of: e)
            if r < 0 {
                cache.setRow(of: e, rowEntries.count)
                rowEntries.append(Int32(e))
                for c in 0..<columns { sums.append(v[c]) }
            } else {
                for c in 0..<columns { sums[r * columns + c] &+= v[c] }
            }
        }
        // Emit the rows in stack id order. The cache keeps its entries sorted by id, so
        // while it is not much larger than the profile a walk over it replaces a sort.
        var order: [Int32]
        if cache.count <= 8 * rowEntries.count + 1024 {
            order = cache.sortedEntries()
        } else {
            order = rowEntries
            order.sort { cache.stackID(Int($0)) < cache.stackID(Int($1)) }
        }
        var ids: [EntryID] = []
        var cells: [Int64] = []
        ids.reserveCapacity(rowEntries.count)
        cells.reserveCapacity(sums.count)
        for e in order {
            let r = cache.row(of: Int(e))
            if r < 0 { continue }
            ids.append(cache.stackID(Int(e)))
            for c in 0..<columns { cells.append(sums[r * columns + c]) }
        }
        return StreamState(columns: columns, sortedIDs: ids, cells: cells)
    }

    /// `state(of:cache:)` without a cache kept between calls.
    public mutating func state(of profile: Profile) -> StreamState {
        var cache = StackCache()
        return state(of: profile, cache: &cache)
    }

    /// Rebuilds a profile from a state: what the collector stores and renders.
    public func profile(of state: StreamState, info: StreamInfo, timeNanos: Int64 = 0, durationNanos: Int64 = 0) -> Profile {
        var p = Profile(sampleTypes: info.columns, defaultSampleType: info.defaultSampleType.isEmpty ? nil : info.defaultSampleType,
                        periodType: info.periodType, period: info.period, timeNanos: timeNanos, durationNanos: durationNanos)
        var functionIndex: [EntryID: Int] = [:]
        var locationIndex: [EntryID: Int] = [:]
        func string(_ id: EntryID) -> String { strings[id] ?? "" }
        func location(_ id: EntryID) -> Int {
            if let i = locationIndex[id] { return i }
            let l = locations[id] ?? LocationEntry(lines: [], address: 0)
            let lines = l.lines.map { line -> Line in
                let f: Int
                if let i = functionIndex[line.function] { f = i } else {
                    let fe = functions[line.function] ?? FunctionEntry(name: emptyString, systemName: emptyString, filename: emptyString, startLine: 0)
                    f = p.functions.count
                    p.functions.append(Function(name: string(fe.name), systemName: string(fe.systemName), filename: string(fe.filename), startLine: fe.startLine))
                    functionIndex[line.function] = f
                }
                return Line(function: f, line: line.line)
            }
            let i = p.locations.count
            p.locations.append(Location(address: l.address, lines: lines))
            locationIndex[id] = i
            return i
        }
        for (r, id) in state.ids.enumerated() {
            guard let stack = stacks[id] else { continue }
            let v = Array(state.values(row: r))
            let labels = stack.labels.map { l -> Label in
                switch l.value {
                case .string(let s): return Label(key: string(l.key), string: string(s))
                case .number(let n, let unit): return Label(key: string(l.key), number: n, unit: string(unit))
                }
            }
            p.samples.append(Sample(locations: stack.locations.reversed().map(location), values: v, labels: labels))
        }
        return p
    }
}

/// Label keys and values repeat on every sample ("bytes" on each heap sample): the last
/// few are kept, so most lookups skip the dictionary's string hash.
///
/// Ids name bytes, so a hit must have the same bytes, not just Swift's canonical
/// equivalence. For an ASCII text, `==` with the same UTF-8 length implies the same bytes
/// (a non-ASCII scalar equivalent to ASCII, such as U+212A KELVIN SIGN, is longer than
/// what it stands for), and `==` on identical small strings is a register compare.
struct RecentStrings {
    private var texts: [String] = []
    private var lengths: [Int] = []
    private var ascii: [Bool] = []
    private var ids: [EntryID] = []
    private var next = 0
    private var last = 0

    @inline(__always)
    private func matches(_ k: Int, _ s: String, _ n: Int) -> Bool {
        lengths[k] == n && texts[k] == s && (ascii[k] || sameUTF8(texts[k], s))
    }

    mutating func id(_ s: String, _ d: inout WireDictionary) -> EntryID {
        if s.isEmpty { return d.emptyString }
        let n = s.utf8.count
        if last < texts.count, matches(last, s, n) { return ids[last] }
        for k in texts.indices where matches(k, s, n) { last = k; return ids[k] }
        let id = d.intern(string: s)
        let isASCII = s.utf8.allSatisfy { $0 < 0x80 }
        if texts.count < 8 {
            texts.append(s); lengths.append(n); ascii.append(isASCII); ids.append(id)
        } else {
            texts[next] = s; lengths[next] = n; ascii[next] = isASCII; ids[next] = id
            next = (next + 1) % 8
        }
        return id
    }
}

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
