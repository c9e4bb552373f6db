import Collector
import Foundation
import Keys
import Noise
import Session
import TestSupport
import Testing

/// The `flamewire agent` process (one event loop, swift-service-lifecycle): it stops by
/// itself when its source ends (folded input closed) and on SIGTERM, each time after what
/// it sent was acknowledged, printing its summary and exiting 0.
@Suite(.serialized) struct AgentProcessLifecycleTests {
    struct Setup {
        let collector: CollectorRuntime
        let drain: Task<Void, Never>
        let dir: URL
        let args: [String]
    }

    static func setUp(_ seed: UInt64) async throws -> Setup? {
        guard FileManager.default.isExecutableFile(atPath: FlameWireBinary.url.path) else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-agentproc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let agentKeyPath = dir.appendingPathComponent("agent.key").path
        let agentKey = try KeyFile.generate(agentKeyPath)
        var rng = SessionRandom(.seeded(seed))
        let collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey]))
        let drain = Task { await collector.run() }
        let port = collector.endpoint.localAddress?.port ?? 0
        return Setup(collector: collector, drain: drain, dir: dir,
                     args: ["agent", "--folded", "-", "--collector", "127.0.0.1:\(port)", "--key", agentKeyPath,
                            "--collector-key", collectorKey.publicKey.base64, "--service", "lifecycle", "--dscp", "0"])
    }

    static func start(_ args: [String], in dir: URL) throws -> (Process, Pipe, URL) {
        let p = Process()
        p.executableURL = FlameWireBinary.url
        p.arguments = args
        let input = Pipe()
        let outURL = dir.appendingPathComponent("agent.out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        p.standardInput = input
        p.standardOutput = FileHandle(forWritingAtPath: outURL.path)
        let logURL = dir.appendingPathComponent("agent.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: logURL.path)
        try p.run()
        return (p, input, outURL)
    }

    /// Waits (off the cooperative pool) for the process to exit, at most `limit`.
    static func exited(_ p: Process, within limit: Duration) async throws -> Bool {
        let end = ContinuousClock.now + limit
        while p.isRunning, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(50)) }
        return !p.isRunning
    }

    @Test func theAgentStopsWhenItsFoldedInputEnds() async throws {
        guard let s = try await Self.setUp(61) else { return }
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let (p, input, out) = try Self.start(s.args, in: s.dir)
        input.fileHandleForWriting.write(Data("main;parse 3\nmain;render 4\n".utf8))
        try input.fileHandleForWriting.close()
        let ended = try await Self.exited(p, within: .seconds(30))
        if !ended { p.terminate() }
        let summary = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(ended && p.terminationStatus == 0, "the agent ends with its input: \(summary)")
        #expect(summary.contains("windows sent 1 ") && summary.contains("decoded at the collector 1 "), "\(summary)")
        s.drain.cancel()
        await s.drain.value
        await s.collector.drain()
        #expect(s.collector.counts.windowsStored == 1, "\(s.collector.counts)")
        await s.collector.close()
    }

    @Test func sigtermStopsTheAgentAfterItsWindowsAreAcknowledged() async throws {
        guard let s = try await Self.setUp(62) else { return }
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let (p, input, out) = try Self.start(s.args, in: s.dir)
        input.fileHandleForWriting.write(Data("main;work 5\n".utf8))
        let end = ContinuousClock.now + .seconds(20)
        while s.collector.counts.windowsStored < 1, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(50)) }
        p.terminate()  // SIGTERM, input still open
        let ended = try await Self.exited(p, within: .seconds(30))
        if !ended { kill(p.processIdentifier, SIGKILL) }
        let summary = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(ended && p.terminationReason == .exit && p.terminationStatus == 0, "SIGTERM is a clean stop: \(summary)")
        #expect(summary.contains("decoded at the collector 1 ") && summary.contains("session established"), "\(summary)")
        try? input.fileHandleForWriting.close()
        s.drain.cancel()
        await s.drain.value
        await s.collector.close()
    }
}
