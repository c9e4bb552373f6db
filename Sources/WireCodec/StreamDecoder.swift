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
    public var previousSeq: UInt64?
    /// `state` minus the previous decoded state. For counters this is what happened in
    /// between, even when windows in the middle were lost.
    public var increment: [EntryID: [Int64]]
    /// True when this window had been decoded before; nothing changed.
    public var isDuplicate: Bool
}

/// The receiver side of one stream: a bounded ring of recent states to decode deltas
/// against, and the dictionary of the current epoch (SPEC.md §4.5).
public struct StreamDecoder: Sendable {
    /// How many decoded states are kept as possible bases.
    public static let ringSize = 16
    /// The most value columns a stream may have (pprof profiles have up to a handful).
    public static let maxColumns = 64
    /// The most values (stacks × columns) one decoded state may hold.
    public static let maxStateValues = 1 << 24
    /// The largest window payload accepted after snappy decompression.
    public static let maxPayload = 64 << 20

    public private(set) var info: StreamInfo?
    public private(set) var epoch: UInt32?
    public private(set) var dictionary: WireDictionary
    private var ring: [(seq: UInt64, state: StreamState)] = []
    private var tables: [UInt64: BaseTables] = [:]

    public init(hasher: ContentHasher = ContentHasher()) {
        dictionary = WireDictionary(hasher: hasher)
    }

    /// The states this receiver holds, by sequence number (oldest first).
    public var heldSequences: [UInt64] { ring.map(\.seq) }

    public func state(seq: UInt64) -> StreamState? { ring.first { $0.seq == seq }?.state }

    /// Decodes one window payload (uncompressed protobuf bytes).
    public mutating func decode(_ payload: [UInt8]) throws(WireError) -> DecodedWindow {
        let w: Flamewire_Wire_Window
        do { w = try Flamewire_Wire_Window(serializedBytes: payload) } catch {
            throw .malformedPayload("\(error)")
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
            return DecodedWindow(header: header, info: info, state: held.state, previousSeq: nil, increment: [:], isDuplicate: true)
        }
        let baseState: StreamState
        let baseTables: BaseTables
        if w.baseSeq == 0 {
            guard w.hasInfo else { throw .missingStreamInfo }
            let newInfo = try WireInfo.info(w.info)
            if epoch != w.epoch || info != newInfo {
                // A new epoch (or a different stream shape): start over.
                dictionary = WireDictionary(hasher: dictionary.hasher)
                ring.removeAll()
                tables.removeAll()
                epoch = w.epoch
            }
            info = newInfo
            baseState = StreamState()
            baseTables = .empty
        } else {
            guard let epoch else { throw .unknownBase(seq: w.baseSeq) }
            guard w.epoch == epoch else { throw .wrongEpoch(window: w.epoch, current: epoch) }
            guard let b = ring.first(where: { $0.seq == w.baseSeq }) else { throw .unknownBase(seq: w.baseSeq) }
            baseState = b.state
            if let t = tables[w.baseSeq] { baseTables = t } else {
                baseTables = try BaseTables(state: b.state, dictionary: dictionary, forEncoding: false)
                tables[w.baseSeq] = baseTables
            }
        }
        guard let info else { throw .missingStreamInfo }
        // Decode into the live dictionary (no copy); definitions are content-checked, so a
        // window that fails half way leaves only valid, unreferenced entries behind.
        var reader = WindowReader(dictionary: WireDictionary(hasher: dictionary.hasher), base: baseTables)
        swap(&reader.d, &dictionary)
        let result: StreamState
        do {
            result = try reader.read(w, baseState: baseState, columns: info.columns.count)
        } catch {
            swap(&reader.d, &dictionary)
            throw error
        }
        swap(&reader.d, &dictionary)

        let previous = ring.last(where: { $0.seq < w.seq })
        let increment = result.increment(since: previous?.state ?? StreamState(), columns: info.columns.count)
        ring.append((w.seq, result))
        ring.sort { $0.seq < $1.seq }
        while ring.count > Self.ringSize {
            let evicted = ring.removeFirst()
            tables[evicted.seq] = nil
        }
        return DecodedWindow(header: header, info: info, state: result, previousSeq: previous?.seq,
                             increment: increment, isDuplicate: false)
    }
}
