import Crypto
import Noise
import Profile
import SansIO
import Session
import WireCodec
import WireFrame
import WireLimits
import WireFuzzSupport

/// An agent and a collector session established in memory with seeded keys (as
/// Tests/SessionTests do), and copies of what crossed between them: what the session
/// fuzzers start every input from and what the seed generator writes seeds of.
///
/// Everything is deterministic: the keys come from seed 42, the agent's randomness from
/// seed 7 and the collector's from seed 8, so the same datagrams come out on every run.
public enum SessionFixture {
    public static let agentAddress = PeerAddress("agent:1")
    public static let collectorAddress = PeerAddress("collector:1")
    public static let attackerAddress = PeerAddress("attacker:666")
    public static let wallClockAtZero = TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0)

    public static let agentKey: PrivateKey = keys.agent
    public static let collectorKey: PrivateKey = keys.collector
    static let keys: (agent: PrivateKey, collector: PrivateKey) = {
        var r = SessionRandom(.seeded(42))
        let a = PrivateKey(using: &r)
        let c = PrivateKey(using: &r)
        return (a, c)
    }()

    public static func agentConfig() -> AgentConfig {
        AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: collectorAddress,
                    frame: try! FrameConfig(fecTarget: 0.003), wallClockAtZero: wallClockAtZero, random: .seeded(7))
    }

    /// `loadThreshold` 0: every initiation without a valid mac2 gets a cookie reply.
    public static func collectorConfig(loadThreshold: Int = 50) -> CollectorConfig {
        CollectorConfig(staticKey: collectorKey, allowedAgents: [agentKey.publicKey], loadThreshold: loadThreshold, random: .seeded(8))
    }

    /// mac1 = HMAC-SHA256(SHA-256("mac1----" ‖ receiver's static key), bytes before mac1)[0..<16],
    /// computed here independently of Noise's `Macs`.
    public static func mac1(_ d: [UInt8], receiver: PublicKey) -> [UInt8] {
        precondition(d.count >= 32)
        let key = Array(SHA256.hash(data: Array("mac1----".utf8) + receiver.rawRepresentation))
        var h = HMAC<SHA256>(key: SymmetricKey(data: key))
        h.update(data: d[..<(d.count - 32)])
        return Array(Array(h.finalize()).prefix(16))
    }

    /// Whether `d`'s mac1 (the 16 bytes 32 from the end) is right for `receiver`.
    public static func hasValidMac1(_ d: [UInt8], receiver: PublicKey) -> Bool {
        d.count >= 32 && Array(d[(d.count - 32)..<(d.count - 16)]) == mac1(d, receiver: receiver)
    }

    /// `d` with its mac1 recomputed for `receiver` (mac2 left as it is).
    public static func restamped(_ d: [UInt8], receiver: PublicKey) -> [UInt8] {
        guard d.count >= 32 else { return d }
        var out = d
        out.replaceSubrange((d.count - 32)..<(d.count - 16), with: mac1(d, receiver: receiver))
        return out
    }

    /// Byte 0 of a CONTROL datagram: the protocol version and type 5 (SPEC.md §6.3, §11.1).
    public static let controlByte0: UInt8 = WireLimits.version << 4 | WireFrame.DatagramType.ack.rawValue

    /// A CONTROL datagram (SPEC.md §11.1) carrying `payload`, sealed here with
    /// ChaCha20-Poly1305 directly (nonce 4 zero bytes ‖ pn, the 13-byte header as
    /// associated data) rather than through `ControlDatagram.seal`.
    public static func sealControl(_ payload: [UInt8], connectionID: UInt32, packetNumber pn: UInt64, key: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [controlByte0]
        for i in stride(from: 24, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: connectionID >> UInt32(i))) }
        for i in stride(from: 56, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: pn >> UInt64(i))) }
        let box = try! ChaChaPoly.seal(payload, using: SymmetricKey(data: key), nonce: nonce(pn), authenticating: header)
        return header + Array(box.ciphertext) + Array(box.tag)
    }

    /// The payload of a CONTROL datagram sealed under `key`, or nil.
    public static func openControl(_ d: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard d.count >= 13 + 16 else { return nil }
        var pn: UInt64 = 0
        for i in 5..<13 { pn = pn << 8 | UInt64(d[i]) }
        guard let box = try? ChaChaPoly.SealedBox(nonce: nonce(pn), ciphertext: d[13..<(d.count - 16)], tag: d[(d.count - 16)...]),
              let plain = try? ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: d[..<13])
        else { return nil }
        return Array(plain)
    }

    static func nonce(_ pn: UInt64) -> ChaChaPoly.Nonce {
        var n = [UInt8](repeating: 0, count: 4)
        for i in stride(from: 56, through: 0, by: -8) { n.append(UInt8(truncatingIfNeeded: pn >> UInt64(i))) }
        return try! ChaChaPoly.Nonce(data: n)
    }

    // MARK: - The handshake, by hand

    /// What the agent sends first, and the same handshake rebuilt outside the session
    /// (the agent draws its first bundle id, then its index and ephemeral key from its seeded randomness), so a
    /// fuzzer can call `readResponse` and `consumeCookieReply` on copies of the agent's state.
    public struct Waiting: Sendable {
        /// An agent that sent its initiation at time zero and waits for the response.
        public var agent: AgentSession
        public var initiation: [UInt8]
        /// The agent's handshake and cookie state, rebuilt: equal to the session's.
        public var initiator: HandshakeInitiator
        public var cookies: CookieState
    }

    public static let waiting: Waiting = {
        var agent = AgentSession(config: agentConfig())
        agent.handleTimeout(at: .zero)
        guard let t = agent.pollTransmit(at: .zero), t.datagram.first == Noise.DatagramType.handshakeInitiation.byte0 else { fatalError("the agent sent no initiation") }
        var rng = SessionRandom(.seeded(7))
        _ = rng.next()  // the agent's first bundle id
        let index = UInt32(truncatingIfNeeded: rng.next())
        var cookies = CookieState(remoteStatic: collectorKey.publicKey)
        let initiator = try! HandshakeInitiator(localStatic: agentKey, remoteStatic: collectorKey.publicKey, localIndex: index,
                                                ephemeral: PrivateKey(using: &rng), timestamp: wallClockAtZero, cookies: &cookies, at: .zero)
        precondition(initiator.initiation == t.datagram, "the rebuilt initiation differs from the agent's")
        return Waiting(agent: agent, initiation: t.datagram, initiator: initiator, cookies: cookies)
    }()

    /// The collector's answers to the waiting agent's initiation: a response (from a fresh
    /// collector) and a cookie reply (from a collector under load).
    public static let response: [UInt8] = answer(to: waiting.initiation, loadThreshold: 50, type: Noise.DatagramType.handshakeResponse.byte0)
    public static let cookieReply: [UInt8] = answer(to: waiting.initiation, loadThreshold: 0, type: Noise.DatagramType.cookieReply.byte0)

    static func answer(to initiation: [UInt8], loadThreshold: Int, type: UInt8) -> [UInt8] {
        var c = CollectorSession(config: collectorConfig(loadThreshold: loadThreshold))
        c.receive(initiation, from: agentAddress, at: .zero)
        guard let t = c.pollTransmit(at: .zero), t.datagram.first == type else { fatalError("the collector gave no answer of type \(type)") }
        return t.datagram
    }

    // MARK: - An established session with traffic

    /// The agent's transport keys, recovered by finishing the rebuilt handshake.
    public struct AgentKeys: Sendable {
        public var localIndex: UInt32
        public var remoteIndex: UInt32
        /// Agent → collector.
        public var send: [UInt8]
        /// Collector → agent.
        public var receive: [UInt8]
    }

    public struct Established: Sendable {
        public var agent: AgentSession
        public var collector: CollectorSession
        public var keys: AgentKeys
        public var now: Instant
        /// A packet number neither side has seen yet, for forged and fuzzed CONTROL datagrams.
        public var freshPacketNumber: UInt64
        /// Every datagram the agent sent, and every one the collector sent, in order.
        public var fromAgent: [[UInt8]]
        public var fromCollector: [[UInt8]]
        /// The ids of the bundles the agent sent, in order (from its DATA headers): window 1's,
        /// then those of windows 2 and 3, in flight (MISSING frames name bundles).
        public var bundles: [UInt32]
    }

    /// An agent with stream 1 (the fixed heap stream of WireFuzzSupport): window 1 sent and
    /// decoded, acknowledged; windows 2 and 3 sent but never delivered (in flight, so ACK,
    /// DECODED and MISSING frames have something to act on). The collector has no ACK
    /// pending, so anything it sends afterwards answers what a fuzzer fed it.
    public static let established: Established = {
        var agent = waiting.agent
        var collector = CollectorSession(config: collectorConfig())
        var fromAgent = [waiting.initiation], fromCollector: [[UInt8]] = []
        collector.receive(waiting.initiation, from: agentAddress, at: .zero)
        var now = Instant.zero
        func pump(deliver: Bool = true) {
            for _ in 0..<100 {
                var moved = false
                if let w = agent.nextWakeup(), w <= now { agent.handleTimeout(at: now) }
                while let t = agent.pollTransmit(at: now) {
                    fromAgent.append(t.datagram)
                    if deliver { collector.receive(t.datagram, from: agentAddress, at: now) }
                    moved = true
                }
                if let w = collector.nextWakeup(), w <= now { collector.handleTimeout(at: now) }
                while let t = collector.pollTransmit(at: now) {
                    fromCollector.append(t.datagram)
                    agent.receive(t.datagram, from: collectorAddress, at: now)
                    moved = true
                }
                if !moved { return }
            }
        }
        pump()
        precondition(agent.status == .established, "no session: \(agent.status), collector dropped \(collector.dropped)")
        try! agent.addStream(1, info: FixedStream.info)
        now = now + .milliseconds(10)
        _ = try! agent.submit(FixedStream.profile(1), stream: 1, mode: .snapshot, takenAt: now, at: now)
        pump()
        now = now + .milliseconds(50)
        pump()
        precondition(agent.stats.windowsDecoded == 1, "window 1 not decoded: \(agent.stats), collector dropped \(collector.dropped)")
        _ = collector.pollEvents()
        for n in 2...3 {
            now = now + .milliseconds(100)
            _ = try! agent.submit(FixedStream.profile(n), stream: 1, mode: .snapshot, takenAt: now, at: now)
            pump(deliver: false)
        }
        precondition(agent.windowsInFlight == 2, "\(agent.windowsInFlight) windows in flight")
        precondition(collector.pollTransmit(at: now) == nil && collector.nextWakeup() == nil, "the collector still has something to send")
        _ = agent.pollEvents()

        var bundles: [UInt32] = []
        for d in fromAgent where d.first == WireLimits.version << 4 | WireFrame.DatagramType.data.rawValue {
            if let h = try? DatagramHeader.parse(d), !bundles.contains(h.bundle) { bundles.append(h.bundle) }
        }
        precondition(bundles.count == 3, "the agent sent bundles \(bundles), expected one per window")

        var rebuilt = waiting.initiator
        let k = try! rebuilt.readResponse(fromCollector[0])
        return Established(agent: agent, collector: collector,
                           keys: AgentKeys(localIndex: k.localIndex, remoteIndex: k.remoteIndex, send: k.sendKey, receive: k.receiveKey),
                           now: now, freshPacketNumber: 1 << 20, fromAgent: fromAgent, fromCollector: fromCollector, bundles: bundles)
    }()
}
