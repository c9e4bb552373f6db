import Agent
import Foundation
import Noise
import SansIO
import Session
import TestSupport
import Testing
@testable import Collector

/// The collector's store drain is woken by what a read leaves (a decoded window), not by a
/// polling period: with the period set to a minute, windows are still stored (and reported
/// durable) within seconds.
@Suite(.serialized) struct DrainWakeTests {
    @Test func aSignalWakesTheWaiterAndOneSentEarlyIsKept() async throws {
        let wake = WakeSignal()
        let began = ContinuousClock.now
        wake.signal()                                  // nobody waits yet: kept
        await wake.wait(upTo: .seconds(60))
        let waiter = Task { await wake.wait(upTo: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(50))
        wake.signal()
        await waiter.value
        #expect(ContinuousClock.now - began < .seconds(30), "both waits ended by a signal, not by their 60 s limit")
        await wake.wait(upTo: .milliseconds(20))       // no signal: the limit ends it
        let cancelled = Task { await wake.wait(upTo: .seconds(60)) }
        cancelled.cancel()
        await cancelled.value
        #expect(ContinuousClock.now - began < .seconds(30), "a cancelled wait returns")
    }

    @Test func decodedWindowsAreStoredWithoutWaitingForThePeriod() async throws {
        var rng = SessionRandom(.seeded(91))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey]))
        let drain = Task { await collector.run(gap: .milliseconds(10), period: .seconds(60)) }
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: "wake", collector: "127.0.0.1:\(collector.endpoint.localAddress?.port ?? 0)",
                                   bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        let started = ContinuousClock.now
        var stored = 0, durable = false
        for i in 1...3 {
            pipe.fileHandleForWriting.write(Data("main;work \(i)\n".utf8))
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                stored = collector.counts.windowsStored
                if stored >= i { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // The agent learns the commits (DURABLE) too.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, !durable {
            durable = try await agent.endpoint.withEndpoint { a, _ in (a.durable.values.max() ?? 0) >= 1 }
            if !durable { try await Task.sleep(for: .milliseconds(20)) }
        }
        let took = ContinuousClock.now - started
        loop.cancel()
        drain.cancel()
        await drain.value
        await agent.close()
        await collector.close()
        #expect(stored >= 3 && durable, "stored \(stored), durable \(durable)")
        #expect(took < .seconds(60), "stored before the 60 s period could have run the drain: \(took)")
    }

    /// A drain whose caller is already cancelled (as the drain loop is at shutdown) still
    /// stores what it took from the session: before, the store step gave up with the
    /// cancellation and the windows were neither stored nor reported durable.
    @Test func aCancelledCallerStillStoresTheDrainedWindows() async throws {
        var rng = SessionRandom(.seeded(92))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey]))
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: "cancel", collector: "127.0.0.1:\(collector.endpoint.localAddress?.port ?? 0)",
                                   bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, psk: nil, dscp: nil)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        pipe.fileHandleForWriting.write(Data("main;work 7\n".utf8))
        // Decoded at the collector (the agent has its DECODED), not drained: no drain loop runs.
        let deadline = ContinuousClock.now + .seconds(20)
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
