import Agent
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing
import Collector

/// A collector on two shards (`CollectorOptions.shards`), two sockets on one port each on
/// its own event loop, with real agents on loopback: the kernel spreads the agents over the
/// shards, and every agent's totals arrive exactly, stored and reported durable.
@Suite(.serialized) struct ShardedCollectorTests {
    @Test func agentsSpreadOverShardsDeliverExactTotals() async throws {
        var rng = SessionRandom(.seeded(301))
        let collectorKey = PrivateKey(using: &rng)
        let agentKeys = (0..<24).map { _ in PrivateKey(using: &rng) }
        var options = CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: Set(agentKeys.map(\.publicKey)))
        options.shards = 2
        let collector = try await CollectorRuntime.start(options)
        let port = try #require(collector.endpoint.localAddress?.port)
        let drain = Task { await collector.run() }
        var agents: [AgentRuntime] = [], pipes: [Pipe] = [], loops: [Task<Void, Never>] = []
        for (i, key) in agentKeys.enumerated() {
            let pipe = Pipe()
            var o = AgentOptions(source: nil, kinds: [], service: "shard-\(i)", collector: "127.0.0.1:\(port)",
                                 bind: "127.0.0.1:0", staticKey: key, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
            o.folded = FoldedLineReader(pipe.fileHandleForReading)
            let agent = try await AgentRuntime.start(o)
            agents.append(agent)
            pipes.append(pipe)
            loops.append(Task { await agent.run() })
        }
        // Three windows' worth per agent, a little apart so the agents cut several windows.
        var expected = [Int](repeating: 0, count: agents.count)
        for round in 1...3 {
            for (i, pipe) in pipes.enumerated() {
                pipe.fileHandleForWriting.write(Data("main;work \(round + i)\nmain;idle;\(i) \(round)\n".utf8))
                expected[i] += round + i + round
            }
            try await Task.sleep(for: .milliseconds(400))
        }
        var totals: [String: Int64] = [:]
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            totals = [:]
            for s in try await collector.streams() { totals[s.info.service] = s.profile.samples.reduce(0) { $0 + $1.values[0] } }
            if (0..<agents.count).allSatisfy({ totals["shard-\($0)"] == Int64(expected[$0]) }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // The durable acknowledgements follow the commit that the totals come from: wait for
        // them too (same deadline).
        var durable = 0
        while ContinuousClock.now < deadline {
            durable = 0
            for a in agents { if try await a.endpoint.withEndpoint({ a, _ in (a.durable.values.max() ?? 0) >= 1 }) { durable += 1 } }
            if durable == agents.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let sessions = try await collector.sessionTotals()
        let paced = collector.pace
        for l in loops { l.cancel() }
        for a in agents { await a.close() }
        drain.cancel()
        await drain.value
        await collector.close()
        for i in 0..<agents.count { #expect(totals["shard-\(i)"] == Int64(expected[i]), "agent \(i): \(totals["shard-\(i)"] ?? -1) of \(expected[i])") }
        #expect(durable == agents.count, "agents told their windows are stored: \(durable)")
        #expect(sessions.agents == agents.count)
        // 24 agents on random ports all on one socket: odds about 1 in 8 million.
        #expect(sessions.agentsPerShard.count == 2 && sessions.agentsPerShard.allSatisfy { $0 > 0 }, "\(sessions.agentsPerShard)")
        #expect(sessions.dropped.isEmpty, "\(sessions.dropped)")
        #expect(paced == nil, "a collector that keeps up asks no agent to slow down")
    }
}
