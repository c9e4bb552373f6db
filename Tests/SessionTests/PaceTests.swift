import NetSim
import Noise
import SansIO
import Session
import Testing
import TestSupport

/// SPEC.md §11.6, overload: an overloaded collector's PACE frames set a floor under the
/// agent's interval while they keep coming; PACE 0 lifts it at once, silence after
/// `PACE_HOLD`; `PaceController` decides when a collector asks.
@Suite struct PaceTests {
    static func ms(_ d: Duration?) -> Int64? { d.map { $0.nanoseconds / 1_000_000 } }

    @Test func anAgentTakesTheCollectorsPaceWhileRepeatedAndDropsItWhenLifted() throws {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(40), total: total)
        var events: [AgentEvent] = []
        sim.schedule(at: .zero + .seconds(10)) { a, b, _ in
            events += a.pollEvents()
            #expect(a.pace == nil && a.interval <= .milliseconds(480), "no PACE before the collector asks")
            b.setPace(.milliseconds(1_440))
        }
        sim.schedule(at: .zero + .seconds(12)) { a, _, _ in
            #expect(Self.ms(a.pace) == 1_440)
            #expect(Self.ms(a.interval) == 1_440, "the interval in use is the PACE, beyond MAX_INTERVAL")
        }
        // Past PACE_HOLD after the first frame: still paced only because the collector repeats it.
        sim.schedule(at: .zero + .seconds(22)) { a, b, _ in
            #expect(Self.ms(a.pace) == 1_440)
            b.setPace(nil)
        }
        // PACE 0 travels with the next acknowledgement: lifted well before the hold would end.
        sim.schedule(at: .zero + .seconds(23)) { a, _, _ in
            #expect(a.pace == nil)
            #expect(a.interval <= .milliseconds(480))
        }
        try sim.run(until: .zero + .seconds(60))
        events += sim.a.pollEvents()
        #expect(events.filter { if case .paced = $0 { true } else { false } } == [.paced(.milliseconds(1_440)), .paced(nil)])
        #expect(Harness.totalsEqual(sim, agent: h.agentKey.publicKey), "nothing lost while paced")
    }

    @Test func aPaceLapsesAfterTheHoldWhenNoRepeatArrives() throws {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(40), total: total)
        sim.schedule(at: .zero + .seconds(5)) { _, b, _ in b.setPace(.seconds(60)) }
        var pacedAt8: Duration?
        sim.schedule(at: .zero + .seconds(8)) { a, _, _ in pacedAt8 = a.pace }
        // The collector's side of the link goes down: no repeat, no PACE 0.
        try sim.reconfigure(.b, link: LinkConfig(delay: .milliseconds(160), outages: [Outage(start: .zero + .seconds(8), duration: .seconds(30))]))
        var pacedAt12: Duration?, pacedAt14: Duration?
        sim.schedule(at: .zero + .seconds(12)) { a, _, _ in pacedAt12 = a.pace }
        sim.schedule(at: .zero + .seconds(14)) { a, _, _ in pacedAt14 = a.pace }
        try sim.run(until: .zero + .seconds(15))
        #expect(pacedAt8 == SessionTimers().maxPace, "a PACE above MAX_PACE is capped")
        #expect(pacedAt12 == SessionTimers().maxPace, "a PACE holds for PACE_HOLD after its last repeat")
        #expect(pacedAt14 == nil, "and lapses then")
    }

    @Test func theControllerRaisesFastLowersSlowlyAndLifts() {
        var c = PaceController()
        var t = Instant.zero
        func step(_ overloaded: Bool) -> Int64? {
            t = t + .seconds(1)
            c.update(overloaded: overloaded, at: t)
            return Self.ms(c.pace)
        }
        #expect(step(false) == nil, "no request while the collector keeps up")
        #expect(step(true) == 960)
        #expect(step(true) == 1_440)
        #expect(step(true) == 2_160)
        for _ in 0..<10 { _ = step(true) }
        #expect(Self.ms(c.pace) == 10_000, "capped at MAX_PACE")
        // Clear: the first clear second starts the count; lowered after 5 s, then every 5 s.
        for _ in 0..<5 { #expect(step(false) == 10_000) }
        #expect(step(false) == 7_500)
        for _ in 0..<4 { #expect(step(false) == 7_500) }
        #expect(step(false) == 5_625)
        // Overload again: raised at once from where it is.
        #expect(step(true) == 8_437)
        var lifted = 0
        for _ in 0..<60 where step(false) == nil { lifted += 1 }
        #expect(lifted > 0 && c.pace == nil, "lifted once it would fall below MAX_INTERVAL")
        var quiet = PaceController()
        var changes = 0
        for s in 1...30 where quiet.update(overloaded: false, at: .zero + .seconds(Int64(s))) { changes += 1 }
        #expect(changes == 0 && quiet.pace == nil)
    }
}
