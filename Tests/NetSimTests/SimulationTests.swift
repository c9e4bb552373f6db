import Testing
import SansIO
@testable import NetSim

@Suite struct SimulationTests {
    /// The target path: 320 ms round trip, 12 % loss, ~1.5 KB MTU, a 1 Mbit/s bottleneck.
    static let lossy = LinkConfig(
        lossProbability: 0.12, delay: .milliseconds(160), jitter: .uniform(.milliseconds(10)),
        duplicateProbability: 0.01, bandwidth: Bandwidth(bitsPerSecond: 1_000_000, queueBytes: 64_000), mtu: 1_472)

    static func pingPong(seed: UInt64 = 1, config: LinkConfig = lossy) throws -> Simulation<PacedSender, Acker> {
        try Simulation(a: PacedSender(peer: bob), addressA: alice, b: Acker(), addressB: bob,
                       forward: config, backward: config, seed: seed)
    }

    @Test func thirtyVirtualMinutesRunWithinTheStepBoundAndTheCountsAddUp() throws {
        let sim = try Self.pingPong()
        let end = Instant.zero + .seconds(30 * 60)
        let reason = try sim.run(until: end, maxSteps: 2_000_000)
        #expect(reason == .reachedTime)
        #expect(sim.now == end)
        let f = sim.forward.counters
        let r = sim.backward.counters
        // One datagram every 10 ms, the one at exactly 30 min included.
        #expect(sim.a.sent == 180_001)
        #expect(f.sentDatagrams == 180_001)
        #expect(balances(f) && balances(r))
        #expect(f.droppedTotal == f.droppedRandomLoss)
        #expect(abs(Double(f.droppedRandomLoss) / Double(f.sentDatagrams) - 0.12) < 0.01)
        #expect(sim.b.received == f.deliveredDatagrams)
        #expect(r.sentDatagrams == sim.b.received)
        #expect(sim.counters.received[.a] == r.deliveredDatagrams)
        #expect(sim.counters.transmitted[.a] == f.sentDatagrams)
        #expect(sim.counters.unroutable == [.a: 0, .b: 0])
        // Acknowledged: both ways lossy, about 0.88 × 0.88 of what was sent.
        let ackedShare = Double(sim.a.acked.count) / Double(sim.a.sent)
        #expect(abs(ackedShare - 0.88 * 0.88) < 0.02)
        // Only in-flight copies are left over.
        #expect(f.inFlight + r.inFlight < 100)
        let c = sim.counters
        #expect(c.steps == (c.received[.a] ?? 0) + (c.received[.b] ?? 0) + (c.timeouts[.a] ?? 0) + (c.timeouts[.b] ?? 0) + c.events)
        #expect(c.steps < 600_000)
    }

    @Test func theSameSeedReplaysTheSameRun() throws {
        func trace(seed: UInt64) throws -> [TraceEvent] {
            let sim = try Self.pingPong(seed: seed)
            var events: [TraceEvent] = []
            sim.observer = { events.append($0) }
            try sim.run(until: Instant.zero + .seconds(20))
            return events
        }
        let first = try trace(seed: 5)
        #expect(first.count > 4_000)
        #expect(try trace(seed: 5) == first)
        #expect(try trace(seed: 6) != first)
    }

    @Test func natRebindingDeliversFromTheNewAddress() throws {
        let sim = try Self.pingPong(config: LinkConfig(delay: .milliseconds(100)))
        let newAddress = PeerAddress("alice-after-nat")
        try sim.run(until: ms(10_000))
        sim.rebindA(to: newAddress)
        #expect(sim.addressA == newAddress)
        try sim.run(until: ms(20_000))
        #expect(sim.b.sources.keys.sorted { $0.value < $1.value } == [alice, newAddress])
        // Sent at 10.01 s to 19.90 s (the one at 10.00 s left before the rebinding), arrived by 20 s.
        #expect(sim.b.sources[newAddress] == 990)
        // Acks to the old address, for datagrams already on the way, are unroutable.
        #expect(sim.counters.unroutable[.b] == 10)
        // B acknowledges at the new address, so acks keep coming.
        #expect(sim.a.acked.contains(1_500) && sim.a.acked.contains(1_979))
    }

    @Test func aRebindingCanKeepTheOldAddressRoutableAndBeScheduled() throws {
        let sim = try Self.pingPong(config: LinkConfig(delay: .milliseconds(100)))
        let newAddress = PeerAddress("alice-2")
        sim.scheduleRebindA(at: ms(10_000), to: newAddress, keepOldAddressRoutable: true)
        var rebound: [TraceEvent] = []
        sim.observer = { if case .rebound = $0 { rebound.append($0) } }
        try sim.run(until: ms(20_000))
        #expect(rebound == [.rebound(newAddress, ms(10_000))])
        #expect(sim.counters.unroutable[.b] == 0)
        // Everything sent by 19.80 s is acknowledged by 20 s (200 ms round trip).
        #expect(sim.a.acked.count == 1_981)
    }

    @Test func repeatingEventsMayChangeTheirPeriod() throws {
        let sim = try Self.pingPong(config: .perfect)
        var times: [Instant] = []
        var period = Duration.seconds(1)
        sim.scheduleRepeating(firstAt: ms(1_000)) { a, _, now in
            times.append(now)
            a.profiles += 1
            defer { period *= 2 }
            return now + period
        }
        sim.schedule(at: ms(5_000)) { a, _, _ in a.interval = .milliseconds(20) }
        try sim.run(until: ms(20_000))
        #expect(times == [ms(1_000), ms(2_000), ms(4_000), ms(8_000), ms(16_000)])
        #expect(sim.a.profiles == 5)
        #expect(sim.counters.events == 6)
        // 10 ms until 5 s (0 … 5.00 s), then 20 ms (5.02 … 20 s).
        #expect(sim.a.sent == 501 + 750)
    }

    @Test func aSimulationWithNothingToDoIsIdle() throws {
        let sim = try Simulation(a: StuckEndpoint(), addressA: alice, b: StuckEndpoint(), addressB: bob,
                                 forward: .perfect, backward: .perfect, seed: 1)
        #expect(try sim.run(until: ms(1_000)) == .idle)
        #expect(sim.now == ms(1_000))
        #expect(sim.counters.steps == 0)
    }

    @Test func aWakeupStuckInThePastStopsTheRunWithAnError() throws {
        let sim = try Simulation(a: StuckEndpoint(), addressA: alice, b: StuckEndpoint(wakeup: .zero), addressB: bob,
                                 forward: .perfect, backward: .perfect, seed: 1, start: ms(5_000))
        #expect(throws: SimulationError.noProgress(.endpoint(.b), at: ms(5_000), steps: 100)) {
            try sim.run(until: ms(10_000), maxStalledSteps: 100)
        }
        #expect(sim.b.timeouts == 100)
        #expect(sim.counters.lateWakeups[.b] == 100)
    }

    @Test func anEventReschedulingItselfAtTheSameTimeStopsTheRun() throws {
        let sim = try Simulation(a: StuckEndpoint(), addressA: alice, b: StuckEndpoint(), addressB: bob,
                                 forward: .perfect, backward: .perfect, seed: 1)
        sim.scheduleRepeating(firstAt: ms(1)) { _, _, now in now }
        #expect(throws: SimulationError.noProgress(.event, at: ms(1), steps: 50)) {
            try sim.run(until: ms(10), maxStalledSteps: 50)
        }
    }

    @Test func theStepBoundStopsAnEndpointThatNeverLetsTimeAdvance() throws {
        let sim = try Simulation(a: BusyEndpoint(peer: bob), addressA: alice, b: StuckEndpoint(), addressB: bob,
                                 forward: LinkConfig(delay: .milliseconds(1)), backward: .perfect, seed: 1)
        #expect(try sim.run(until: ms(1_000), maxSteps: 500) == .stepLimit)
        #expect(sim.now == .zero)
        #expect(sim.forward.counters.sentDatagrams == 500)
    }

    @Test func anEndpointThatNeverStopsTransmittingStopsTheRun() throws {
        let sim = try Simulation(a: FloodingEndpoint(peer: bob), addressA: alice, b: StuckEndpoint(), addressB: bob,
                                 forward: .perfect, backward: .perfect, seed: 1)
        sim.transmitLimitPerStep = 1_000
        #expect(throws: SimulationError.transmitFlood(.a, at: .zero, count: 1_001)) {
            try sim.run(until: ms(1_000))
        }
    }

    @Test func datagramsToAnUnknownAddressAreUnroutable() throws {
        let sim = try Simulation(a: PacedSender(peer: PeerAddress("nobody")), addressA: alice, b: Acker(), addressB: bob,
                                 forward: .perfect, backward: .perfect, seed: 1)
        try sim.run(until: ms(95))
        #expect(sim.counters.unroutable[.a] == 10)
        #expect(sim.forward.counters.sentDatagrams == 0)
        #expect(sim.b.received == 0)
    }
}
