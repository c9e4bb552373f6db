import Collector
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import UDPRuntime
import WireCodec
import WireFrame
import Profile
import Testing

/// SPEC.md §11.6, overload, on real sockets: a collector whose store falls behind (drains
/// that coalesce windows) asks its agents for a longer interval, and an agent session on
/// loopback takes it as its interval; with `pace` off it never asks. (How the agent's
/// sources and the session honour a PACE is in SessionTests' PaceTests.)
@Suite(.serialized) struct OverloadPaceTests {
    /// A collector made to fall behind (a drain every 2 s, coalescing above 1 event) and one
    /// agent session on its own UDP socket submitting a window every 20 ms (a rate the
    /// drains cannot keep up with one by one, whatever the machine's load): what the agent's
    /// session and the collector show.
    func run(pace: Bool) async throws -> (agent: Duration?, interval: Duration, collector: Duration?, coalesced: Int) {
        var rng = SessionRandom(.seeded(pace ? 411 : 412))
        let collectorKey = PrivateKey(using: &rng), agentKey = PrivateKey(using: &rng)
        var options = CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey])
        options.coalesceAbove = 1
        options.pace = pace
        let collector = try await CollectorRuntime.start(options)
        let port = try #require(collector.endpoint.localAddress?.port)
        let drain = Task { await collector.run(gap: .seconds(2), period: .seconds(2)) }
        var session = AgentSession(config: AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: PeerAddress("127.0.0.1:\(port)"),
                                                       frame: try FrameConfig(fecTarget: 0.003),
                                                       wallClockAtZero: TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0)))
        try session.addStream(1, info: StreamInfo(service: "paced", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")], columnKinds: [.counter]))
        let agent = try await UDPEndpoint.bind(session, to: "127.0.0.1:0")
        var seen: (Duration?, Duration) = (nil, .zero)
        // With pace: until the agent holds a PACE. Without: 12 s, and on until a drain has
        // coalesced. Both bounded at 300 s: under the parallel suite's CPU-bound tests the
        // collector's drains and this loop can wait minutes for a thread.
        let start = ContinuousClock.now, deadline = start + .seconds(300)
        var n = 0
        while ContinuousClock.now < deadline {
            if !pace && ContinuousClock.now > start + .seconds(12) && collector.counts.windowsCoalesced > 0 { break }
            n += 1
            let p = try foldedProfile("main;work \(n % 7 + 1)\nmain;idle;\(n % 5) 1\n")
            seen = try await agent.withEndpoint { a, now in
                _ = try a.submit(p, stream: 1, mode: .delta, takenAt: now, at: now)
                return (a.pace, a.interval)
            }
            if pace && seen.0 != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let atCollector = collector.pace, coalesced = collector.counts.windowsCoalesced
        await agent.close()
        drain.cancel()
        await drain.value
        await collector.close()
        return (seen.0, seen.1, atCollector, coalesced)
    }

    @Test func aCollectorBehindPacesItsAgent() async throws {
        let r = try await run(pace: true)
        #expect(r.coalesced > 0, "the collector fell behind")
        #expect(r.collector.map { $0 >= .milliseconds(960) } == true, "collector asks for \(String(describing: r.collector))")
        #expect(r.agent.map { $0 >= .milliseconds(960) } == true, "agent holds \(String(describing: r.agent))")
        #expect(r.interval >= .milliseconds(960), "the agent's interval in use is the pace: \(r.interval)")
    }

    @Test func withPaceOffNoAgentIsPaced() async throws {
        let r = try await run(pace: false)
        #expect(r.coalesced > 0, "the collector fell behind")
        #expect(r.collector == nil && r.agent == nil)
        #expect(r.interval <= .milliseconds(480))
    }
}
