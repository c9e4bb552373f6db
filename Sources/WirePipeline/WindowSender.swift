import Compression
import Profile
import WireCodec
import WireFrame
import WireLimits

/// The send path of one connection, as one library type: profiles in, the stream encoder's
/// delta, snappy, symbols and Reed–Solomon parity, and sealed datagrams out, one at a time
/// (SPEC.md §4–§7). `wire-size`, the tests, the simulator and the runtime all send through
/// it.
///
/// Sans-IO and pull-style: `encodeWindow` queues a window's symbols; the session pulls
/// datagrams with `pollDatagram`, giving each its packet number and keys, when its pacing
/// allows. Acknowledgements and repair requests name windows by `WindowAddress`.
public struct WindowSender: Sendable {
    public let config: FrameConfig
    private var encoders: [UInt32: StreamEncoder] = [:]
    private var windows: [WindowAddress: OutgoingWindow] = [:]
    /// Symbols waiting to be sent, oldest first (`head` is the next one), and below them
    /// the low-priority queue (repair of superseded windows), sent only when the first is empty.
    private var queue: [QueuedSymbol] = []
    private var head = 0
    private var low: [QueuedSymbol] = []
    private var lowHead = 0

    private struct QueuedSymbol: Sendable {
        var address: WindowAddress
        var symbol: SymbolRef
        var isRepair: Bool
    }

    public init(config: FrameConfig) { self.config = config }

    /// Starts a stream (SPEC.md §3): its number is the agent's, unique per connection.
    public mutating func addStream(_ stream: UInt32, info: StreamInfo, maxDictionaryEntries: Int = 2_000_000) throws(PipelineError) {
        guard encoders[stream] == nil else { throw .streamExists(stream) }
        encoders[stream] = StreamEncoder(stream: stream, info: info, maxDictionaryEntries: maxDictionaryEntries)
    }

    public var streams: [UInt32] { encoders.keys.sorted() }
    public func encoder(_ stream: UInt32) -> StreamEncoder? { encoders[stream] }

    /// Adds a profile to a stream's cumulative state (`.delta` adds, `.snapshot` replaces).
    public mutating func ingest(_ profile: Profile, stream: UInt32, mode: IngestMode) throws(PipelineError) {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        do { try encoders[stream]!.ingest(profile, mode: mode) } catch { throw .stream(error) }
    }

    /// Sets a stream's cumulative state directly: a state an earlier `ingest` of the same
    /// snapshot produced, in this epoch (replaying a capture without hashing it again).
    public mutating func setState(_ state: StreamState, stream: UInt32) throws(PipelineError) {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        do { try encoders[stream]!.setState(state) } catch { throw .stream(error) }
    }

    /// Encodes the stream's next window against its acknowledged base, compresses it, cuts
    /// it into symbols with parity for `lossRate` (bursts of `meanBurstLength`), and queues
    /// them. The window stays in flight (for repair) until `forget` or `acknowledged`.
    public mutating func encodeWindow(stream: UInt32, timeNanos: Int64 = 0, durationNanos: Int64 = 0,
                                      lossRate: Double, meanBurstLength: Double = 1) throws(PipelineError) -> EncodedWindow {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        let (header, payload) = encoders[stream]!.nextWindow(timeNanos: timeNanos, durationNanos: durationNanos)
        let compressed = Snappy.compress(payload)
        let address = WindowAddress(stream: stream, seq: header.seq)
        var window: OutgoingWindow
        do { window = try OutgoingWindow(address: address, compressed: compressed, config: config) } catch { throw .frame(error) }
        let symbols = window.initialSymbols(lossRate: lossRate, meanBurstLength: meanBurstLength, config: config)
        windows[address] = window
        for s in symbols { queue.append(QueuedSymbol(address: address, symbol: s, isRepair: false)) }
        return EncodedWindow(header: header, address: address, payload: payload, compressed: compressed, layout: window.layout,
                             datagramSize: window.datagramSize, datagrams: symbols.count)
    }

    /// Queues repair for a window still incomplete at the receiver: `missing[b] + margin`
    /// parity symbols with indices never sent, for each block that lacks symbols. Returns
    /// how many were queued (0 when the window is no longer in flight).
    @discardableResult
    public mutating func queueRepair(_ a: WindowAddress, missing: [Int], margin: Int = 1, lowPriority: Bool = false) -> Int {
        guard var w = windows[a] else { return 0 }
        var n = 0
        for (b, m) in missing.enumerated() where m > 0 && b < w.blockCount {
            for s in w.parity(block: b, count: m + margin) {
                let q = QueuedSymbol(address: a, symbol: s, isRepair: true)
                if lowPriority { low.append(q) } else { queue.append(q) }
                n += 1
            }
        }
        windows[a] = w
        return n
    }

    /// Queues one new parity symbol for every block of the window (a probe when no
    /// acknowledgement says what is missing).
    @discardableResult
    public mutating func queueProbe(_ a: WindowAddress, lowPriority: Bool = false) -> Int {
        guard let w = windows[a] else { return 0 }
        return queueRepair(a, missing: Array(repeating: 1, count: w.blockCount), margin: 0, lowPriority: lowPriority)
    }

    /// Datagrams queued and not yet polled (of windows still in flight or not), both queues.
    public var queuedCount: Int { queue.count - head + low.count - lowHead }

    /// The next queued datagram, sealed with `protection` under `packetNumber`; nil when
    /// nothing is queued. Symbols of windows forgotten meanwhile are skipped.
    public mutating func pollDatagram(connectionID: UInt32, packetNumber: UInt64, protection: any PacketProtection) -> OutgoingDatagram? {
        while let q = Self.pop(&queue, &head) ?? Self.pop(&low, &lowHead) {
            guard let w = windows[q.address] else { continue }
            let d = w.datagram(q.symbol, connectionID: connectionID, packetNumber: packetNumber, protection: protection)
            return OutgoingDatagram(bytes: d, address: q.address, symbol: q.symbol, isRepair: q.isRepair)
        }
        return nil
    }

    private static func pop(_ q: inout [QueuedSymbol], _ head: inout Int) -> QueuedSymbol? {
        guard head < q.count else { return nil }
        let s = q[head]
        head += 1
        if head == q.count {
            q.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > q.count {
            q.removeFirst(head)
            head = 0
        }
        return s
    }

    /// The window the receiver decoded: it stops being repaired, and the stream may use it
    /// as its base (SPEC.md §4.4).
    @discardableResult
    public mutating func acknowledged(_ a: WindowAddress) -> StreamEncoder.AckOutcome {
        windows[a] = nil
        guard encoders[a.stream] != nil else { return .unknown }
        return encoders[a.stream]!.acknowledge(seq: a.seq)
    }

    /// The receiver rejected a window of `stream` because it lacks `base`.
    @discardableResult
    public mutating func baseRejected(stream: UInt32, base: UInt32) -> StreamEncoder.RejectOutcome {
        guard encoders[stream] != nil else { return .stale(current: 0) }
        return encoders[stream]!.baseRejected(base: base)
    }

    /// Stops repairing a window (superseded or too old); its queued symbols are skipped.
    public mutating func forget(_ a: WindowAddress) { windows[a] = nil }

    /// Windows in flight (encoded, neither acknowledged nor forgotten), oldest first.
    public var inFlight: [WindowAddress] { windows.keys.sorted() }
    public func window(_ a: WindowAddress) -> OutgoingWindow? { windows[a] }
}

/// One encoded window, as queued.
public struct EncodedWindow: Sendable {
    public var header: WindowHeader
    public var address: WindowAddress
    /// The window payload, and the same after snappy.
    public var payload: [UInt8]
    public var compressed: [UInt8]
    public var layout: WindowLayout
    /// Bytes of each of its datagrams (they all have the same size).
    public var datagramSize: Int
    /// Datagrams queued for it: source symbols and up-front parity.
    public var datagrams: Int
    public var isKeyframe: Bool { header.baseSeq == 0 }
}

/// One datagram to send, and what it carries.
public struct OutgoingDatagram: Sendable {
    public var bytes: [UInt8]
    public var address: WindowAddress
    public var symbol: SymbolRef
    public var isRepair: Bool
}

/// Why the send path refused a request.
public enum PipelineError: Error, Equatable, CustomStringConvertible, Sendable {
    case streamExists(UInt32)
    case unknownStream(UInt32)
    case stream(StreamError)
    case frame(FrameError)

    public var description: String {
        switch self {
        case .streamExists(let s): return "stream \(s) already exists on this connection"
        case .unknownStream(let s): return "no stream \(s) on this connection"
        case .stream(let e): return "\(e)"
        case .frame(let e): return "\(e)"
        }
    }
}
