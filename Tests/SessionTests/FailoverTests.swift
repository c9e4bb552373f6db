import NetSim
import Noise
import SansIO
import Session
import Testing
import TestSupport
import WireCodec

/// SPEC.md §11.7: an agent with several collectors moves to the next when the one it uses
/// decodes none of its windows for the failover time, and only then.
@Suite struct FailoverTests {
    @Test func anAgentMovesToItsNextCollectorWhenTheFirstDecodesNothing() throws {
        var h = Harness()
        let second = PrivateKey(using: &h.random)
        var config = try h.agentConfig()
        config.alternates = [CollectorTarget(address: Harness.collectorAddress, key: second.publicKey)]
        let sim = try h.simulation(agent: config, collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(120), total: total)
        // A collector that decodes is never left, however long the run.
        try sim.run(until: .zero + .seconds(45))
        #expect(sim.a.stats.failovers == 0)
        #expect(sim.a.stats.windowsDecoded > 100)
        // The first collector is gone; another one, with its own key, answers at the address.
        var other = CollectorConfig(staticKey: second, allowedAgents: [h.agentKey.publicKey], random: .seeded(9))
        other.timers = SessionTimers()
        sim.b = CollectorSession(config: other)
        try sim.run(until: .zero + .seconds(100))
        #expect(sim.a.stats.failovers == 1)
        #expect(sim.a.status == .established)
        #expect(sim.a.stats.handshakes == 2)
        #expect(sim.a.config.collectorKey == second.publicKey)
        // Keyframes against nothing: the second collector holds the agent's exact state.
        try sim.run(until: .zero + .seconds(140))
        #expect(Harness.totalsEqual(sim, agent: h.agentKey.publicKey))
        #expect(sim.a.pollEvents().contains(.collectorChanged(to: Harness.collectorAddress, index: 1)))
    }

    /// The moment and the destination, on a session alone: nothing answers, windows wait.
    @Test func afterTheFailoverTimeDatagramsGoToTheNextAddress() throws {
        var h = Harness()
        let second = PrivateKey(using: &h.random)
        for alternates in [0, 1] {
            var config = try h.agentConfig()
            if alternates == 1 { config.alternates = [CollectorTarget(address: PeerAddress("collector:2"), key: second.publicKey)] }
            var a = AgentSession(config: config)
            try a.addStream(1, info: Harness.info)
            var destinations: [(Instant, String)] = []
            var t = Instant.zero
            // Idle for a minute first: waiting with nothing to send is no reason to move.
            let start = Instant.zero + .seconds(60)
            while t < start + .seconds(45) {
                if t >= start && (t - start).nanoseconds % 1_000_000_000 == 0 {
                    _ = try a.submit(try foldedProfile("main;work \(1 + (t - start).nanoseconds / 1_000_000_000)\n"), stream: 1, mode: .snapshot, takenAt: t, at: t)
                }
                a.handleTimeout(at: t)
                while let x = a.pollTransmit(at: t) { destinations.append((t, x.destination.value)) }
                t = t + .milliseconds(100)
            }
            let moved = destinations.first { $0.1 == "collector:2" }?.0
            if alternates == 0 {
                #expect(a.stats.failovers == 0)
                #expect(moved == nil)
            } else {
                #expect(a.stats.failovers == 1)
                // 30 s after the first window, which nothing decoded.
                #expect(moved == start + .seconds(30))
                #expect(destinations.filter { $0.0 > start + .seconds(30) }.allSatisfy { $0.1 == "collector:2" })
            }
        }
    }
}
