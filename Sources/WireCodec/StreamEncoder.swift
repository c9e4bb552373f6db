import WireLimits
import Pprof
import Profile

/// The sender side of one stream: keeps the cumulative state, the states of windows in
/// flight, and the newest state the receiver acknowledged, and encodes each window as the
/// change against that base (Quake III's snapshot model; SPEC.md §4).
///
/// Sans-IO: profiles and acknowledgements in, payload bytes out. No clock, no socket.
public struct StreamEncoder: Sendable {
    public let stream: UInt32
    public private(set) var info: StreamInfo
    public private(set) var dictionary: WireDictionary
    public private(set) var state: StreamState
    public private(set) var epoch: UInt32 = 1
    /// Sequence number of the last window encoded (0 before the first, and at the start of
    /// an epoch that follows a wrap).
    public private(set) var lastSeq: UInt32 = 0
    /// Sequence number of the base the next window will use (0: keyframe).
    public var baseSeq: UInt32 { base?.seq ?? 0 }
    /// The last sequence number a stream uses before it wraps into a new epoch that starts
    /// again at 1 (SPEC.md §4.6; 16 years of windows at 120 ms).
    public var maxSeq: UInt32 = .max
    /// A new epoch (a keyframe with a fresh dictionary) starts when the dictionary holds
    /// more entries than this, bounding memory at both ends.
    public var maxDictionaryEntries: Int

    private var inFlight: [(seq: UInt32, epoch: UInt32, state: StreamState)] = []
    private var base: (seq: UInt32, state: StreamState, tables: BaseTables, context: ChildIndex?)?
    /// Whether windows name base locations by calling context (SPEC.md §5.3).
    public var frameContext: FrameContext = .auto
    private var newEpochPending = false
    /// Stack ids of content seen in this epoch (reset with the dictionary).
    private var stackCache = StackCache()
    /// The last pprof snapshot's tables, interned in this epoch (reset with the dictionary).
    private var pprofTables: PprofTableCache?
    /// The dictionary entries of the strings pprof snapshots brought, by their bytes (reset
    /// with the dictionary, whose compaction may drop them).
    private var pprofStrings = PprofStringMemo()
    /// How many pprof snapshots had their tables decoded and interned (the rest reused the
    /// previous snapshot's): for tests and the agent's benchmark.
    public private(set) var pprofTableDecodes = 0
    /// How many strings of decoded pprof tables were found in the stream's memo by their
    /// bytes (not checked, built or interned again): for tests and benchmarks.
    public private(set) var pprofKnownStrings = 0

    /// `firstEpoch`: the epoch of the stream's first keyframe. An agent starts each stream at
    /// a random epoch (SPEC.md §4.6), so a restarted agent's keyframes reset the collector's
    /// stream instead of landing among the previous run's windows.
    public init(stream: UInt32, info: StreamInfo, hasher: ContentHasher = ContentHasher(), maxDictionaryEntries: Int = 2_000_000,
                firstEpoch: UInt32 = 1) {
        self.stream = stream
        self.epoch = firstEpoch
        self.info = info
        self.dictionary = WireDictionary(hasher: hasher)
        self.maxDictionaryEntries = maxDictionaryEntries
        state = StreamState(columns: info.columns.count)
    }

    /// Adds a profile to the cumulative state: `.delta` adds it, `.snapshot` replaces the state.
    ///
    /// Refuses (and leaves the state as it was) a profile that would make a window every
    /// receiver must reject: too many columns, a stack deeper than MAX_DEPTH, or a state
    /// beyond MAX_STATE_VALUES or MAX_WINDOW_FRAMES (SPEC.md §2).
    public mutating func ingest(_ profile: Profile, mode: IngestMode) throws(StreamError) {
        guard profile.sampleTypes == info.columns else { throw .columnsChanged(expected: info.columns, got: profile.sampleTypes) }
        let columns = info.columns.count
        guard columns >= 1, columns <= WireLimits.maxColumns else { throw .columnCount(columns, limit: WireLimits.maxColumns) }
        let (values, valueFrames, depth) = dictionary.state(of: profile, cache: &stackCache)
        try accept(values, frames: valueFrames, depth: depth, mode: mode)
    }

    /// `ingest` for a pprof profile read straight from its bytes: the same state as
    /// `ingest(snapshot.profile(), mode:)`, without the `Profile` model, and with the
    /// tables decoded and interned only when they differ from the previous snapshot's
    /// (what an agent polling a Go service sees most of the time). A malformed profile is
    /// refused with `.badProfile` and leaves the state as it was.
    public mutating func ingest(pprof snapshot: PprofSnapshot, mode: IngestMode) throws(StreamError) {
        var tables: PprofTableCache
        do { tables = try PprofTableCache.tables(of: snapshot, reusing: pprofTables, memo: &pprofStrings, dictionary: &dictionary) } catch {
            throw .badProfile(error)
        }
        if !tables.isReused {
            pprofTableDecodes += 1
            pprofKnownStrings += tables.tables.knownCount
        }
        let sampleTypes = tables.tables.sampleTypes
        guard sampleTypes == info.columns else { throw .columnsChanged(expected: info.columns, got: sampleTypes) }
        let columns = info.columns.count
        guard columns >= 1, columns <= WireLimits.maxColumns else { throw .columnCount(columns, limit: WireLimits.maxColumns) }
        pprofTables = nil  // (so `tables` is the only reference to its string ids)
        let result: (state: StreamState, frames: Int, depth: Int)
        do { result = try dictionary.state(of: snapshot, tables: &tables, memo: &pprofStrings, cache: &stackCache) } catch {
            pprofTables = tables
            throw .badProfile(error)
        }
        pprofTables = tables
        try accept(result.state, frames: result.frames, depth: result.depth, mode: mode)
    }

    /// The checks and bookkeeping after a profile became `values`: see `ingest`.
    private mutating func accept(_ values: StreamState, frames valueFrames: Int, depth: Int, mode: IngestMode) throws(StreamError) {
        let columns = info.columns.count
        // (What a refused profile interned stays in the dictionary unreferenced, as for a
        // receiver: harmless, and dropped at the next epoch.)
        guard depth <= WireLimits.maxDepth else { throw .stackTooDeep(depth: depth, limit: WireLimits.maxDepth) }
        let next: StreamState
        let bound: Int
        switch mode {
        case .snapshot: next = values; bound = valueFrames
        case .delta: next = state.adding(values); bound = frameBound + valueFrames
        }
        guard next.count * columns <= WireLimits.maxStateValues else {
            throw .stateTooLarge(values: next.count * columns, limit: WireLimits.maxStateValues)
        }
        // Frames over all stacks: a cheap upper bound, counted exactly only when it is high.
        var frames = bound
        if frames > WireLimits.maxWindowFrames {
            frames = next.ids.reduce(0) { $0 + (dictionary.stacks[$1]?.locations.count ?? 0) }
            guard frames <= WireLimits.maxWindowFrames else { throw .tooManyFrames(frames, limit: WireLimits.maxWindowFrames) }
        }
        if mode == .snapshot { noteRestart(next) }
        state = next
        frameBound = frames
    }

    /// A snapshot whose counter totals went down comes from a restarted process: it starts
    /// a new epoch, so no window carries negative increments (SPEC.md §4.6).
    private mutating func noteRestart(_ next: StreamState) {
        guard !state.isEmpty else { return }
        for (c, kind) in info.columnKinds.enumerated() where kind == .counter && c < next.columns {
            if next.total(column: c) < state.total(column: c) {
                newEpochPending = true
                restarts += 1
                return
            }
        }
    }

    /// Snapshots whose counters went down (the profiled process restarted), each the start
    /// of a new epoch.
    public private(set) var restarts = 0

    /// At least the frames of all stacks of `state` (what a keyframe of it defines).
    private var frameBound = 0

    /// Replaces the cumulative state directly (for sources that already hold stack ids; such
    /// a source calls `resetEpoch()` itself when its counters restart).
    /// Refuses, leaving the state as it was, a state with a stack this epoch's dictionary
    /// does not hold (a window of it could not define that stack).
    public mutating func setState(_ s: StreamState) throws(StreamError) {
        guard s.columns == info.columns.count else { throw .columnCount(s.columns, limit: info.columns.count) }
        // The same stacks as now (a source whose stacks settled): checked and counted already.
        if s.ids == state.ids && !state.isEmpty {
            state = s
            return
        }
        var frames = 0
        for id in s.ids {
            guard let stack = dictionary.stacks[id] else { throw .unknownStack(id) }
            frames += stack.locations.count
        }
        state = s
        frameBound = frames
    }

    /// Encodes the next window of the current state.
    public mutating func nextWindow(timeNanos: Int64 = 0, durationNanos: Int64 = 0) -> (header: WindowHeader, payload: [UInt8]) {
        let wraps = lastSeq >= maxSeq
        if dictionary.count > maxDictionaryEntries || newEpochPending || wraps {
            dictionary = dictionary.compacted(keeping: state.ids)
            stackCache = StackCache()
            pprofTables = nil
            pprofStrings = PprofStringMemo()
            epoch &+= 1
            base = nil
            inFlight.removeAll()
            newEpochPending = false
            if wraps { lastSeq = 0 }
        }
        lastSeq += 1
        let header = WindowHeader(stream: stream, seq: lastSeq, baseSeq: base?.seq ?? 0, epoch: epoch,
                                  timeNanos: timeNanos, durationNanos: durationNanos)
        var writer = WindowWriter(dictionary: dictionary, base: base?.tables ?? .empty, policy: frameContext, context: base?.context)
        let payload = writer.write(header: header, info: base == nil ? info : nil, state: state,
                                   baseState: base?.state ?? StreamState(columns: info.columns.count), columns: info.columns.count)
        if let c = writer.context { base?.context = c }
        inFlight.append((lastSeq, epoch, state))
        if inFlight.count > WireLimits.senderInFlight { inFlight.removeFirst(inFlight.count - WireLimits.senderInFlight) }
        return (header, payload)
    }

    /// What an acknowledgement did to the sender's base.
    public enum AckOutcome: Equatable, Sendable {
        /// Window `seq` is the base from now on; older in-flight states were dropped.
        case newBase(UInt32)
        /// The base is already `seq` or newer (a late or repeated acknowledgement).
        case notNewer(base: UInt32)
        /// No window `seq` of the current epoch is in flight (an earlier epoch's, or one
        /// pushed out of the last 64 sent).
        case unknown
    }

    /// What a rejected base did.
    public enum RejectOutcome: Equatable, Sendable {
        /// `base` was the current base: it is dropped and the next window is a keyframe.
        case keyframeNext
        /// The current base is another (newer, acknowledged after the window that was
        /// rejected was sent) or there is none: nothing changes.
        case stale(current: UInt32)
    }

    /// The receiver decoded window `seq`: it may serve as the base from now on.
    @discardableResult
    public mutating func acknowledge(seq: UInt32) -> AckOutcome {
        let current = base?.seq ?? 0
        guard seq > current else { return .notNewer(base: current) }
        guard let i = inFlight.firstIndex(where: { $0.seq == seq }), inFlight[i].epoch == epoch else { return .unknown }
        let s = inFlight[i].state
        // Entries of an acknowledged state are all in the dictionary: tables cannot fail.
        guard let tables = try? (base?.tables ?? .empty).moved(to: s, dictionary: dictionary) else { return .unknown }
        base = (seq, s, tables, nil)
        inFlight.removeSubrange(...i)
        return .newBase(seq)
    }

    /// The receiver does not hold `base`, which a window named (`unknownBase`). Only a
    /// rejection of the current base forces a keyframe: with 320 ms RTT and reordering, a
    /// late rejection of an older base must not discard a newer acknowledged one.
    @discardableResult
    public mutating func baseRejected(base rejected: UInt32) -> RejectOutcome {
        guard let b = base, b.seq == rejected else { return .stale(current: base?.seq ?? 0) }
        base = nil
        return .keyframeNext
    }

    /// Forgets the base and the windows in flight: the next window is a keyframe (the agent
    /// moved to a receiver that holds nothing of the stream).
    public mutating func dropBase() {
        base = nil
        inFlight.removeAll()
    }

    /// Starts a new epoch with the next window (for example after the receiver restarted).
    public mutating func resetEpoch() { newEpochPending = true }
}
