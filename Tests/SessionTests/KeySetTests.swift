import NetSim
import Noise
import SansIO
import Session
import Testing

/// The collector's key sets per agent (SPEC.md §11.5): *current*, *previous* and *next*, as
/// WireGuard keeps them. A handshake the agent never completes must not take away the keys
/// it is still sending under.
@Suite struct KeySetTests {
    /// The collector's replies stop reaching the agent for 25 s while the agent's datagrams
    /// still arrive (a one-way outage, or a collector too busy to answer in time). The agent
    /// hears nothing, handshakes again after `SILENCE` and retries at 1, 3 and 7 s: every
    /// initiation makes the collector a new key set that the agent never learns. Before,
    /// the collector kept only the newest two sets, so the second retry dropped the keys the
    /// agent was still sending under, and every datagram after it was `unknownConnection`.
    @Test func unansweredHandshakesKeepTheKeysInUse() throws {
        let h = Harness()
        let outage = Outage(start: .zero + .seconds(10), duration: .seconds(25))
        var a = AgentSession(config: try h.agentConfig())
        try a.addStream(1, info: Harness.info)
        let sim = try Simulation(a: a, addressA: Harness.agentAddress, b: CollectorSession(config: h.collectorConfig()),
                                 addressB: Harness.collectorAddress,
                                 forward: LinkConfig(delay: .milliseconds(160)),
                                 backward: LinkConfig(delay: .milliseconds(160), outages: [outage]), seed: 5)
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(60), total: total)
        try sim.run(until: .zero + .seconds(34))
        #expect(sim.a.stats.handshakes == 1, "no response reached the agent during the outage")
        #expect(sim.b.keySets(of: h.agentKey.publicKey) == 2, "the keys in use and the newest unanswered set")
        #expect(sim.b.dropped[.unknownConnection, default: 0] == 0,
                "datagrams under the keys in use were dropped: \(sim.b.dropped)")
        try sim.run(until: .zero + .seconds(70))
        #expect(sim.a.stats.handshakes == 2)
        #expect(sim.a.status == .established)
        #expect(sim.b.dropped[.unknownConnection, default: 0] == 0, "\(sim.b.dropped)")
        #expect(sim.b.keySets(of: h.agentKey.publicKey) == 2, "the used sets: current and previous")
        // Windows that waited out the outage were coalesced or given up after REPAIR_LIMIT;
        // the deltas after it carry their counts, so the totals are exact.
        #expect(Harness.totalsEqual(sim, agent: h.agentKey.publicKey))
        #expect(sim.a.stats.windowsRejected == 0)
    }
}

extension KeySetTests {
    /// A path slower than the handshake retry (1.6 s RTT): the agent's first initiation is
    /// answered after it has sent a second, so the collector makes two key sets and the agent
    /// keeps the second. Every acknowledgement must reach the agent under keys it holds.
    @Test func aSlowFirstHandshakeLeavesNoAcknowledgementUnderUnusedKeys() throws {
        let h = Harness()
        let link = LinkConfig(delay: .milliseconds(800))
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig(), link: link, seed: 9)
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(30), total: total)
        try sim.run(until: .zero + .seconds(45))
        #expect(sim.a.stats.dropped[.unexpectedResponse, default: 0] >= 1, "the first response came after the retry")
        #expect(sim.b.keySets(of: h.agentKey.publicKey) == 1, "the unused set is gone once the used one is confirmed")
        #expect(sim.a.stats.dropped[.unknownConnection, default: 0] == 0, "\(sim.a.stats.dropped) \(sim.a.stats)")
        #expect(sim.a.stats.windowsLost == 0)
        #expect(Harness.totalsEqual(sim, agent: h.agentKey.publicKey))
    }
}
