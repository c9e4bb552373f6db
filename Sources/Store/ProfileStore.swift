import Profile
import WireCodec

/// One decoded window handed to the store: whose stream, the agent's cumulative state after
/// it, and the dictionary entries the store does not hold yet that the state reaches.
public struct WindowRecord: Sendable {
    /// The agent's public key (base64): with the info, the stream's identity.
    public var agent: String
    public var info: StreamInfo
    /// The window's end on the agent's clock, nanoseconds since 1970.
    public var timeNanos: Int64
    public var durationNanos: Int64
    /// The window's sequence number in the agent's connection (for the log and ACKs only).
    public var seq: UInt32
    /// The agent's cumulative state after the window.
    public var state: StreamState
    public var entries: [StoredEntry]
    /// The decoder's mark of `state`, and `state` minus an earlier decoded state of the same
    /// receiver with that state's mark: when the store last took that very state, the
    /// increment is its delta (the changed rows, without comparing every row).
    public var mark: StateMark?
    public var change: (from: StateMark, increment: StreamState)?

    public init(agent: String, info: StreamInfo, timeNanos: Int64, durationNanos: Int64, seq: UInt32, state: StreamState, entries: [StoredEntry],
                mark: StateMark? = nil, change: (from: StateMark, increment: StreamState)? = nil) {
        (self.agent, self.info, self.timeNanos, self.durationNanos, self.seq, self.state, self.entries, self.mark, self.change) =
            (agent, info, timeNanos, durationNanos, seq, state, entries, mark, change)
    }
}

/// What `append` made of one record.
public struct AppendOutcome: Sendable, Equatable {
    /// The agent's counters had gone down: a new lineage of the stream began (the service restarted).
    public var reset: Bool
    /// Bytes the window took in the store.
    public var bytes: Int
}

/// A stored stream: its identity, extent and size.
public struct StoredStream: Sendable, Equatable {
    public var id: Int64
    /// The store's row of the stream's agent (whose dictionary renders it).
    var agentRow: Int64 = 0
    public var agent: String
    public var info: StreamInfo
    public var firstNanos: Int64
    public var lastNanos: Int64
    public var windows: Int64
}

/// A time range of window end times: `(from, to]`, nanoseconds since 1970.
public struct TimeRange: Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    public init(from: Int64, to: Int64) { (self.from, self.to) = (from, to) }
    public static let all = TimeRange(from: Int64.min, to: Int64.max)
}

/// Disk use of one agent on one UTC day (windows and checkpoints, as stored).
public struct UsageRow: Sendable, Equatable {
    public var agent: String
    /// yyyy-mm-dd (UTC).
    public var day: String
    public var bytes: Int64
    public var windows: Int64
}

/// What a retention pass removed.
public struct PruneReport: Sendable, Equatable {
    public var windows: Int
    public var checkpoints: Int
    public var streams: Int
}

/// A stream's profile over a range, ready to merge and render.
public struct RangeProfile: Sendable {
    public var stream: StoredStream
    public var profile: Profile
    /// Windows stored in the range.
    public var windows: Int64
}

/// Where the collector keeps windows: SQLite for one collector, ClickHouse for many
/// (Protocol/STORE.md). A window `append` returned from is durable: the collector reports
/// it to the agent as such only then.
public protocol ProfileStore: Sendable {
    /// Stores windows in one transaction: all of them or none (then it throws).
    func append(_ records: [WindowRecord]) throws(StoreError) -> [AppendOutcome]
    /// Every stored stream.
    func streams() throws(StoreError) -> [StoredStream]
    /// The streams `include` accepts, each aggregated over `range`.
    func profiles(where include: (StoredStream) -> Bool, range: TimeRange, aggregation: GaugeAggregation) throws(StoreError) -> [RangeProfile]
    /// Removes what ended before `cutoff` (keeping what later ranges need).
    func prune(before cutoff: Int64) throws(StoreError) -> PruneReport
    /// Disk use per agent per day.
    func usage() throws(StoreError) -> [UsageRow]
}

/// A stream's identity (Protocol/STORE.md §1), the same in every backend: agent key,
/// service, profile type, labels (sorted `k=v`) and columns (`type/unit`), joined by U+001F.
func streamIdentity(agent: String, info: StreamInfo) -> String {
    var parts = [agent, info.service, info.profileType]
    parts.append(info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
    parts.append(info.columns.map { "\($0.type)/\($0.unit)" }.joined(separator: ","))
    return parts.joined(separator: "\u{1f}")
}
