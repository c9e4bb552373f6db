import Synchronization
import WireLimits
import SwiftProtobuf

/// Names one decoded state of a stream for as long as the process runs: the receiver's
/// lineage (a new one per decoder epoch) and the window's sequence number. A store that
/// remembers the mark of the state it last stored knows, when a window's `previousMark`
/// equals it, that the window's increment is exactly what it has to add.
public struct StateMark: Hashable, Sendable {
    public var lineage: UInt64
    public var seq: UInt32
    public init(lineage: UInt64, seq: UInt32) { (self.lineage, self.seq) = (lineage, seq) }

    /// Lineages are unique in the process (never reused, whatever the stream or agent).
    static let lineages = Atomic<UInt64>(0)
    static func newLineage() -> UInt64 { lineages.add(1, ordering: .relaxed).newValue }
}

/// One decoded window: the stream's state at that point and its increment over the
/// previous decoded state.
public struct DecodedWindow: Sendable {
    public var header: WindowHeader
    public var info: StreamInfo
    /// The cumulative state after this window.
    public var state: StreamState
    /// The window whose state `increment` is measured from (the latest earlier window this
    /// receiver decoded), or nil for the first one.
    public var previousSeq: UInt32?
    /// The state `increment` is measured from (empty for the first window).
    public var previousState: StreamState
    /// `state` minus the previous decoded state. For counters this is what happened in
    /// between, even when windows in the middle were lost. Known from the decoder when it
    /// knew which rows the windows in between touched (it costs the rows that changed, not
    /// the rows of the state); else computed when asked for.
    public var increment: StreamState {
        if isDuplicate { return StreamState(columns: state.columns) }
        return changes?.increment ?? state.increment(since: previousState)
    }
    /// True when this window had been decoded before; nothing changed.
    public var isDuplicate: Bool
    /// This state's mark, and the previous state's (nil for the first of an epoch).
    public var mark: StateMark
    public var previousMark: StateMark?
    /// Where `state` differs from `previousState` and by how much, when the decoder knew it
    /// without comparing every row.
    public var changes: StreamState.Changes?
    /// The stacks where `state` and `previousState` differ, ascending, when known.
    public var differing: [EntryID]? { changes?.differing }

    /// The stacks `state` holds that `previousState` does not (ascending).
    public var gainedStacks: [EntryID] { changes?.gained ?? state.ids(notIn: previousState) }
}

/// The receiver side of one stream: a bounded ring of recent states to decode deltas
/// against, and the dictionary of the current epoch (SPEC.md §4.5).
///
/// The ring holds `RING_SIZE` states, but only the newest `fullStates` of them whole, with
/// their tables: an agent's base is one of its newest acknowledged states, so those are the
/// ones decoded against. Older states are kept as patches against the next newer one and
/// rebuilt when a window names them (after loss), which keeps a stream's memory near that
/// of a few states instead of sixteen.
public struct StreamDecoder: Sendable {

    public private(set) var info: StreamInfo?
    public private(set) var epoch: UInt32?
    public private(set) var dictionary: WireDictionary
    /// This epoch's lineage (`StateMark`).
    private var lineage: UInt64 = 0
    /// Decoded states, ascending by sequence number.
    private var ring: [Held] = []
    /// How many of the newest held states are kept whole.
    public let fullStates: Int

    /// The newest states kept whole by default: the agent's base is almost always among
    /// the last few windows (it trails the newest by about an RTT of windows).
    public static let defaultFullStates = 4

    /// One held state: whole (with the tables windows based on it index into, and its
    /// calling-context index once a window used it), or a patch against the next newer one.
    private struct Held: Sendable {
        var seq: UInt32
        var body: Body
        /// The stacks where this state differs from the next older held one, ascending
        /// (nil when not known: the first of an epoch, or after the ring dropped its
        /// neighbour). What turns a whole state into a patch, and a window's increment over
        /// several held states, into lookups of these rows only.
        var differs: [EntryID]?
        enum Body: Sendable {
            case full(StreamState, BaseTables, ChildIndex?)
            case patch(StatePatch)
        }
        var isFull: Bool { if case .full = body { return true } else { return false } }
    }

    public init(hasher: ContentHasher = ContentHasher(), fullStates: Int = StreamDecoder.defaultFullStates) {
        dictionary = WireDictionary(hasher: hasher)
        self.fullStates = max(1, fullStates)
    }

    /// The states this receiver holds, by sequence number (oldest first).
    public var heldSequences: [UInt32] { ring.map(\.seq) }

    /// How many held states are whole and how many rows the patches of the others hold
    /// (what the ring costs, for metrics and tests).
    public var heldCost: (fullStates: Int, fullRows: Int, patchRows: Int) {
        var f = 0, fr = 0, pr = 0
        for h in ring {
            switch h.body {
            case .full(let s, _, _): f += 1; fr += s.count
            case .patch(let p): pr += p.rowCount
            }
        }
        return (f, fr, pr)
    }

    public func state(seq: UInt32) -> StreamState? { ring.firstIndex { $0.seq == seq }.map(state(at:)) }

    /// The state at ring position `i`, rebuilt from the next whole state when it is a patch.
    private func state(at i: Int) -> StreamState {
        var k = i
        var patches: [StatePatch] = []
        while true {
            switch ring[k].body {
            case .full(let s, _, _):
                var out = s
                for p in patches.reversed() { out = p.applied(to: out) }
                return out
            case .patch(let p):
                patches.append(p)
                k += 1
            }
        }
    }

    /// The state at ring position `i` with its tables (derived from the next whole state's
    /// tables when it is a patch: only the stacks that came or went are touched).
    private func base(at i: Int) throws(WireError) -> (StreamState, BaseTables) {
        if case .full(let s, let t, _) = ring[i].body { return (s, t) }
        var k = i
        while !ring[k].isFull { k += 1 }
        guard case .full(_, let t, _) = ring[k].body else { preconditionFailure("a patch has a whole state after it") }
        let s = state(at: i)
        return (s, try t.moved(to: s, dictionary: dictionary))
    }

    /// Adds a decoded state in sequence order, keeps the `RING_SIZE` newest and turns all
    /// but the newest `fullStates` whole ones into patches.
    /// `differs`: where `new` differs from the held state just below it (every row when
    /// there is none).
    private mutating func hold(_ seq: UInt32, _ new: StreamState, _ tables: BaseTables, differs: [EntryID]?) {
        let p = ring.firstIndex { $0.seq > seq } ?? ring.count
        // The patch just below the new state was made against the state now above it.
        if p > 0, !ring[p - 1].isFull {
            let below = state(at: p - 1)
            ring[p - 1].body = .patch(differs.map { StatePatch(from: new, to: below, candidates: $0) } ?? StatePatch(from: new, to: below))
        }
        // A late window lands below a held state: that one now follows the new state.
        if p < ring.count {
            if let old = ring[p].differs, let differs {
                ring[p].differs = state(at: p).changes(since: new, candidates: old.sortedUnion(differs)).differing
            } else {
                ring[p].differs = nil
            }
        }
        ring.insert(Held(seq: seq, body: .full(new, tables, nil), differs: differs), at: p)
        if ring.count > WireLimits.ringSize {
            ring.removeFirst(ring.count - WireLimits.ringSize)
            ring[0].differs = nil
        }
        var whole = ring.reduce(0) { $0 + ($1.isFull ? 1 : 0) }
        var i = 0
        while whole > fullStates, i < ring.count - 1 {
            if case .full(let s, _, _) = ring[i].body {
                let newer = state(at: i + 1)
                ring[i].body = .patch(ring[i + 1].differs.map { StatePatch(from: newer, to: s, candidates: $0) } ?? StatePatch(from: newer, to: s))
                whole -= 1
            }
            i += 1
        }
    }

    /// Decodes one window payload (uncompressed protobuf bytes). With `expecting`, the
    /// (stream, seq) of the datagrams that carried it: a window that names another is
    /// rejected (`addressMismatch`, SPEC.md §6.5) right after parsing, before it can
    /// change anything.
    public mutating func decode(_ payload: [UInt8], expecting address: (stream: UInt32, seq: UInt32)? = nil) throws(WireError) -> DecodedWindow {
        let w: Flamewire_Wire_Window
        do { w = try Flamewire_Wire_Window(serializedBytes: payload) } catch {
            throw .malformedPayload("\(error)")
        }
        if let address, w.stream != address.stream || w.seq != address.seq {
            throw .addressMismatch(stream: w.stream, seq: w.seq)
        }
        return try decode(w)
    }

    mutating func decode(_ w: Flamewire_Wire_Window) throws(WireError) -> DecodedWindow {
        let header = WindowHeader(stream: w.stream, seq: w.seq, baseSeq: w.baseSeq, epoch: w.epoch,
                                  timeNanos: w.timeNanos, durationNanos: w.durationNanos)
        guard w.seq > 0 else { throw .malformedPayload("window sequence number 0") }
        if w.baseSeq != 0 && w.baseSeq >= w.seq { throw .malformedPayload("base \(w.baseSeq) is not before window \(w.seq)") }
        // A window already decoded is a duplicate whatever happened to its base since.
        if w.epoch == epoch, let info, let held = ring.firstIndex(where: { $0.seq == w.seq }) {
            let s = state(at: held)
            let mark = StateMark(lineage: lineage, seq: w.seq)
            return DecodedWindow(header: header, info: info, state: s, previousSeq: nil, previousState: s, isDuplicate: true,
                                 mark: mark, previousMark: mark, changes: nil)
        }
        if w.baseSeq == 0 {
            guard w.hasInfo else { throw .missingStreamInfo }
            let newInfo = try WireInfo.info(w.info)
            if epoch != w.epoch || info != newInfo {
                // A new epoch (or a different stream shape) starts over, but only once the
                // keyframe has decoded: a bad one must not wipe a working stream.
                var fresh = WireDictionary(hasher: dictionary.hasher)
                let (state, tables, _) = try Self.read(w, into: &fresh, baseState: StreamState(columns: newInfo.columns.count),
                                                       baseTables: BaseTables(forEncoding: false), columns: newInfo.columns.count)
                dictionary = fresh
                ring = [Held(seq: w.seq, body: .full(state, tables, nil), differs: nil)]
                epoch = w.epoch
                info = newInfo
                lineage = StateMark.newLineage()
                return DecodedWindow(header: header, info: newInfo, state: state, previousSeq: nil,
                                     previousState: StreamState(columns: newInfo.columns.count), isDuplicate: false,
                                     mark: StateMark(lineage: lineage, seq: w.seq), previousMark: nil, changes: nil)
            }
        }
        var bi: Int?
        if w.baseSeq != 0 {
            guard let epoch else { throw .unknownBase(seq: w.baseSeq) }
            guard w.epoch == epoch else { throw .wrongEpoch(window: w.epoch, current: epoch) }
            guard let i = ring.firstIndex(where: { $0.seq == w.baseSeq }) else { throw .unknownBase(seq: w.baseSeq) }
            bi = i
        }
        guard let info else { throw .missingStreamInfo }
        let columns = info.columns.count
        var b: (StreamState, BaseTables)?
        if let bi { b = try base(at: bi) }
        // The base's calling context, built once per whole base and only when a window uses it.
        var context = ChildIndex.empty
        if w.frameContext, let bi, let b {
            if case .full(let s, let t, let c) = ring[bi].body {
                if let c { context = c } else {
                    context = try ChildIndex(stacks: s.ids, dictionary: dictionary)
                    ring[bi].body = .full(s, t, context)
                }
            } else {
                context = try ChildIndex(stacks: b.0.ids, dictionary: dictionary)
            }
        }
        let (result, resultTables, touched) = try Self.read(w, into: &dictionary, baseState: b?.0 ?? StreamState(columns: columns),
                                                            baseTables: b?.1 ?? BaseTables(forEncoding: false), context: context,
                                                            columns: columns)
        let previous = ring.lastIndex(where: { $0.seq < w.seq })
        let previousState = previous.map(state(at:)) ?? StreamState(columns: columns)
        let previousSeq = previous.map { ring[$0].seq }
        // Where the new state can differ from the previous one: the rows the window touched
        // against its base, and those the held states from the base up to the previous one
        // changed (each held state knows where it differs from the one below it).
        var candidates: [EntryID]?
        if let bi, let previous, previous >= bi {
            candidates = touched
            for k in stride(from: bi + 1, through: previous, by: 1) {
                guard let d = ring[k].differs, let c = candidates else { candidates = nil; break }
                candidates = c.sortedUnion(d)
            }
        }
        let changes = previous == nil ? nil : result.changes(since: previousState, candidates: candidates)
        hold(w.seq, result, resultTables, differs: changes?.differing)
        return DecodedWindow(header: header, info: info, state: result, previousSeq: previousSeq,
                             previousState: previousState, isDuplicate: false, mark: StateMark(lineage: lineage, seq: w.seq),
                             previousMark: previousSeq.map { StateMark(lineage: lineage, seq: $0) }, changes: changes)
    }

    /// Decodes `w` against a base, defining its entries in `dictionary`, and derives the
    /// new state's tables. Definitions are content-checked, so a window that fails half
    /// way leaves only valid, unreferenced entries behind.
    private static func read(_ w: Flamewire_Wire_Window, into dictionary: inout WireDictionary, baseState: StreamState,
                             baseTables: BaseTables, context: ChildIndex = .empty, columns: Int) throws(WireError) -> (StreamState, BaseTables, [EntryID]) {
        // Decode into the dictionary without copying it: move it into the reader and back.
        var reader = WindowReader(dictionary: WireDictionary(hasher: dictionary.hasher), base: baseTables, context: context)
        swap(&reader.d, &dictionary)
        defer { swap(&reader.d, &dictionary) }
        let state = try reader.read(w, baseState: baseState, columns: columns)
        return (state, try baseTables.moved(to: state, dictionary: reader.d), reader.touched)
    }
}
