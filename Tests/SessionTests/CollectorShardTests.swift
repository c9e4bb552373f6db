import NetSim
import Noise
import SansIO
import Session
import TestSupport
import Testing

/// A collector spread over shards (`CollectorShard`): each agent key lives on one shard,
/// whatever socket its datagrams reach. These drive two shards the way `UDPEndpointGroup`
/// does, with the kernel's choice of socket made by the test from the agent's address, so
/// an address change (NAT rebinding) moves the agent's datagrams to the other shard.
@Suite struct CollectorShardTests {
    /// Two shards behind one address, as the runtime drives them: `socket(of:)` plays the
    /// kernel's SO_REUSEPORT choice, and forwarded datagrams go to the shard they name.
    struct TwoShards: DatagramEndpoint {
        var shards: [CollectorSession]
        var socket: @Sendable (PeerAddress) -> Int
        /// Datagrams handed from one shard to another.
        var forwarded = 0

        mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
            shards[socket(address)].receive(datagram, from: address, at: now)
            route(at: now)
        }

        mutating func route(at now: Instant) {
            for _ in 0..<100 {
                var moved = false
                for i in shards.indices {
                    while let f = shards[i].pollForward() {
                        forwarded += 1
                        moved = true
                        shards[f.shard].receiveForwarded(f.datagram, from: f.source, at: now)
                    }
                }
                if !moved { return }
            }
        }

        mutating func pollTransmit(at now: Instant) -> Transmit? {
            for i in shards.indices { if let t = shards[i].pollTransmit(at: now) { return t } }
            return nil
        }

        func nextWakeup() -> Instant? { shards.compactMap { $0.nextWakeup() }.min() }

        mutating func handleTimeout(at now: Instant) {
            for i in shards.indices { shards[i].handleTimeout(at: now) }
        }
    }

    static let moved = PeerAddress("agent:2")

    func run(timers: SessionTimers = SessionTimers(), preclaimedBy owner: Int? = nil,
             socket: @escaping @Sendable (PeerAddress) -> Int) throws -> (Simulation<AgentSession, TwoShards>, Harness) {
        let h = Harness()
        let ledger = ShardLedger()
        if let owner { _ = ledger.claim(h.agentKey.publicKey, for: owner) }
        let shards = (0..<2).map { i in
            var c = h.collectorConfig(timers: timers)
            c.shard = CollectorShard(index: i, count: 2, ledger: ledger)
            return CollectorSession(config: c)
        }
        var a = AgentSession(config: try h.agentConfig(timers: timers))
        try a.addStream(1, info: Harness.info)
        let link = LinkConfig(lossProbability: 0.05, delay: .milliseconds(160))
        let sim = try Simulation(a: a, addressA: Harness.agentAddress, b: TwoShards(shards: shards, socket: socket),
                                 addressB: Harness.collectorAddress, forward: link, backward: link, seed: 3)
        let total = Counter()
        sim.scheduleRepeating(firstAt: .zero + .milliseconds(5)) { a, _, now in
            guard now < .zero + .seconds(40) else { return nil }
            total.value += 1
            _ = try? a.submit(try foldedProfile("main;work 1\nmain;idle \(total.value % 3 + 1)\n"), stream: 1, mode: .delta, takenAt: now, at: now)
            return now + .milliseconds(200)
        }
        return (sim, h)
    }

    static func totalsEqual(_ sim: Simulation<AgentSession, TwoShards>, on shard: Int, agent key: PublicKey) -> Bool {
        guard let rx = sim.b.shards[shard].receiver(of: key)?.decoder(1), let last = rx.heldSequences.last else { return false }
        return rx.state(seq: last) == sim.a.encoder(1)?.state
    }

    /// The agent's address changes at 10 s (its NAT rebinds) and the kernel now gives its
    /// datagrams to the other shard's socket. That shard hands them to the owner, and at the
    /// rekey (every 15 s here) it hands the initiation on too: the session never moves.
    @Test func anAgentWhoseAddressMovesStaysWithItsShard() throws {
        var timers = SessionTimers()
        timers.rekeyAfterTime = .seconds(15)
        let (sim, h) = try run(timers: timers) { $0 == Self.moved ? 1 : 0 }
        sim.scheduleRebindA(at: .zero + .seconds(10), to: Self.moved)
        try sim.run(until: .zero + .seconds(55))
        let key = h.agentKey.publicKey
        #expect(sim.a.stats.handshakes >= 3, "rekeyed after the move: \(sim.a.stats.handshakes)")
        #expect(sim.b.shards[0].peerKeys == [key])
        #expect(sim.b.shards[1].peerKeys.isEmpty, "the other shard made no session of its own")
        #expect(sim.b.forwarded > 100 && sim.b.shards[1].forwardedOut == sim.b.forwarded)
        #expect(sim.b.shards[0].forwardedOut == 0)
        for s in sim.b.shards { #expect(s.dropped[.unknownConnection, default: 0] == 0 && s.dropped[.misrouted, default: 0] == 0, "\(s.dropped)") }
        #expect(sim.b.shards[0].address(of: key) == Self.moved, "replies follow the agent's new address")
        #expect(sim.a.stats.windowsLost == 0 && sim.a.stats.windowsRejected == 0)
        #expect(Self.totalsEqual(sim, on: 0, agent: key))
    }

    /// Every datagram of the agent, its first initiation included, reaches a shard that does
    /// not own it (another shard took the key first): all of it is answered by the owner.
    @Test func theOwnerAnswersWhateverShardReadsTheDatagrams() throws {
        let (sim, h) = try run(preclaimedBy: 0) { _ in 1 }
        try sim.run(until: .zero + .seconds(45))
        let key = h.agentKey.publicKey
        #expect(sim.a.status == .established)
        #expect(sim.b.shards[1].peerKeys.isEmpty && sim.b.shards[0].peerKeys == [key])
        #expect(sim.b.shards[1].dropped.isEmpty && sim.b.shards[0].dropped.isEmpty, "\(sim.b.shards.map(\.dropped))")
        #expect(sim.a.stats.windowsLost == 0)
        #expect(Self.totalsEqual(sim, on: 0, agent: key))
    }

    /// Shard `index` of `count` on `ledger`.
    static func shard(_ h: Harness, _ index: Int, of count: Int, ledger: ShardLedger, maxPeers: Int = 10_000) -> CollectorSession {
        var c = h.collectorConfig()
        c.maxPeers = maxPeers
        c.shard = CollectorShard(index: index, count: count, ledger: ledger)
        return CollectorSession(config: c)
    }

    /// The agent's first initiation.
    static func initiation(_ h: Harness) throws -> Transmit {
        var a = AgentSession(config: try h.agentConfig())
        a.handleTimeout(at: .zero)
        return try #require(a.pollTransmit(at: .zero) as Transmit?)
    }

    /// A forwarded datagram is never forwarded again, even when the ledger's owner changed
    /// meanwhile (the allow list was reloaded): it is dropped and counted.
    @Test func aForwardedInitiationIsNotForwardedAgain() throws {
        let h = Harness()
        let ledger = ShardLedger()
        _ = ledger.claim(h.agentKey.publicKey, for: 1)
        var shard = Self.shard(h, 0, of: 2, ledger: ledger)
        let initiation = try Self.initiation(h)
        shard.receive(initiation.datagram, from: Harness.agentAddress, at: .zero)
        #expect(shard.pollForward() == ForwardedDatagram(shard: 1, datagram: initiation.datagram, source: Harness.agentAddress))
        shard.receiveForwarded(initiation.datagram, from: Harness.agentAddress, at: .zero)
        #expect(shard.pollForward() == nil)
        #expect(shard.pollTransmit(at: .zero) == nil)
        #expect(shard.dropped[.misrouted] == 1)
    }

    /// Each shard gives out only its own connection ids, so any shard can tell an id's owner.
    @Test(arguments: [2, 3, 5, 8]) func connectionIDsNameTheirShard(count: Int) throws {
        let h = Harness()
        let ledger = ShardLedger()
        let initiation = try Self.initiation(h)
        for index in 0..<count {
            var shard = Self.shard(h, index, of: count, ledger: ledger)
            _ = ledger.claim(h.agentKey.publicKey, for: index)
            shard.receive(initiation.datagram, from: Harness.agentAddress, at: .zero)
            let response = try #require(shard.pollTransmit(at: .zero) as Transmit?)
            // The collector's index in the response (bytes 1..<5, big-endian, SPEC.md §10.2).
            let id = response.datagram[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(id != 0 && Int(id % UInt32(count)) == index)
            #expect(CollectorShard(index: index, count: count, ledger: ledger).owner(ofConnection: id) == index)
            ledger.retain([])
        }
        for r in [UInt32.max, UInt32.max - 1, 0, 1, 1 << 31] {
            for count in [2, 3, 7] {
                for index in 0..<count {
                    let s = CollectorShard(index: index, count: count, ledger: ledger)
                    let id = s.connectionID(from: r)
                    #expect(id == 0 || s.owner(ofConnection: id) == index)
                }
            }
        }
    }
}

extension CollectorShardTests {
    /// A shard with `maxPeers` sessions refuses a new agent and keeps no claim on it, so a
    /// shard with room can take the agent when its datagrams reach that one.
    @Test func aFullShardLeavesTheAgentToAnother() throws {
        let h = Harness()
        let ledger = ShardLedger()
        var full = Self.shard(h, 0, of: 2, ledger: ledger, maxPeers: 0)
        let initiation = try Self.initiation(h)
        full.receive(initiation.datagram, from: Harness.agentAddress, at: .zero)
        #expect(full.dropped[.tooManyPeers] == 1)
        #expect(ledger.owner(of: h.agentKey.publicKey) == nil)
        #expect(ledger.claim(h.agentKey.publicKey, for: 1) == 1)
    }
}
