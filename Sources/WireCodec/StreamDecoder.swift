import WireLimits
import SwiftProtobuf

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
    /// between, even when windows in the middle were lost. Computed when asked for: a
    /// collector that stores gauge states never pays for it.
    public var increment: StreamState { isDuplicate ? StreamState(columns: state.columns) : state.increment(since: previousState) }
    /// True when this window had been decoded before; nothing changed.
    public var isDuplicate: Bool
}

/// The receiver side of one stream: a bounded ring of recent states to decode deltas
/// against, and the dictionary of the current epoch (SPEC.md §4.5).
public struct StreamDecoder: Sendable {

    public private(set) var info: StreamInfo?
    public private(set) var epoch: UInt32?
    public private(set) var dictionary: WireDictionary
    /// Decoded states with the tables a window based on them indexes into.
    private var ring: [(seq: UInt32, state: StreamState, tables: BaseTables, context: ChildIndex?)] = []

    public init(hasher: ContentHasher = ContentHasher()) {
        dictionary = WireDictionary(hasher: hasher)
    }

    /// The states this receiver holds, by sequence number (oldest first).
    public var heldSequences: [UInt32] { ring.map(\.seq) }

    public func state(seq: UInt32) -> StreamState? { ring.first { $0.seq == seq }?.state }

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
        if w.epoch == epoch, let info, let held = ring.first(where: { $0.seq == w.seq }) {
            return DecodedWindow(header: header, info: info, state: held.state, previousSeq: nil, previousState: held.state, isDuplicate: true)
        }
        if w.baseSeq == 0 {
            guard w.hasInfo else { throw .missingStreamInfo }
            let newInfo = try WireInfo.info(w.info)
            if epoch != w.epoch || info != newInfo {
                // A new epoch (or a different stream shape) starts over, but only once the
                // keyframe has decoded: a bad one must not wipe a working stream.
                var fresh = WireDictionary(hasher: dictionary.hasher)
                let (state, tables) = try Self.read(w, into: &fresh, baseState: StreamState(columns: newInfo.columns.count),
                                                    baseTables: BaseTables(forEncoding: false), columns: newInfo.columns.count)
                dictionary = fresh
                ring = [(w.seq, state, tables, nil)]
                epoch = w.epoch
                info = newInfo
                return DecodedWindow(header: header, info: newInfo, state: state, previousSeq: nil,
                                     previousState: StreamState(columns: newInfo.columns.count), isDuplicate: false)
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
        let b = bi.map { ring[$0] }
        // The base's calling context, built once per base and only when a window uses it.
        var context = ChildIndex.empty
        if w.frameContext, let bi, let b {
            if let c = b.context { context = c } else {
                context = try ChildIndex(stacks: b.state.ids, dictionary: dictionary)
                ring[bi].context = context
            }
        }
        let (result, resultTables) = try Self.read(w, into: &dictionary, baseState: b?.state ?? StreamState(columns: columns),
                                                   baseTables: b?.tables ?? BaseTables(forEncoding: false), context: context,
                                                   columns: columns)
        let previous = ring.last(where: { $0.seq < w.seq })
        ring.append((w.seq, result, resultTables, nil))
        ring.sort { $0.seq < $1.seq }
        if ring.count > WireLimits.ringSize { ring.removeFirst(ring.count - WireLimits.ringSize) }
        return DecodedWindow(header: header, info: info, state: result, previousSeq: previous?.seq,
                             previousState: previous?.state ?? StreamState(columns: columns), isDuplicate: false)
    }

    /// Decodes `w` against a base, defining its entries in `dictionary`, and derives the
    /// new state's tables. Definitions are content-checked, so a window that fails half
    /// way leaves only valid, unreferenced entries behind.
    private static func read(_ w: Flamewire_Wire_Window, into dictionary: inout WireDictionary, baseState: StreamState,
                             baseTables: BaseTables, context: ChildIndex = .empty, columns: Int) throws(WireError) -> (StreamState, BaseTables) {
        // Decode into the dictionary without copying it: move it into the reader and back.
        var reader = WindowReader(dictionary: WireDictionary(hasher: dictionary.hasher), base: baseTables, context: context)
        swap(&reader.d, &dictionary)
        defer { swap(&reader.d, &dictionary) }
        let state = try reader.read(w, baseState: baseState, columns: columns)
        return (state, try baseTables.moved(to: state, dictionary: reader.d))
    }
}
