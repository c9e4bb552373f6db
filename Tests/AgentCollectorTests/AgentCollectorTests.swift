import Agent
import Collector
import EventLog
import Foundation
import Logging
import NetSim
import Noise
import Profile
import Relay
import SansIO
import Store
import Session
import TestSupport
import Testing
import UDPRuntime
import WireCodec

/// The real data path on this machine: the sample Go service (real pprof from a real Go
/// runtime over HTTP), the agent, the impairment relay at 12 % loss and the collector, all
/// on loopback UDP.
@Suite(.serialized) struct AgentCollectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The sample service, built once into a private directory and started on a free port.
    final class GoService: @unchecked Sendable {
        let process = Process()
        let base: String
        /// Kept open for the service's life: a closed pipe would kill it (SIGPIPE) on its next write.
        let output = Pipe()
        let errorPath: String

        init?() throws {
            let goCandidates = ["/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"]
            guard let go = goCandidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                let message = "go is not installed: install Debian golang-go to run the agent end-to-end test"
                if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record(Comment(rawValue: message)) }
                return nil
            }
            // The Go build cache is shared by this test process; each service gets its own
            // binary (a test running beside it must not replace the file perf reads symbols from).
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-agent-test-\(ProcessInfo.processInfo.processIdentifier)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let exe = dir.appendingPathComponent("sample-service-\(UUID().uuidString)")
            var env = ProcessInfo.processInfo.environment
            env["HOME"] = dir.path
            env["GOCACHE"] = dir.appendingPathComponent("gocache").path
            env["GOPATH"] = dir.appendingPathComponent("gopath").path
            env["GOFLAGS"] = ""
            env["GOTOOLCHAIN"] = "local"
            let build = Process()
            build.executableURL = URL(fileURLWithPath: go)
            build.arguments = ["build", "-o", exe.path, "."]
            build.currentDirectoryURL = AgentCollectorTests.root.appendingPathComponent("Samples/go-service")
            build.environment = env
            try build.run()
            build.waitUntilExit()
            guard build.terminationStatus == 0 else { throw TestError("go build of Samples/go-service failed (\(build.terminationStatus))") }
            process.executableURL = exe
            // A safety net for a leaked process only (`stop()` ends it): long enough for a
            // test whose tasks wait minutes for the cooperative pool under CI's parallel load
            // (a 300 s net once expired before the agent's first fetch).
            process.arguments = ["-addr", "127.0.0.1:0", "-seconds", "1800"]
            errorPath = dir.appendingPathComponent("service-stderr.txt").path
            _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errorPath)
            process.standardInput = FileHandle.nullDevice
            let out = output
            process.standardOutput = out
            try process.run()
            // "READY http://127.0.0.1:PORT/debug/pprof/"
            var text = ""
            let reader = out.fileHandleForReading
            while !text.contains("\n") {
                let d = reader.availableData
                if d.isEmpty { break }
                text += String(decoding: d, as: UTF8.self)
            }
            guard let line = text.split(separator: "\n").first, line.hasPrefix("READY ") else {
                process.terminate()
                throw TestError("the sample service did not start: \(text)")
            }
            base = String(line.dropFirst(6))
        }

        /// How the service is doing, for failure messages.
        var state: String {
            let err = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            if process.isRunning { return "running; stderr: \(err)" }
            return "exited \(process.terminationStatus) (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit")); stderr: \(err)"
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    struct TestError: Error, CustomStringConvertible {
        var description: String
        init(_ s: String) { description = s }
    }

    @Test func goProfilesCrossALossyLinkIntoTheCollector() async throws {
        guard let service = try await offPool({ try GoService() }) else { return }
        // Stopped at the end, which also keeps it alive until then (ARC may end a value's
        // life after its last use).
        defer { service.stop() }
        var rng = SessionRandom(.seeded(5))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let logs = LogLines()
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-ac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let store = try SQLiteStore(path: dataDir.appendingPathComponent("collector.db").path)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey,
                                                                          allowed: [agentKey.publicKey], store: store, logger: logs.logger))
        let drain = Task { await collector.run() }
        let collectorPort = try #require(collector.endpoint.localAddress?.port)
        var link = LinkConfig()
        link.delay = .milliseconds(30)
        link.lossProbability = 0.12
        let relay = try await Relay.start(RelayConfig(listen: "127.0.0.1:0", forward: "127.0.0.1:\(collectorPort)", upstream: link, downstream: link, seed: 9))
        let relayPort = try #require(relay.localAddress?.port)
        let agent = try await AgentRuntime.start(AgentOptions(
            source: try PprofHTTPSource(base: service.base), kinds: [.cpu, .heap, .goroutine], service: "sample", labels: ["host": "test"],
            collector: "127.0.0.1:\(relayPort)", bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, logger: logs.logger))
        // Runs until every type has been sent a few times (bounded: a loaded machine is slow,
        // so this counts windows, not seconds).
        let loops = Task { await agent.run() }
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let sent = try await agent.endpoint.withEndpoint { a, _ in (1...3).map { a.encoder($0) != nil } }
            if sent.allSatisfy({ $0 }) && agent.sourceCounters.windowsSent >= 8 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        loops.cancel()
        _ = await loops.value
        let drained = await agent.drain(timeout: .seconds(20))
        #expect(drained, "every window the agent sent was acknowledged decoded: \(logs.lines)")

        let src = agent.sourceCounters
        #expect(src.fetches >= 8 && src.windowsSent >= 8, "\(src); service \(service.state); \(logs.lines)")
        // Everything decoded is stored and reported durable.
        await collector.drain()
        let live = try await collector.summaries()
        let streams = try await collector.streams()
        let types = Set(streams.map(\.info.profileType))
        #expect(types == ["cpu", "heap", "goroutine"], "streams at the collector: \(types); \(logs.lines)")
        // Every stream's state at the collector is the agent's (cumulative counters, gauges),
        // in the session and in the store (counters summed over all windows, gauges last).
        for l in live {
            let agentState = try await agent.endpoint.withEndpoint { a, _ in a.encoder(l.stream)?.state }
            let d = try await collector.withSession(of: agentKey.publicKey) { c in c.receiver(of: agentKey.publicKey)?.decoder(l.stream)?.state(seq: l.seq) } ?? nil
            #expect(agentState != nil && d == agentState, "stream \(l.info.profileType): the collector's state equals the agent's")
            let stored = try #require(streams.first { $0.info == l.info })
            let totals = (0..<stored.profile.sampleTypes.count).map { c in stored.profile.samples.reduce(Int64(0)) { $0 + $1.values[c] } }
            #expect(totals == (0..<(agentState?.columns ?? 0)).map { agentState!.total(column: $0) },
                    "stream \(l.info.profileType): the store's totals equal the agent's state")
            let decoded = Int64(collector.counts.decoded[.init(agent: agentKey.publicKey, stream: l.stream)] ?? 0)
            #expect(stored.windows >= 1 && stored.windows <= decoded, "stored \(stored.windows) of \(decoded) decoded windows")
        }
        for s in streams {
            #expect(s.info.service == "sample" && s.info.labels == ["host": "test"])
            #expect(!s.profile.samples.isEmpty || s.info.profileType == "cpu", "\(s.info.profileType) has stacks")
        }
        #expect(collector.counts.windowsStored > 0 && collector.counts.storeFailures == 0)
        // The agent hears the durable watermark of every stream (after the commits above).
        var durable: [UInt32: UInt32] = [:]
        for _ in 0..<100 {
            durable = try await agent.endpoint.withEndpoint { a, _ in a.durable }
            if durable.count == live.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(durable.count == live.count, "durable watermarks at the agent: \(durable)")
        // The CPU profile names the service's own functions.
        if let cpu = streams.first(where: { $0.info.profileType == "cpu" }) {
            #expect(cpu.profile.functions.contains { $0.name.hasPrefix("main.") }, "CPU stacks are the sample service's")
        }
        let r = try await relay.counters()
        #expect(r.upstream.droppedRandomLoss > 0, "the relay lost datagrams: \(r.upstream)")
        // The collector sees the loss and rebuilt blocks from parity (what /metrics reports).
        let path = try #require(try await collector.withSession(of: agentKey.publicKey) { c in c.path(of: agentKey.publicKey) } ?? nil)
        #expect(path.lossSeen > 0.02 && path.lossSeen < 0.3, "loss seen at the collector behind a 12 % relay: \(path)")
        #expect(path.blocksRecovered > 0, "FEC recovered blocks: \(path)")

        // The files a user opens.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-collect-\(ProcessInfo.processInfo.processIdentifier)").path
        let written = try ProfileExport.write(streams, to: out)
        #expect(written.count == 2 * streams.count)
        for path in written where path.hasSuffix(".svg") {
            let svg = try String(contentsOfFile: path, encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.contains("<svg"), "\(path) is an SVG")
        }
        drain.cancel()
        await agent.close()
        await relay.close()
        await collector.close()
    }

    @Test func anUnreachableServiceIsReportedOnceAndRetried() async throws {
        let logs = LogLines()
        // Port 9 on loopback: nothing listens (connection refused). Until it has failed
        // twice (0.5 s apart by its backoff), bounded at 30 s.
        let src = try await runWithoutCollector(try PprofHTTPSource(base: "http://127.0.0.1:9/debug/pprof"), kinds: [.heap],
                                                service: "down", seed: 6, logs: logs, seconds: 30) { $0.failures >= 2 }
        #expect(src.failures >= 2, "it kept retrying: \(src)")
        let heapLines = logs.lines.filter { $0.hasPrefix("test: warning: heap:") }
        #expect(heapLines.count == 1, "one line while the source stays down: \(logs.lines)")
        #expect(heapLines.first?.contains("http://127.0.0.1:9/debug/pprof/heap") == true)
        #expect(throws: AgentError.self) { try PprofHTTPSource(base: "127.0.0.1:6060") }
        #expect(throws: AgentError.self) { try ProfileKind.parseList("cpu,disk") }
        #expect(try ProfileKind.parseList("heap,allocs").map(\.stream) == [2, 2])
    }
}

/// Runs an agent of `source` whose collector does not exist (port 9 on loopback: the windows
/// are encoded and wait for a session) until `done` holds of its counters, at most `seconds`,
/// and returns the counters.
func runWithoutCollector(_ source: PprofHTTPSource, kinds: [ProfileKind], service: String, seed: UInt64, logs: LogLines,
                         seconds: Int, until done: (SourceCounters) -> Bool) async throws -> SourceCounters {
    var rng = SessionRandom(.seeded(seed))
    let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
    let agent = try await AgentRuntime.start(AgentOptions(
        source: source, kinds: kinds, service: service,
        collector: "127.0.0.1:9", bind: "127.0.0.1:0", staticKey: agentKey, collectorKey: collectorKey.publicKey, logger: logs.logger))
    let loops = Task { await agent.run(for: .seconds(seconds)) }
    for _ in 0..<(seconds * 10) where !done(agent.sourceCounters) { try await Task.sleep(for: .milliseconds(100)) }
    loops.cancel()
    _ = await loops.value
    await agent.close()
    return agent.sourceCounters
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    func add(_ line: String) { lock.withLock { stored.append(line) } }
    /// Every event, at every level, as `LineLogHandler` writes it (`test: warning: …`).
    var logger: Logger { .lines("test", level: .trace) { [self] in add($0) } }
}
