/// Merging profiles.

/// Which sample labels take part in merging.
public enum LabelPolicy: Sendable, Equatable {
    /// Keep every label: samples merge only when all their labels are equal.
    case all
    /// Drop all labels: samples merge whenever their stacks are equal.
    case none
    /// Keep only labels with these keys.
    case only(Set<String>)

    @inlinable func keeps(_ key: String) -> Bool {
        switch self {
        case .all: return true
        case .none: return false
        case .only(let keys): return keys.contains(key)
        }
    }
}

extension Profile {
    /// Merges any number of profiles into one.
    ///
    /// Samples are identified by their stack and their kept labels, never by ids: two
    /// locations are the same when their lines name the same function (name, system name,
    /// file, start line) at the same line number, so profiles from different processes or
    /// binaries merge correctly. Values of equal samples are summed (saturating at the
    /// Int64 limits rather than wrapping).
    ///
    /// All inputs must have the same sample types (type and unit, in order) and the same
    /// period type, else `ProfileError` names both sets. When periods or durations differ,
    /// this does what `go tool pprof -proto` does, because values in pprof are already
    /// absolute (nanoseconds, bytes, counts) and need no rescaling: `period` becomes the
    /// largest input period, `timeNanos` the earliest non-zero start, and `durationNanos`
    /// the sum of the input durations (so back-to-back windows of one process give their
    /// total span, and per-second rates stay right). Comments are concatenated without
    /// duplicates; the default sample type is the first input's.
    public static func merge(_ profiles: [Profile], labels: LabelPolicy = .all) throws(ProfileError) -> Profile {
        guard let first = profiles.first else { throw .nothingToMerge }
        for (i, p) in profiles.enumerated().dropFirst() {
            if p.sampleTypes != first.sampleTypes {
                throw .incompatibleSampleTypes(first: first.sampleTypes, other: p.sampleTypes, otherIndex: i)
            }
            if p.periodType != first.periodType, p.periodType != nil, first.periodType != nil {
                throw .incompatiblePeriodTypes(first: first.periodType, other: p.periodType, otherIndex: i)
            }
        }
        var builder = ProfileBuilder(sampleTypes: first.sampleTypes)
        var out = Profile(sampleTypes: first.sampleTypes, defaultSampleType: first.defaultSampleType)
        var seenComments = Set<String>()
        for p in profiles {
            out.periodType = out.periodType ?? p.periodType
            out.period = max(out.period, p.period)
            if p.timeNanos != 0 { out.timeNanos = out.timeNanos == 0 ? p.timeNanos : min(out.timeNanos, p.timeNanos) }
            out.durationNanos = out.durationNanos.addingReportingOverflow(p.durationNanos).overflow
                ? .max : out.durationNanos + p.durationNanos
            for c in p.comments where seenComments.insert(c).inserted { out.comments.append(c) }
            if out.dropFrames.isEmpty { out.dropFrames = p.dropFrames }
            if out.keepFrames.isEmpty { out.keepFrames = p.keepFrames }
            builder.add(p, labels: labels)
        }
        builder.finish(into: &out)
        return out
    }
}

/// Accumulates samples from several profiles, deduplicating functions, locations,
/// mappings and samples by content.
public struct ProfileBuilder: Sendable {
    struct FunctionKey: Hashable { var name, systemName, filename: String; var startLine: Int64 }
    struct LineKey: Hashable { var function: Int; var line: Int64; var column: Int64 }
    struct SampleKey: Hashable { var locations: [Int]; var labels: [Label] }

    let width: Int
    var mappings: [Mapping] = []
    var mappingIndex: [Mapping: Int] = [:]
    var functions: [Function] = []
    var functionIndex: [FunctionKey: Int] = [:]
    var locations: [Location] = []
    var locationIndex: [[LineKey]: Int] = [:]
    var addressLocationIndex: [UInt64: Int] = [:]
    var samples: [Sample] = []
    var sampleIndex: [SampleKey: Int] = [:]

    public init(sampleTypes: [ValueType]) { self.width = sampleTypes.count }

    /// Adds every sample of `profile`, whose sample types must match the builder's.
    public mutating func add(_ profile: Profile, labels policy: LabelPolicy) {
        precondition(profile.sampleTypes.count == width, "sample types were checked by the caller")
        var mapMap = [Int](repeating: -1, count: profile.mappings.count)
        for (i, m) in profile.mappings.enumerated() {
            if let j = mappingIndex[m] { mapMap[i] = j } else {
                mapMap[i] = mappings.count
                mappingIndex[m] = mappings.count
                mappings.append(m)
            }
        }
        var funcMap = [Int](repeating: -1, count: profile.functions.count)
        for (i, f) in profile.functions.enumerated() {
            let key = FunctionKey(name: f.name, systemName: f.systemName, filename: f.filename, startLine: f.startLine)
            if let j = functionIndex[key] { funcMap[i] = j } else {
                funcMap[i] = functions.count
                functionIndex[key] = functions.count
                functions.append(f)
            }
        }
        var locMap = [Int](repeating: -1, count: profile.locations.count)
        for (i, l) in profile.locations.enumerated() {
            let lines = l.lines.map { Line(function: funcMap[$0.function], line: $0.line, column: $0.column) }
            if lines.isEmpty {
                // Unsymbolized: identified by address within the mapping's file.
                if let j = addressLocationIndex[l.address] { locMap[i] = j; continue }
                addressLocationIndex[l.address] = locations.count
            } else {
                let key = lines.map { LineKey(function: $0.function, line: $0.line, column: $0.column) }
                if let j = locationIndex[key] { locMap[i] = j; continue }
                locationIndex[key] = locations.count
            }
            locMap[i] = locations.count
            locations.append(Location(mapping: l.mapping.map { mapMap[$0] }, address: l.address, lines: lines, isFolded: l.isFolded))
        }
        for s in profile.samples {
            let locs = s.locations.map { locMap[$0] }
            var kept = s.labels.filter { policy.keeps($0.key) }
            kept.sort()
            let key = SampleKey(locations: locs, labels: kept)
            if let j = sampleIndex[key] {
                for v in 0..<width {
                    let (r, o) = samples[j].values[v].addingReportingOverflow(s.values[v])
                    samples[j].values[v] = o ? (s.values[v] > 0 ? .max : .min) : r
                }
            } else {
                sampleIndex[key] = samples.count
                samples.append(Sample(locations: locs, values: s.values, labels: kept))
            }
        }
    }

    /// Moves the accumulated tables into `profile`.
    public func finish(into profile: inout Profile) {
        profile.mappings = mappings
        profile.functions = functions
        profile.locations = locations
        profile.samples = samples
    }
}
