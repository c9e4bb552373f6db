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
        var sentAt12 = 0, sentAt22 = 0
        sim.schedule(at: .zero + .seconds(12)) { a, _, _ in
            #expect(Self.ms(a.pace) == 1_440)
            #expect(Self.ms(a.interval) == 1_440, "the interval in use is the PACE, beyond MAX_INTERVAL")
            sentAt12 = a.stats.windowsSent
        }
        // Past PACE_HOLD after the first frame: still paced only because the collector repeats it.
        sim.schedule(at: .zero + .seconds(22)) { a, b, _ in
            #expect(Self.ms(a.pace) == 1_440)
            sentAt22 = a.stats.windowsSent
            b.setPace(nil)
        }
        // PACE 0 travels with the next acknowledgement: lifted well before the hold would end.
        sim.schedule(at: .zero + .seconds(23)) { a, _, _ in
            #expect(a.pace == nil)
            #expect(a.interval <= .milliseconds(480))
        }
        try sim.run(until: .zero + .seconds(60))
        // The source snapshots every 200 ms (50 in 10 s); the stream sends one window per PACE.
        #expect((6...8).contains(sentAt22 - sentAt12), "windows sent in 10 s at a 1.44 s PACE: \(sentAt22 - sentAt12)")
        events += sim.a.pollEvents()
        #expect(events.filter { if case .paced = $0 { true } else { false } } == [.paced(.milliseconds(1_440)), .paced(nil)])
        #expect(Harness.totalsEqual(sim, agent: h.agentKey.publicKey), "nothing lost while paced")
    }

    @Test func aPaceLapsesAfterTheHoldWhenNoRepeatArrives() throws {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(40), total: total)
        var capped: Duration?
        sim.schedule(at: .zero + .seconds(5)) { _, b, _ in
            b.setPace(.seconds(60))
            capped = b.pace
            b.setPace(.seconds(3))
        }
        // The collector's side of the link goes down at 8 s: no repeat, no PACE 0. The last
        // PACE arrived with the acknowledgement of the first paced window (~5.5 s): it holds
        // max(PACE_HOLD, 2 × 3 s) = 6 s.
        try sim.reconfigure(.b, link: LinkConfig(delay: .milliseconds(160), outages: [Outage(start: .zero + .seconds(8), duration: .seconds(30))]))
        var pacedAt10: Duration?, pacedAt13: Duration?
        sim.schedule(at: .zero + .seconds(10)) { a, _, _ in pacedAt10 = a.pace }
        sim.schedule(at: .zero + .seconds(13)) { a, _, _ in pacedAt13 = a.pace }
        try sim.run(until: .zero + .seconds(14))
        #expect(capped == SessionTimers().maxPace, "a PACE above MAX_PACE is capped")
        #expect(Self.ms(pacedAt10) == 3_000, "a PACE holds after its last repeat")
        #expect(pacedAt13 == nil, "and lapses then")
    }

    /// A PACE longer than PACE_HOLD still holds: its repeats come with the acknowledgement
    /// of each paced window, once per PACE, and it lasts twice the PACE.
    @Test func aLongPaceHoldsAcrossItsOwnWindows() throws {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(60), total: total)
        sim.schedule(at: .zero + .seconds(5)) { _, b, _ in b.setPace(.seconds(8)) }
        var held: [Int64?] = [], sent: [Int] = []
        for t in stride(from: 10, through: 50, by: 5) {
            sim.schedule(at: .zero + .seconds(Int64(t))) { a, _, _ in
                held.append(Self.ms(a.pace))
                sent.append(a.stats.windowsSent)
            }
        }
        try sim.run(until: .zero + .seconds(51))
        #expect(held.allSatisfy { $0 == 8_000 }, "\(held)")
        // One window per 0.9 × 8 s from a source that snapshots every 200 ms.
        #expect((5...6).contains(sent.last! - sent.first!), "windows sent from 10 s to 50 s: \(sent)")
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
