import Agent
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing
@testable import Collector

/// A collector whose store fell behind (a drain finds more events than
/// `CollectorOptions.coalesceAbove`) stores the newest window of each stream, and its
/// cumulative state keeps the totals exact (STORE.md §7).
@Suite(.serialized) struct CoalescingTests {
    /// Sends `windows` folded windows (`main;work k` for k = 1 … windows) with no drain
    /// running, then drains once; returns the collector's tallies and the stored total.
    static func backlog(windows: Int, coalesceAbove: Int, seed: UInt64) async throws -> (CollectorTallies, Int64, Int) {
        var rng = SessionRandom(.seeded(seed))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        var o = CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey])
        o.coalesceAbove = coalesceAbove
        let collector = try await CollectorRuntime.start(o)
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: "behind", collector: "127.0.0.1:\(collector.endpoint.localAddress?.port ?? 0)",
                                   bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        // Each window decoded at the collector (the agent has its DECODED) before the next.
        for k in 1...windows {
            pipe.fileHandleForWriting.write(Data("main;work \(k)\n".utf8))
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline, try await agent.endpoint.withEndpoint({ a, _ in a.stats.windowsDecoded < k }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        await collector.drain()
        let total = try await collector.streams(range: .all).reduce(Int64(0)) { t, s in t + s.profile.samples.reduce(0) { $0 + $1.values[0] } }
        // The commit is reported durable to the agent with the next acknowledgement.
        var durable = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, durable < windows {
            pipe.fileHandleForWriting.write(Data("main;work 0\n".utf8))
            try await Task.sleep(for: .milliseconds(50))
            durable = Int(try await agent.endpoint.withEndpoint { a, _ in a.durable.values.max() ?? 0 })
        }
        loop.cancel()
        await agent.close()
        await collector.close()
        return (collector.counts, total, durable)
    }

    @Test func aDrainBehindStoresTheNewestWindowOfEachStreamWithExactTotals() async throws {
        let (counts, total, durable) = try await Self.backlog(windows: 8, coalesceAbove: 4, seed: 301)
        #expect(counts.windowsStored == 1 && counts.windowsCoalesced == 7, "\(counts)")
        #expect(total == 36, "1 + 2 + … + 8")
        #expect(durable >= 8, "the coalesced windows are durable through the newest one")
    }

    /// The control: a drain that keeps up stores every window, with the same total.
    @Test func aDrainThatKeepsUpStoresEveryWindow() async throws {
        let (counts, total, _) = try await Self.backlog(windows: 8, coalesceAbove: 512, seed: 302)
        #expect(counts.windowsStored == 8 && counts.windowsCoalesced == 0, "\(counts)")
        #expect(total == 36)
    }
}
