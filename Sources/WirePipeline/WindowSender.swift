import FEC
import Compression
import Pprof
import Profile
import WireCodec
import WireFrame
import WireLimits

/// The send path of one connection, as one library type: profiles in, the stream encoder's
/// delta, snappy, bundles of the windows sent together, symbols and Reed–Solomon parity,
/// and sealed datagrams out, one at a time (SPEC.md §4–§7). `wire-size`, the tests, the
/// simulator and the runtime all send through it.
///
/// Sans-IO and pull-style: `encodeWindow` encodes a stream's next window and holds it;
/// `closeBundle` puts the windows held into one bundle (one code over all of them, so
/// parity spreads over many symbols) and queues its symbols; the session pulls datagrams
/// with `pollDatagram`, giving each its packet number and keys, when its pacing allows.
/// Acknowledgements name windows by `WindowAddress`; repair names bundles by id.
public struct WindowSender: Sendable {
    public let config: FrameConfig
    private var encoders: [UInt32: StreamEncoder] = [:]
    /// Windows encoded and not yet bundled, in order.
    private var open: [(WindowAddress, [UInt8])] = []
    private var bundles: [UInt32: OutgoingBundle] = [:]
    /// The id the next bundle gets.
    public private(set) var nextBundleID: UInt32
    /// Symbols waiting to be sent, oldest first (`head` is the next one), and below them
    /// the low-priority queue (repair of superseded windows), sent only when the first is empty.
    private var queue: [QueuedSymbol] = []
    private var head = 0
    private var low: [QueuedSymbol] = []
    private var lowHead = 0
    /// The last parity table, and the (rounded) loss, burst and target it was made for.
    private var parityCache: (key: [Int], table: [Int])?

    private struct QueuedSymbol: Sendable {
        var bundle: UInt32
        var symbol: SymbolRef
        var isRepair: Bool
    }

    /// A sender whose first bundle is `firstBundleID`: an agent starts at a random id, so a
    /// restarted agent's bundles are not mistaken for ones the collector rebuilt before.
    /// The first bundle id (random per agent session): the streams' first epochs derive from it.
    let firstBundleID: UInt32

    /// A stream's first epoch, from the sender's random first bundle id (no extra random draw).
    static func firstEpoch(_ bundleID: UInt32, stream: UInt32) -> UInt32 {
        let mixed = (UInt64(bundleID) << 32 | UInt64(stream)) &* 0x9E37_79B9_7F4A_7C15
        return max(1, UInt32(truncatingIfNeeded: mixed >> 32))
    }

    public init(config: FrameConfig, firstBundleID: UInt32 = 1) {
        self.config = config
        nextBundleID = firstBundleID
        self.firstBundleID = firstBundleID
    }

    /// Starts a stream (SPEC.md §3): its number is the agent's, unique per connection.
    public mutating func addStream(_ stream: UInt32, info: StreamInfo, maxDictionaryEntries: Int = 2_000_000) throws(PipelineError) {
        guard encoders[stream] == nil else { throw .streamExists(stream) }
        encoders[stream] = StreamEncoder(stream: stream, info: info, maxDictionaryEntries: maxDictionaryEntries,
                                         firstEpoch: firstBundleID == 1 ? 1 : Self.firstEpoch(firstBundleID, stream: stream))
    }

    public var streams: [UInt32] { encoders.keys.sorted() }
    public func encoder(_ stream: UInt32) -> StreamEncoder? { encoders[stream] }
    /// Whether `stream` was added; cheaper than `encoder(stream) != nil`, which copies it.
    public func hasStream(_ stream: UInt32) -> Bool { encoders.index(forKey: stream) != nil }
    /// The stream's `StreamEncoder.restarts` (0 for a stream not added), without a copy of its encoder.
    public func restarts(_ stream: UInt32) -> Int {
        guard let i = encoders.index(forKey: stream) else { return 0 }
        return encoders.values[i].restarts
    }

    /// Adds a profile to a stream's cumulative state (`.delta` adds, `.snapshot` replaces).
    public mutating func ingest(_ profile: Profile, stream: UInt32, mode: IngestMode) throws(PipelineError) {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        do { try encoders[stream]!.ingest(profile, mode: mode) } catch { throw .stream(error) }
    }

    /// As `ingest`, for a pprof profile read straight from its bytes (`StreamEncoder.ingest(pprof:mode:)`).
    public mutating func ingest(pprof snapshot: PprofSnapshot, stream: UInt32, mode: IngestMode) throws(PipelineError) {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        do { try encoders[stream]!.ingest(pprof: snapshot, mode: mode) } catch { throw .stream(error) }
    }

    /// Sets a stream's cumulative state directly: a state an earlier `ingest` of the same
    /// snapshot produced, in this epoch (replaying a capture without hashing it again).
    public mutating func setState(_ state: StreamState, stream: UInt32) throws(PipelineError) {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        do { try encoders[stream]!.setState(state) } catch { throw .stream(error) }
    }

    /// Encodes the stream's next window against its acknowledged base and compresses it.
    /// It waits for `closeBundle`, which sends it with the other windows encoded meanwhile.
    public mutating func encodeWindow(stream: UInt32, timeNanos: Int64 = 0, durationNanos: Int64 = 0) throws(PipelineError) -> EncodedWindow {
        guard encoders[stream] != nil else { throw .unknownStream(stream) }
        let (header, payload) = encoders[stream]!.nextWindow(timeNanos: timeNanos, durationNanos: durationNanos)
        let compressed = Snappy.compress(payload)
        let address = WindowAddress(stream: stream, seq: header.seq)
        // Checked here, so that closing a bundle never fails for one window's size.
        do { _ = try BundleLayout(bundleLength: Self.bundleCost(compressed.count) + BundleDirectory.maxCountLength, maxSymbol: config.maxSymbol) } catch {
            throw .frame(error)
        }
        open.append((address, compressed))
        openBytes += compressed.count
        return EncodedWindow(header: header, address: address, payload: payload, compressed: compressed)
    }

    /// Windows encoded and waiting for `closeBundle`.
    public var openWindows: [WindowAddress] { open.map(\.0) }
    /// Their compressed bytes.
    public private(set) var openBytes = 0

    /// Most bytes a window of `length` compressed bytes adds to a bundle: itself and its
    /// directory entry.
    static func bundleCost(_ length: Int) -> Int { length + BundleDirectory.maxEntryLength }

    /// Puts the windows encoded since the last call into bundles (one, unless they exceed
    /// a bundle's 255 blocks), each cut into the symbol size that costs the fewest bytes
    /// with its parity for `lossRate` (bursts of `meanBurstLength`), and queues their
    /// symbols. The bundles stay in flight (for repair) until `forget`.
    public mutating func closeBundle(lossRate: Double, meanBurstLength: Double = 1) -> [SentBundle] {
        guard !open.isEmpty else { return [] }
        let maxBytes = WireLimits.maxBlocks * WireLimits.maxSourceSymbols * config.maxSymbol
        var groups: [[(WindowAddress, [UInt8])]] = [[]]
        var bytes = BundleDirectory.maxCountLength
        for w in open {
            let cost = Self.bundleCost(w.1.count)
            if !groups[groups.count - 1].isEmpty && (bytes + cost > maxBytes || groups[groups.count - 1].count == WireLimits.maxBundleWindows) {
                groups.append([])
                bytes = BundleDirectory.maxCountLength
            }
            groups[groups.count - 1].append(w)
            bytes += cost
        }
        open.removeAll()
        openBytes = 0
        let table = parityTable(lossRate: lossRate, meanBurstLength: meanBurstLength)
        var out: [SentBundle] = []
        for g in groups {
            let id = nextBundleID
            nextBundleID &+= 1
            let length = BundleDirectory(entries: g.map { BundleDirectory.Entry(address: $0.0, length: $0.1.count) }).bundleLength
            // Each window fits a bundle (checked when it was encoded), so these cannot fail.
            guard let layout = try? BundleLayout.cheapest(bundleLength: length, maxSymbol: config.maxSymbol, parity: table),
                  var b = try? OutgoingBundle(id: id, windows: g, config: config, layout: layout) else { continue }
            let symbols = b.initialSymbols(lossRate: lossRate, meanBurstLength: meanBurstLength, config: config)
            bundles[id] = b
            for s in symbols { queue.append(QueuedSymbol(bundle: id, symbol: s, isRepair: false)) }
            out.append(SentBundle(id: id, windows: g.map(\.0), layout: layout, datagrams: symbols.count))
        }
        return out
    }

    /// Parity per block size for the sizing decision, kept while the rounded estimate stays.
    private mutating func parityTable(lossRate: Double, meanBurstLength: Double) -> [Int] {
        let key = [Int((lossRate * 1000).rounded()), Int((meanBurstLength * 10).rounded()), Int((config.fecTarget * 1e6).rounded())]
        if let c = parityCache, c.key == key { return c.table }
        let table = ParityPolicy.parityTable(maxSourceCount: WireLimits.maxSourceSymbols, lossRate: Double(key[0]) / 1000,
                                             meanBurstLength: Double(key[1]) / 10, target: config.fecTarget, maxParity: config.maxParity)
        parityCache = (key, table)
        return table
    }

    /// Queues repair for a bundle still incomplete at the receiver: `missing[b] + margin`
    /// parity symbols with indices never sent, for each block that lacks symbols. Returns
    /// how many were queued (0 when the bundle is no longer in flight).
    @discardableResult
    public mutating func queueRepair(_ id: UInt32, missing: [Int], margin: Int = 1, lowPriority: Bool = false) -> Int {
        guard var w = bundles[id] else { return 0 }
        var n = 0
        for (b, m) in missing.enumerated() where m > 0 && b < w.blockCount {
            for s in w.parity(block: b, count: m + margin) {
                let q = QueuedSymbol(bundle: id, symbol: s, isRepair: true)
                if lowPriority { low.append(q) } else { queue.append(q) }
                n += 1
            }
        }
        bundles[id] = w
        return n
    }

    /// Queues one new parity symbol for every block of the bundle (a probe when no
    /// acknowledgement says what is missing).
    @discardableResult
    public mutating func queueProbe(_ id: UInt32, lowPriority: Bool = false) -> Int {
        guard let w = bundles[id] else { return 0 }
        return queueRepair(id, missing: Array(repeating: 1, count: w.blockCount), margin: 0, lowPriority: lowPriority)
    }

    /// Datagrams queued and not yet polled (of bundles still in flight or not), both queues.
    public var queuedCount: Int { queue.count - head + low.count - lowHead }

    /// The next queued datagram, sealed with `protection` under `packetNumber`; nil when
    /// nothing is queued. Symbols of bundles forgotten meanwhile are skipped.
    public mutating func pollDatagram(connectionID: UInt32, packetNumber: UInt64, protection: any PacketProtection) -> OutgoingDatagram? {
        while let q = Self.pop(&queue, &head) ?? Self.pop(&low, &lowHead) {
            guard let w = bundles[q.bundle] else { continue }
            let d = w.datagram(q.symbol, connectionID: connectionID, packetNumber: packetNumber, protection: protection)
            return OutgoingDatagram(bytes: d, bundle: q.bundle, symbol: q.symbol, isRepair: q.isRepair,
                                    isSource: q.symbol.index < w.sourceCount(block: q.symbol.block))
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

    /// The window the receiver decoded: the stream may use it as its base (SPEC.md §4.4).
    /// Its bundle stays in flight until the session forgets it (other windows may need it).
    @discardableResult
    public mutating func acknowledged(_ a: WindowAddress) -> StreamEncoder.AckOutcome {
        guard encoders[a.stream] != nil else { return .unknown }
        return encoders[a.stream]!.acknowledge(seq: a.seq)
    }

    /// The receiver rejected a window of `stream` because it lacks `base`.
    @discardableResult
    public mutating func baseRejected(stream: UInt32, base: UInt32) -> StreamEncoder.RejectOutcome {
        guard encoders[stream] != nil else { return .stale(current: 0) }
        return encoders[stream]!.baseRejected(base: base)
    }

    /// Forgets every bundle and every stream's base: the next window of each stream is a
    /// keyframe (the agent moved to a collector that holds nothing it sent before).
    public mutating func restartAtNewReceiver() {
        bundles.removeAll()
        for id in encoders.keys { encoders[id]!.dropBase() }
    }

    /// Stops repairing a bundle (every window decoded, superseded or too old); its queued
    /// symbols are skipped.
    public mutating func forget(_ id: UInt32) { bundles[id] = nil }

    /// Bundles in flight (closed, not forgotten), by id.
    public var inFlight: [UInt32] { bundles.keys.sorted() }
    public func bundle(_ id: UInt32) -> OutgoingBundle? { bundles[id] }
}

/// One encoded window, waiting for its bundle.
public struct EncodedWindow: Sendable {
    public var header: WindowHeader
    public var address: WindowAddress
    /// The window payload, and the same after snappy.
    public var payload: [UInt8]
    public var compressed: [UInt8]
    public var isKeyframe: Bool { header.baseSeq == 0 }
}

/// One bundle as queued.
public struct SentBundle: Sendable, Equatable {
    public var id: UInt32
    public var windows: [WindowAddress]
    public var layout: BundleLayout
    /// Bytes of each of its datagrams (they all have the same size).
    public var datagramSize: Int { layout.datagramSize }
    /// Datagrams queued for it: source symbols and up-front parity.
    public var datagrams: Int
}

/// One datagram to send, and what it carries.
public struct OutgoingDatagram: Sendable {
    public var bytes: [UInt8]
    public var bundle: UInt32
    public var symbol: SymbolRef
    public var isRepair: Bool
    /// A source symbol (else parity, up front or repair).
    public var isSource: Bool
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
