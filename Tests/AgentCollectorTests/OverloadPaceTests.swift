import Agent
import Collector
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing

/// SPEC.md §11.6, overload, on real sockets: a collector whose store falls behind (drains
/// that coalesce windows) asks its agents for a longer interval, and a real agent on
/// loopback samples at that pace; with `pace` off it never asks.
@Suite(.serialized) struct OverloadPaceTests {
    /// A collector made to fall behind (a drain every 2 s, coalescing above 1 event) and one
    /// agent fed folded stacks every 50 ms: what the agent's session and the collector show.
    func run(pace: Bool) async throws -> (agent: Duration?, interval: Duration, collector: Duration?, coalesced: Int) {
        var rng = SessionRandom(.seeded(pace ? 411 : 412))
        let collectorKey = PrivateKey(using: &rng), agentKey = PrivateKey(using: &rng)
        var options = CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey])
        options.coalesceAbove = 1
        options.pace = pace
        let collector = try await CollectorRuntime.start(options)
        let port = try #require(collector.endpoint.localAddress?.port)
        let drain = Task { await collector.run(gap: .seconds(2), period: .seconds(2)) }
        let pipe = Pipe()
        var o = AgentOptions(source: nil, kinds: [], service: "paced", collector: "127.0.0.1:\(port)",
                             bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
        o.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(o)
        let loop = Task { await agent.run() }
        var seen: (Duration?, Duration) = (nil, .zero)
        let deadline = ContinuousClock.now + .seconds(pace ? 30 : 12)
        var n = 0
        while ContinuousClock.now < deadline {
            n += 1
            pipe.fileHandleForWriting.write(Data("main;work \(n % 7 + 1)\nmain;idle;\(n % 5) 1\n".utf8))
            seen = try await agent.endpoint.withEndpoint { a, _ in (a.pace, a.interval) }
            if pace && seen.0 != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let atCollector = collector.pace, coalesced = collector.counts.windowsCoalesced
        loop.cancel()
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
        #expect(r.interval >= .milliseconds(960), "the agent samples at the pace: \(r.interval)")
    }

    @Test func withPaceOffNoAgentIsPaced() async throws {
        let r = try await run(pace: false)
        #expect(r.coalesced > 0, "the collector fell behind")
        #expect(r.collector == nil && r.agent == nil)
        #expect(r.interval <= .milliseconds(480))
    }
}
