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

    /// The stream a profile starts: its sample types as columns (kinds as Go reports them),
    /// its period and default sample type.
    public init(describing p: Profile, service: String, profileType: String, labels: [String: String] = [:]) {
        self.init(service: service, profileType: profileType, labels: labels, columns: p.sampleTypes,
                  columnKinds: Self.goColumnKinds(p.sampleTypes), periodType: p.periodType, period: p.period,
                  defaultSampleType: p.defaultSampleType ?? "")
    }

    /// Column kinds as Go's runtime reports them: `inuse_*` and `goroutine` are gauges,
    /// everything else (cpu, samples, alloc_*, contentions, delay) is a counter.
    public static func goColumnKinds(_ columns: [ValueType]) -> [ColumnKind] {
        columns.map { c in
            (c.type.hasPrefix("inuse_") || c.type == "goroutine" || c.type == "threadcreate") ? .gauge : .counter
        }
    }
}
