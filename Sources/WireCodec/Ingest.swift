import Pprof
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
    /// A state set directly names a stack this epoch's dictionary does not hold.
    case unknownStack(EntryID)
    /// A pprof profile ingested from its bytes is malformed (what and where).
    case badProfile(PprofError)

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
        case .badProfile(let e):
            return "malformed pprof profile: \(e)"
        case .unknownStack(let id):
            return "stack \(String(id, radix: 16)) is not in the stream's dictionary (its epoch changed): ingest the profile again"
        }
    }
}

extension WireDictionary {
    /// Interns every sample of `profile` and returns its values summed per stack (the
    /// state a snapshot profile stands for), the frames of those stacks in all, and the
    /// deepest sample's frames. `cache` remembers stacks across calls, so a stack seen
    /// before costs one probe instead of a content hash (sender side only; a cache belongs
    /// to this dictionary and must be reset when the dictionary is replaced).
    public mutating func state(of profile: Profile, cache: inout StackCache) -> (state: StreamState, frames: Int, depth: Int) {
        var functionIDs: [EntryID] = []
        functionIDs.reserveCapacity(profile.functions.count)
        for f in profile.functions { functionIDs.append(intern(function: f)) }
        let locationIDs = profile.locations.map { intern(location: $0, functions: functionIDs) }
        var recent = RecentStrings()
        var labels: [LabelEntry] = []
        var sum = StateSums(columns: profile.sampleTypes.count, samples: profile.samples.count, cache: &cache)
        for sample in profile.samples {
            labels.removeAll(keepingCapacity: true)
            for label in sample.labels {
                let key = recent.id(label.key, &self)
                switch label.value {
                case .string(let v): labels.append(LabelEntry(key: key, value: .string(recent.id(v, &self))))
                case .number(let n, let unit): labels.append(LabelEntry(key: key, value: .number(n, unit: recent.id(unit, &self))))
                }
            }
            sample.locations.withUnsafeBufferPointer { lb in
                locationIDs.withUnsafeBufferPointer { ids in
                    sample.values.withUnsafeBufferPointer { vb in
                        sum.add(leafFirst: lb, locationIDs: ids, labels: &labels, values: vb, cache: &cache, dictionary: &self)
                    }
                }
            }
        }
        return sum.finish(cache: &cache)
    }

    /// A pprof function as a dictionary entry, its strings interned.
    mutating func intern(function f: Function) -> EntryID {
        let name = intern(string: f.name)
        let system = sameUTF8(f.systemName, f.name) ? name : intern(string: f.systemName)
        return intern(function: FunctionEntry(name: name, systemName: system, filename: intern(string: f.filename), startLine: f.startLine))
    }

    /// A pprof location as a dictionary entry; `functions` holds the entries of the
    /// profile's functions by position. Columns and mappings are not carried.
    mutating func intern(location l: Location, functions: [EntryID]) -> EntryID {
        intern(location: LocationEntry(
            lines: l.lines.map { LineEntry(function: functions[$0.function], line: $0.line) },
            address: l.lines.isEmpty ? l.address : 0))
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

/// Samples summed per stack as they come, for `state(of:)` and the pprof ingest: one row
/// per distinct stack (stack and labels), in order of first appearance, then emitted in
/// stack id order as a `StreamState`.
struct StateSums {
    let columns: Int
    private var frameBuffer = [EntryID](repeating: 0, count: 256)
    /// Each row's cache entry.
    private var rowEntries: [Int32] = []
    private var sums: [Int64] = []
    private(set) var frames = 0
    private(set) var depth = 0

    init(columns: Int, samples: Int, cache: inout StackCache) {
        self.columns = columns
        sums.reserveCapacity(samples * columns)
        cache.beginIngest()
        cache.reserve(cache.count + samples)
    }

    /// Adds one sample: its stack as positions into `locationIDs`, leaf first as pprof has
    /// it; `labels` unsorted (sorted here); `values` one per column.
    @inline(__always)
    mutating func add(leafFirst locs: UnsafeBufferPointer<Int>, locationIDs ids: UnsafeBufferPointer<EntryID>, labels: inout [LabelEntry],
                      values v: UnsafeBufferPointer<Int64>, cache: inout StackCache, dictionary: inout WireDictionary) {
        let n = locs.count
        depth = max(depth, n)
        if frameBuffer.count < n { frameBuffer = [EntryID](repeating: 0, count: 2 * n) }
        // Root first: the reverse of pprof's leaf-first order.
        frameBuffer.withUnsafeMutableBufferPointer { fb in
            for k in 0..<n { fb[k] = ids[locs[n - 1 - k]] }
        }
        if labels.count > 1 { labels.sort() }
        let e = frameBuffer.withUnsafeBufferPointer { fb in
            cache.entry(frames: UnsafeBufferPointer(rebasing: fb[0 ..< n]), labels: labels, dictionary: &dictionary)
        }
        let r = cache.row(of: e)
        if r < 0 {
            cache.setRow(of: e, rowEntries.count)
            rowEntries.append(Int32(e))
            frames += n
            for c in 0..<columns { sums.append(v[c]) }
        } else {
            for c in 0..<columns { sums[r * columns + c] &+= v[c] }
        }
    }

    /// The state of the sums, with the frames of its stacks in all and the deepest sample.
    func finish(cache: inout StackCache) -> (state: StreamState, frames: Int, depth: Int) {
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
        return (StreamState(columns: columns, sortedIDs: ids, cells: cells), frames, depth)
    }
}
