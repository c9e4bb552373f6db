import Keys
import Noise
import Profile
import SansIO
import Session
import Synchronization
import UDPRuntime
import WireCodec
import WirePipeline

/// What `flamewire collect` runs with.
public struct CollectorOptions: Sendable {
    /// The UDP address agents send to (`ip:port`).
    public var listen: String
    public var staticKey: PrivateKey
    /// Agent keys allowed to connect.
    public var allowed: Set<PublicKey>
    public var psk: [UInt8]?
    public var log: @Sendable (String) -> Void

    public init(listen: String, staticKey: PrivateKey, allowed: Set<PublicKey>, psk: [UInt8]? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.listen = listen
        self.staticKey = staticKey
        self.allowed = allowed
        self.psk = psk
        self.log = log
    }
}

/// One stream as the collector holds it: whose it is, what it is, its newest window.
public struct StreamSummary: Sendable {
    public var agent: PublicKey
    public var stream: UInt32
    public var info: StreamInfo
    public var seq: UInt32
    /// Windows of the stream decoded so far (duplicates not counted).
    public var windowsDecoded: Int
}

/// One stream with its newest decoded state rebuilt as a profile (counters cumulative
/// since the stream's start, gauges as of its newest window).
public struct CollectedStream: Sendable {
    public var agent: PublicKey
    public var stream: UInt32
    public var info: StreamInfo
    public var seq: UInt32
    /// Windows of the stream decoded so far (duplicates not counted).
    public var windowsDecoded: Int
    public var profile: Profile

    public init(_ s: StreamSummary, profile: Profile) {
        (agent, stream, info, seq, windowsDecoded) = (s.agent, s.stream, s.info, s.seq, s.windowsDecoded)
        self.profile = profile
    }
}

/// Windows the collector decoded and rejected, per agent stream.
public struct CollectorTallies: Sendable, Equatable {
    public var decoded: [StreamKey: Int] = [:]
    public var rejected: [StreamKey: Int] = [:]
    public var peersConnected = 0

    public struct StreamKey: Hashable, Sendable {
        public var agent: PublicKey
        public var stream: UInt32
        public init(agent: PublicKey, stream: UInt32) {
            self.agent = agent
            self.stream = stream
        }
    }
}

/// `flamewire collect`: a `CollectorSession` on a real UDP socket, whose events are drained
/// continuously (every decoded window is counted per stream), and whose streams can be read
/// back as profiles at any time.
public final class CollectorRuntime: Sendable {
    public let endpoint: UDPEndpoint<CollectorSession>
    let tallies = Mutex(CollectorTallies())
    let log: @Sendable (String) -> Void

    public static func start(_ o: CollectorOptions) async throws -> CollectorRuntime {
        let session = CollectorSession(config: CollectorConfig(staticKey: o.staticKey, allowedAgents: o.allowed, psk: o.psk))
        return CollectorRuntime(endpoint: try await UDPEndpoint.bind(session, to: o.listen, options: UDPOptions(vectorReads: 32)), log: o.log)
    }

    init(endpoint: UDPEndpoint<CollectorSession>, log: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.log = log
    }

    public var counts: CollectorTallies { tallies.withLock { $0 } }

    /// Drains the session's events every `period` until the task is cancelled.
    public func run(period: Duration = .milliseconds(50)) async {
        while !Task.isCancelled {
            await drain()
            try? await Task.sleep(for: period)
        }
    }

    /// Takes the events the session has collected and counts them.
    public func drain() async {
        guard let events = try? await endpoint.withEndpoint({ c, _ in c.pollEvents() }) else { return }
        var lines: [String] = []
        tallies.withLock { t in
            for e in events {
                switch e {
                case .peerConnected(let key, let address):
                    t.peersConnected += 1
                    lines.append("agent \(key.base64) connected from \(address)")
                case .windowDecoded(let key, let w):
                    if !w.isDuplicate { t.decoded[.init(agent: key, stream: w.header.stream), default: 0] += 1 }
                case .windowRejected(let key, let a, let why):
                    t.rejected[.init(agent: key, stream: a.stream), default: 0] += 1
                    lines.append("agent \(key.base64) stream \(a.stream) window \(a.seq) rejected: \(why)")
                }
            }
        }
        for l in lines { log(l) }
    }

    /// Every stream of every agent, without rebuilding profiles (the index, metrics).
    public func summaries() async throws -> [StreamSummary] {
        try await collect(where: { _ in true }) { summary, _, _ in summary }
    }

    /// The streams whose info passes `include`, each newest state rebuilt as a profile;
    /// streams left out cost nothing.
    public func streams(where include: @escaping @Sendable (StreamInfo) -> Bool = { _ in true }) async throws -> [CollectedStream] {
        try await collect(where: include) { summary, decoder, state in
            CollectedStream(summary, profile: decoder.dictionary.profile(of: state, info: summary.info))
        }
    }

    /// One pass over the session's decoders on its event loop, agents in key order.
    func collect<T: Sendable>(where include: @escaping @Sendable (StreamInfo) -> Bool,
                              _ make: @escaping @Sendable (StreamSummary, StreamDecoder, StreamState) -> T) async throws -> [T] {
        await drain()
        let decodedCounts = counts.decoded
        return try await endpoint.withEndpoint { c, _ -> [T] in
            var out: [T] = []
            for key in c.peerKeys.sorted(by: { $0.base64 < $1.base64 }) {
                guard let rx = c.receiver(of: key) else { continue }
                for stream in rx.streams {
                    guard let d = rx.decoder(stream), let info = d.info, include(info), let seq = d.heldSequences.last,
                          let state = d.state(seq: seq) else { continue }
                    let summary = StreamSummary(agent: key, stream: stream, info: info, seq: seq,
                                                windowsDecoded: decodedCounts[.init(agent: key, stream: stream)] ?? 0)
                    out.append(make(summary, d, state))
                }
            }
            return out
        }
    }

    public func close() async { await endpoint.close() }
}
