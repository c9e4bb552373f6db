import Agent
import Collector
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing
import WireCodec

/// `--psk-file` on both sides over real UDP: the same preshared key connects; another one
/// (or none) never completes a handshake: in Noise IKpsk2 the key is mixed in at the
/// response, which the agent then cannot open (counted as a bad response), so no window is
/// ever sent, let alone decoded; without one the collector cannot open the initiation.
@Suite(.serialized) struct PresharedKeyTests {
    func run(agentPSK: [UInt8]?, collectorPSK: [UInt8]?, seed: UInt64) async throws -> (decoded: Int, badResponses: Int, badInitiations: Int, logs: [String]) {
        let logs = LogLines()
        var rng = SessionRandom(.seeded(seed))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey],
                                                                          psk: collectorPSK, logger: logs.logger))
        let drain = Task { await collector.run() }
        defer { drain.cancel() }
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: "psk", collector: "127.0.0.1:\(collector.endpoint.localAddress?.port ?? 0)",
                                   bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: agentPSK, dscp: nil,
                                   logger: logs.logger)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        pipe.fileHandleForWriting.write(Data("main;work 5\n".utf8))
        var decoded = 0
        for _ in 0..<40 {  // at most 4 s
            decoded = collector.counts.decoded.values.reduce(0, +)
            if decoded > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let bad = try await agent.endpoint.withEndpoint { a, _ in a.stats.dropped[.badResponse] ?? 0 }
        let refused = try await collector.sessionTotals().dropped[.badInitiation] ?? 0
        loop.cancel()
        await agent.close()
        await collector.close()
        return (decoded, bad, refused, logs.lines)
    }

    @Test func theSamePresharedKeyConnectsAnotherNever() async throws {
        let a = [UInt8](repeating: 7, count: 32), b = [UInt8](repeating: 9, count: 32)
        let same = try await run(agentPSK: a, collectorPSK: a, seed: 71)
        #expect(same.decoded > 0 && same.badResponses == 0 && same.badInitiations == 0, "\(same.logs)")
        let other = try await run(agentPSK: b, collectorPSK: a, seed: 72)
        #expect(other.decoded == 0 && other.badResponses > 0, "\(other.logs)")
        let none = try await run(agentPSK: nil, collectorPSK: a, seed: 73)
        // Without one the agent speaks plain IK, which the collector cannot open.
        #expect(none.decoded == 0 && none.badInitiations > 0, "\(none.logs)")
    }
}
