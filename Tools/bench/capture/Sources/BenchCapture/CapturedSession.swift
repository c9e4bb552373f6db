import Noise
import SansIO
import Session
import WireCodec
import WireFrame
import WireLimits

/// An agent and a collector established in memory with seeded keys, and every DATA
/// datagram the agent sent while the live collector acknowledged it: the sealed bytes as
/// they crossed, their headers, and the collector's transport keys (rebuilt from the same
/// handshake) so a benchmark can open them again or re-seal their plaintext for another
/// session.
public struct CapturedSession {
    public static let agentAddress = PeerAddress("agent:1")
    public static let collectorAddress = PeerAddress("collector:1")

    /// The collector right after it answered the initiation: a fresh session.
    public var collector: CollectorSession
    /// The collector's transport keys.
    public var keys: TransportKeys
    /// Every DATA datagram the agent sent, in order.
    public var data: [[UInt8]]
    public var headers: [DatagramHeader]
    /// Windows the agent sent, each decoded by the live collector.
    public var windows: Int
    /// The session's time after the last tick.
    public var now: Instant

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ s: String) { description = s }
    }

    /// Establishes the pair and plays `tick` every 240 ms of session time (at 200 ms into
    /// it; the collector's acknowledgements travel at once) until it returns nil. `tick`
    /// submits windows to the agent and returns how many it sent; it is told how many DATA
    /// datagrams the agent has sent so far.
    /// - Parameters:
    ///   - streams: the agent's streams, added before the first tick.
    ///   - wallClockAtZero: the agent's wall clock at session time zero (window times).
    public static func record(streams: [(UInt32, StreamInfo)],
                              wallClockAtZero: TAI64N = TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0),
                              tick: (inout AgentSession, _ index: Int, _ now: Instant, _ datagrams: Int) throws -> Int?) throws -> CapturedSession {
        // One set of keys for the whole capture, however long it runs in session time: a
        // replay re-seals it under one session's keys.
        var timers = SessionTimers()
        timers.rekeyAfterTime = .seconds(1 << 40)
        timers.rejectAfterTime = .seconds(1 << 41)
        var random = SessionRandom(.seeded(42))
        let agentKey = PrivateKey(using: &random), collectorKey = PrivateKey(using: &random)
        var agent = AgentSession(config: AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: collectorAddress,
                                                     frame: try FrameConfig(fecTarget: 0.003), timers: timers, wallClockAtZero: wallClockAtZero, random: .seeded(7)))
        var collector = CollectorSession(config: CollectorConfig(staticKey: collectorKey, allowedAgents: [agentKey.publicKey], timers: timers, random: .seeded(8)))

        agent.handleTimeout(at: .zero)
        guard let initiation = agent.pollTransmit(at: .zero)?.datagram else { throw Failure("no initiation") }
        collector.receive(initiation, from: agentAddress, at: .zero)
        guard let response = collector.pollTransmit(at: .zero)?.datagram, response.first == Noise.DatagramType.handshakeResponse.byte0 else {
            throw Failure("no response")
        }
        let fresh = collector
        agent.receive(response, from: collectorAddress, at: .zero)
        guard agent.status == .established else { throw Failure("no session: \(agent.status)") }

        // The collector's keys: the collector draws its cookie secret (32 bytes), then its
        // index, then its ephemeral key from its seeded randomness.
        var rng = SessionRandom(.seeded(8))
        for _ in 0..<4 { _ = rng.next() }
        var index = UInt32(truncatingIfNeeded: rng.next())
        while index == 0 { index = UInt32(truncatingIfNeeded: rng.next()) }
        let got = try ReceivedInitiation.read(initiation, localStatic: collectorKey, usesPSK: false)
        let (again, keys) = try got.respond(localIndex: index, using: &rng)
        guard again == response else { throw Failure("the rebuilt response differs from the collector's") }

        for (id, info) in streams { try agent.addStream(id, info: info) }
        var data: [[UInt8]] = []
        let dataByte0 = WireLimits.version << 4 | WireFrame.DatagramType.data.rawValue
        var now = Instant.zero
        var decoded = 0
        func pump() {
            for _ in 0..<10_000 {
                var moved = false
                if let w = agent.nextWakeup(), w <= now { agent.handleTimeout(at: now) }
                while let t = agent.pollTransmit(at: now) {
                    if t.datagram.first == dataByte0 { data.append(t.datagram) }
                    collector.receive(t.datagram, from: agentAddress, at: now)
                    moved = true
                }
                if let w = collector.nextWakeup(), w <= now { collector.handleTimeout(at: now) }
                while let t = collector.pollTransmit(at: now) {
                    agent.receive(t.datagram, from: collectorAddress, at: now)
                    moved = true
                }
                for e in collector.pollEvents() { if case .windowDecoded = e { decoded += 1 } }
                if !moved { return }
            }
        }
        pump()
        var submitted = 0
        for i in 0... {
            now = now + .milliseconds(200)
            guard let sent = try tick(&agent, i, now, data.count) else { break }
            submitted += sent
            pump()
            now = now + .milliseconds(40)
            pump()
        }
        guard decoded == submitted else { throw Failure("\(decoded) of \(submitted) windows decoded live") }
        return CapturedSession(collector: fresh, keys: keys, data: data, headers: try data.map { try DatagramHeader.parse($0) },
                               windows: submitted, now: now)
    }

    /// The plaintext of every DATA datagram: header ‖ symbol (no tag), opened with the
    /// collector's keys.
    public func plaintexts() throws -> [[UInt8]] {
        try zip(data, headers).map { d, h in
            var plain = d
            try keys.open(datagram: &plain, headerLength: WireLimits.dataHeaderLength, packetNumber: h.packetNumber)
            return plain
        }
    }

    /// "N DATA datagrams (sizes) in B bundles": for a benchmark's log.
    public var summary: String {
        let sizes = Dictionary(grouping: data, by: \.count).map { "\($0.value.count) × \($0.key) B" }.sorted()
        return "\(data.count) DATA datagrams (\(sizes.joined(separator: ", "))) in \(Set(headers.map(\.bundle)).count) bundles"
    }
}
