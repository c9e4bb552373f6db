import Testing
import NetSim
import SansIO
import Session
import TestSupport

/// The adaptive interval over a simulated link: a bandwidth step and a delay spike drive
/// it up, recovery drives it back down (SPEC.md §11.6).
@Suite struct IntervalControlTests {
    /// Runs a feed of heavier windows and samples the interval at the given times.
    func run(_ phases: [(at: Int, link: LinkConfig)], sampleAt: [Int]) throws -> [Duration] {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig(), link: phases[0].link)
        // Snapshots of ~2,000 stacks at the agent's own interval (about 3 datagrams each).
        var text = ""
        for i in 0..<2000 { text += "main;f\(i % 50);g\(i) \(i + 1)\n" }
        let profile = try foldedProfile(text)
        sim.scheduleRepeating(firstAt: .zero + .milliseconds(5)) { a, _, now in
            _ = try? a.submit(profile, stream: 1, mode: .delta, takenAt: now, at: now)
            return now + a.interval
        }
        var samples: [Duration] = []
        var events = phases.dropFirst().map { ($0.at, $0.link) } + sampleAt.map { ($0, nil as LinkConfig?) }
        events.sort { $0.0 < $1.0 }
        for (t, link) in events {
            try sim.run(until: .zero + .seconds(Int64(t)))
            if let link {
                try sim.reconfigure(.a, link: link)
            } else {
                samples.append(sim.a.interval)
            }
        }
        return samples
    }

    @Test func bandwidthStepRaisesTheIntervalAndRecoveryLowersIt() throws {
        let open = LinkConfig(delay: .milliseconds(160))
        let narrow = LinkConfig(delay: .milliseconds(160), bandwidth: Bandwidth(bitsPerSecond: 96_000, queueBytes: 64_000))
        let s = try run([(0, open), (30, narrow), (90, open)], sampleAt: [29, 89, 180])
        #expect(s[0] == .milliseconds(120), "clear path: \(s)")
        #expect(s[1] == .milliseconds(480), "capped: \(s)")
        #expect(s[2] <= .milliseconds(200), "recovered: \(s)")
    }

    @Test func delaySpikeRaisesTheIntervalAndRecoveryLowersIt() throws {
        let normal = LinkConfig(delay: .milliseconds(160))
        let spiked = LinkConfig(delay: .milliseconds(500))
        let s = try run([(0, normal), (30, spiked), (45, normal)], sampleAt: [29, 44, 120])
        #expect(s[0] == .milliseconds(120), "\(s)")
        #expect(s[1] > .milliseconds(300), "\(s)")
        #expect(s[2] <= .milliseconds(200), "\(s)")
    }
}
