import Profile

/// What a stream is: service, profile type, identifying labels and value columns.
public struct StreamInfo: Hashable, Sendable {
    /// Whether a column accumulates (CPU time, allocations, contentions) or is a level
    /// (in-use memory, goroutine counts). Counters never lose value when a window is lost:
    /// the next delivered state carries it (SPEC.md §4.2).
    public enum ColumnKind: UInt32, Sendable { case counter = 0, gauge = 1 }

    public var service: String
    public var profileType: String
    public var labels: [String: String]
    public var columns: [ValueType]
    public var columnKinds: [ColumnKind]
    public var periodType: ValueType?
    public var period: Int64
    public var defaultSampleType: String

    public init(service: String, profileType: String, labels: [String: String] = [:], columns: [ValueType],
                columnKinds: [ColumnKind], periodType: ValueType? = nil, period: Int64 = 0, defaultSampleType: String = "") {
        precondition(columns.count == columnKinds.count, "one kind per column")
        self.service = service
        self.profileType = profileType
        self.labels = labels
        self.columns = columns
        self.columnKinds = columnKinds
        self.periodType = periodType
        self.period = period
        self.defaultSampleType = defaultSampleType
    }

    /// Column kinds as Go's runtime reports them: `inuse_*` and `goroutine` are gauges,
    /// everything else (cpu, samples, alloc_*, contentions, delay) is a counter.
    public static func goColumnKinds(_ columns: [ValueType]) -> [ColumnKind] {
        columns.map { c in
            (c.type.hasPrefix("inuse_") || c.type == "goroutine" || c.type == "threadcreate") ? .gauge : .counter
        }
    }
}

/// A stream's cumulative state: for every stack, one value per column (SPEC.md §4.2).
public struct StreamState: Equatable, Sendable {
    public var values: [EntryID: [Int64]]

    public init(values: [EntryID: [Int64]] = [:]) { self.values = values }

    /// The change from `previous` to `self`, per stack (stacks missing on one side count as
    /// zero). For counters this is the increment over the time between the two states.
    public func increment(since previous: StreamState, columns: Int) -> [EntryID: [Int64]] {
        var out: [EntryID: [Int64]] = [:]
        for (id, v) in values {
            let old = previous.values[id]
            var d = [Int64](repeating: 0, count: columns)
            var any = false
            for c in 0..<columns {
                d[c] = v[c] &- (old?[c] ?? 0)
                if d[c] != 0 { any = true }
            }
            if any { out[id] = d }
        }
        for (id, old) in previous.values where values[id] == nil {
            if old.contains(where: { $0 != 0 }) { out[id] = old.map { 0 &- $0 } }
        }
        return out
    }
}

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

    public var description: String {
        switch self {
        case .columnsChanged(let e, let g):
            return "the profile's sample types [\(g.map(\.description).joined(separator: ", "))] differ from the stream's [\(e.map(\.description).joined(separator: ", "))]; start a new stream"
        }
    }
}

extension WireDictionary {
    /// Interns every sample of `profile` and returns its values summed per stack id.
    public mutating func stackValues(of profile: Profile) -> [EntryID: [Int64]] {
        let functionIDs = profile.functions.map { f in
            intern(function: FunctionEntry(
                name: intern(string: f.name), systemName: intern(string: f.systemName),
                filename: intern(string: f.filename), startLine: f.startLine))
        }
        let locationIDs = profile.locations.map { l in
            intern(location: LocationEntry(
                lines: l.lines.map { LineEntry(function: functionIDs[$0.function], line: $0.line) },
                address: l.lines.isEmpty ? l.address : 0))
        }
        var out: [EntryID: [Int64]] = [:]
        out.reserveCapacity(profile.samples.count)
        for s in profile.samples {
            var labels = s.labels.map { label -> LabelEntry in
                switch label.value {
                case .string(let v): return LabelEntry(key: intern(string: label.key), value: .string(intern(string: v)))
                case .number(let n, let unit): return LabelEntry(key: intern(string: label.key), value: .number(n, unit: intern(string: unit)))
                }
            }
            labels.sort()
            let id = intern(stack: StackEntry(locations: s.locations.reversed().map { locationIDs[$0] }, labels: labels))
            if var v = out[id] {
                for c in v.indices { v[c] &+= s.values[c] }
                out[id] = v
            } else {
                out[id] = s.values
            }
        }
        return out
    }

    /// Rebuilds a profile from a state: what the collector stores and renders.
    public func profile(of values: [EntryID: [Int64]], info: StreamInfo, timeNanos: Int64 = 0, durationNanos: Int64 = 0) -> Profile {
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
        for id in values.keys.sorted() {
            guard let stack = stacks[id], let v = values[id] else { continue }
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
