import NetSim
import Noise
import Profile
import SansIO
import Session
import TestSupport
import WireCodec
import WireFrame

/// Keys, configs and a simulated link for session tests (seeded: every run is the same).
struct Harness {
    static let agentAddress = PeerAddress("agent:1")
    static let collectorAddress = PeerAddress("collector:1")
    static let info = StreamInfo(service: "t", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")],
                                 columnKinds: [.counter])

    var random = SessionRandom(.seeded(42))
    let agentKey: PrivateKey
    let collectorKey: PrivateKey

    init(seed: UInt64 = 42) {
        random = SessionRandom(.seeded(seed))
        agentKey = PrivateKey(using: &random)
        collectorKey = PrivateKey(using: &random)
    }

    func agentConfig(psk: [UInt8]? = nil, timers: SessionTimers = SessionTimers(), maxRate: Int? = nil) throws -> AgentConfig {
        AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: psk, collector: Self.collectorAddress,
                    frame: try FrameConfig(fecTarget: 0.003), timers: timers, maxRate: maxRate,
                    wallClockAtZero: TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0), random: .seeded(7))
    }

    func collectorConfig(psk: [UInt8]? = nil, timers: SessionTimers = SessionTimers(), allowed: Set<PublicKey>? = nil) -> CollectorConfig {
        CollectorConfig(staticKey: collectorKey, allowedAgents: allowed ?? [agentKey.publicKey], psk: psk, timers: timers, random: .seeded(8))
    }

    /// An agent with stream 1 (`info`) and a collector, over `link` both ways.
    func simulation(agent: AgentConfig, collector: CollectorConfig, link: LinkConfig = LinkConfig(delay: .milliseconds(160)),
                    seed: UInt64 = 1) throws -> Simulation<AgentSession, CollectorSession> {
        var a = AgentSession(config: agent)
        try a.addStream(1, info: Self.info)
        return try Simulation(a: a, addressA: Self.agentAddress, b: CollectorSession(config: collector), addressB: Self.collectorAddress,
                              forward: link, backward: link, seed: seed)
    }

    /// An agent with one counter stream that submits `a N` every `period` from `start` until `until`,
    /// and what it submitted in total.
    static func feed(_ sim: Simulation<AgentSession, CollectorSession>, period: Duration = .milliseconds(200),
                     from start: Instant = .zero + .milliseconds(5), until end: Instant, total: Counter) {
        sim.scheduleRepeating(firstAt: start) { a, _, now in
            guard now < end else { return nil }
            total.value += 1
            _ = try? a.submit(try foldedProfile("main;work \(1)\nmain;idle \(total.value % 3 + 1)\n"), stream: 1, mode: .delta,
                              takenAt: now, at: now)
            return now + period
        }
    }

    /// The collector's newest decoded state of stream 1 equals the agent's.
    static func totalsEqual(_ sim: Simulation<AgentSession, CollectorSession>, agent key: PublicKey) -> Bool {
        guard let rx = sim.b.receiver(of: key)?.decoder(1), let last = rx.heldSequences.last else { return false }
        return rx.state(seq: last) == sim.a.encoder(1)?.state
    }
}

final class Counter: @unchecked Sendable {
    var value = 0
}
