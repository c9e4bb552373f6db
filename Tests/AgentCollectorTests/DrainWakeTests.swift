import Agent
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing
@testable import Collector

/// The collector's store drain is woken by what a read leaves (a decoded window), not by a
/// polling period: with the period set to an hour, windows are still stored (and reported
/// durable).
@Suite(.serialized) struct DrainWakeTests {
    /// A collector on loopback (no drain loop yet) and an agent reading folded stacks from
    /// the returned pipe.
    static func pair(seed: UInt64, service: String) async throws -> (CollectorRuntime, AgentRuntime, Pipe) {
        var rng = SessionRandom(.seeded(seed))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey]))
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: service, collector: "127.0.0.1:\(collector.endpoint.localAddress?.port ?? 0)",
                                   bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        return (collector, try await AgentRuntime.start(options), pipe)
    }

    /// Outcomes, not times: on a loaded 2-core machine the cooperative pool can stall a
    /// test for tens of seconds, so a signalled wait is told from a timed-out one by what
    /// `wait` says, with limits no stall reaches.
    @Test func aSignalWakesTheWaiterAndOneSentEarlyIsKept() async throws {
        let wake = WakeSignal()
        wake.signal()                                  // nobody waits yet: kept
        #expect(await wake.wait(upTo: .seconds(600)) == .signalled)
        let waiter = Task { await wake.wait(upTo: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(50))
        wake.signal()                                  // the waiter, or the next wait if it has not begun
        #expect(await waiter.value == .signalled)
        #expect(await wake.wait(upTo: .milliseconds(20)) == .timedOut, "no signal: the limit ends it")
        #expect(await wake.wait(upTo: .milliseconds(20)) == .timedOut, "a timeout leaves no signal behind")
        let cancelled = Task { await wake.wait(upTo: .seconds(600)) }
        cancelled.cancel()
        _ = await cancelled.value                      // a cancelled wait returns
    }

    @Test func decodedWindowsAreStoredWithoutWaitingForThePeriod() async throws {
        let (collector, agent, pipe) = try await Self.pair(seed: 91, service: "wake")
        // No drain by the period in this test's life: only the reads' wake-ups can store.
        let drain = Task { await collector.run(gap: .milliseconds(10), period: .seconds(3600)) }
        let loop = Task { await agent.run() }
        var stored = 0, durable = false
        for i in 1...3 {
            pipe.fileHandleForWriting.write(Data("main;work \(i)\n".utf8))
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                stored = collector.counts.windowsStored
                if stored >= i { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // The agent learns the commits (DURABLE) too.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, !durable {
            durable = try await agent.endpoint.withEndpoint { a, _ in (a.durable.values.max() ?? 0) >= 1 }
            if !durable { try await Task.sleep(for: .milliseconds(20)) }
        }
        stored = collector.counts.windowsStored
        durable = try await agent.endpoint.withEndpoint { a, _ in (a.durable.values.max() ?? 0) >= 1 }
        loop.cancel()
        drain.cancel()
        await drain.value
        await agent.close()
        await collector.close()
        #expect(stored >= 3 && durable, "stored \(stored), durable \(durable)")
    }

    /// A drain whose caller is already cancelled (as the drain loop is at shutdown) still
    /// stores what it took from the session: before, the store step gave up with the
    /// cancellation and the windows were neither stored nor reported durable.
    @Test func aCancelledCallerStillStoresTheDrainedWindows() async throws {
        let (collector, agent, pipe) = try await Self.pair(seed: 92, service: "cancel")
        let loop = Task { await agent.run() }
        pipe.fileHandleForWriting.write(Data("main;work 7\n".utf8))
        // Decoded at the collector (the agent has its DECODED), not drained: no drain loop runs.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, try await agent.endpoint.withEndpoint({ a, _ in a.stats.windowsDecoded < 1 }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let cancelled = Task {
            while !Task.isCancelled { await Task.yield() }
            await collector.drain()
        }
        cancelled.cancel()
        await cancelled.value
        #expect(collector.counts.windowsStored == 1 && collector.counts.storeFailures == 0, "\(collector.counts)")
        loop.cancel()
        await agent.close()
        await collector.close()
    }
}
