/// Choosing which value column of a profile to show.

/// How the user named a value column: by type name (`alloc_space`) or by position.
public enum SampleIndexSelector: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case number(Int)

    /// Parses a command-line value: a decimal number selects by position, anything else by name.
    public init(parsing text: String) {
        if let n = Int(text) { self = .number(n) } else { self = .name(text) }
    }

    public var description: String {
        switch self {
        case .name(let n): return n
        case .number(let i): return String(i)
        }
    }
}

/// Errors about the shape of a profile, with messages a user can act on.
public enum ProfileError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownSampleType(requested: String, available: [ValueType])
    case sampleIndexOutOfRange(index: Int, count: Int)
    case noSampleTypes
    case incompatibleSampleTypes(first: [ValueType], other: [ValueType], otherIndex: Int)
    case incompatiblePeriodTypes(first: ValueType?, other: ValueType?, otherIndex: Int)
    case nothingToMerge

    public var description: String {
        switch self {
        case .unknownSampleType(let requested, let available):
            return "no sample type named '\(requested)'; this profile has: "
                + available.enumerated().map { "\($0.offset)=\($0.element.type)" }.joined(separator: ", ")
        case .sampleIndexOutOfRange(let index, let count):
            return "sample index \(index) is out of range: the profile has \(count) sample type\(count == 1 ? "" : "s") (0..\(max(count - 1, 0)))"
        case .noSampleTypes:
            return "the profile declares no sample types"
        case .incompatibleSampleTypes(let first, let other, let i):
            return "cannot merge: input \(i + 1) has sample types [\(other.map(\.description).joined(separator: ", "))] but input 1 has [\(first.map(\.description).joined(separator: ", "))]"
        case .incompatiblePeriodTypes(let first, let other, let i):
            return "cannot merge: input \(i + 1) has period type \(other?.description ?? "none") but input 1 has \(first?.description ?? "none")"
        case .nothingToMerge:
            return "no profiles to merge"
        }
    }
}

extension Profile {
    /// Resolves a selector to a column index.
    ///
    /// With no selector this does what `go tool pprof` does: the column named by
    /// `defaultSampleType` if there is one, else the last column.
    public func sampleIndex(_ selector: SampleIndexSelector?) throws(ProfileError) -> Int {
        guard !sampleTypes.isEmpty else { throw .noSampleTypes }
        switch selector {
        case nil:
            if let d = defaultSampleType, let i = sampleTypes.lastIndex(where: { $0.type == d }) { return i }
            return sampleTypes.count - 1
        case .number(let i):
            guard sampleTypes.indices.contains(i) else {
                throw .sampleIndexOutOfRange(index: i, count: sampleTypes.count)
            }
            return i
        case .name(let name):
            if let i = sampleTypes.firstIndex(where: { $0.type == name }) { return i }
            // pprof accepts "sample_index=inuse" meaning inuse_space etc.; accept a unique prefix.
            let candidates = sampleTypes.indices.filter { sampleTypes[$0].type.hasPrefix(name) }
            if candidates.count == 1 { return candidates[0] }
            throw .unknownSampleType(requested: name, available: sampleTypes)
        }
    }
}
