import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keys
import Noise
import Profile
import SansIO
import Session
import TestSupport
import Testing
import UDPRuntime
import WireCodec
import WireFrame
import Pprof

@testable import Store

/// `kill -9` of a real `flamewire collect` process mid-stream, restarted on the same
/// SQLite file: every window the agent was told is durable is in the file, and the totals
/// at the end equal the agent's exactly.
@Suite(.serialized) struct CollectorCrashTests {
    /// A `flamewire collect` process.
    final class CollectorProcess {
        let process = Process()
        let errors: URL

        init(_ args: [String], errors: URL) throws {
            self.errors = errors
            process.executableURL = FlameWireBinary.url
            process.arguments = ["collect"] + args
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

        /// Waits (bounded) until its log holds `text`.
        func waitFor(_ text: String, seconds: Int = 30) async throws -> Bool {
            for _ in 0..<(seconds * 20) {
                if log.contains(text) { return true }
                if !process.isRunning { return false }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// A free UDP port on loopback (bound once and released, so a restarted collector can
    /// take the same one).
    static func freePort() async throws -> Int {
        let probe = try await UDPEndpoint.bind(Silent(), to: "127.0.0.1:0")
        let port = probe.localAddress?.port ?? 0
        await probe.close()
        return port
    }

    /// A free TCP port on loopback (for `--http`: a UDP port being free says nothing of TCP).
    static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Starts a collector on free ports (UDP `port`, TCP `http`) and waits for its HTTP; when
    /// another process took one of them between the probe and the bind (tests run in
    /// parallel), again on new ports, at most four times. The caller checks `waitFor`.
    static func startCollector(_ args: (_ port: Int, _ http: Int) -> [String], errors: URL) async throws -> (CollectorProcess, port: Int, http: Int) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try await freePort(), http = try freeTCPPort()
            let c = try CollectorProcess(args(port, http), errors: errors)
            if try await c.waitFor("HTTP on") || attempt == 4 || !c.log.contains("Address already in use") { return (c, port, http) }
            c.kill9()
        }
    }

    /// An endpoint that never answers (for `freePort`).
    struct Silent: DatagramEndpoint {
        mutating func receive(_ d: [UInt8], from address: PeerAddress, at now: Instant) {}
        mutating func pollTransmit(at now: Instant) -> Transmit? { nil }
        func nextWakeup() -> Instant? { nil }
        mutating func handleTimeout(at now: Instant) {}
    }

    @Test func killNineLosesNothingReportedDurable() async throws {
        guard FileManager.default.isExecutableFile(atPath: FlameWireBinary.url.path) else {
            Issue.record("flamewire binary not found at \(FlameWireBinary.url.path): run 'swift build --build-tests' first")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let collectorKeyPath = dir.appendingPathComponent("collector.key").path
        let collectorKey = try KeyFile.generate(collectorKeyPath)
        var rng = SessionRandom(.seeded(41))
        let agentKey = PrivateKey(using: &rng)
        let db = dir.appendingPathComponent("collector.db").path
        let port = try await Self.freePort()
        let args = ["--listen", "127.0.0.1:\(port)", "--key", collectorKeyPath, "--allow", agentKey.publicKey.base64, "--data", db]

        var first: CollectorProcess? = try CollectorProcess(args, errors: dir.appendingPathComponent("first.log"))
        #expect(try await first!.waitFor("listening on"), "the collector started: \(first!.log)")

        var config = AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: PeerAddress("127.0.0.1:\(port)"),
                                 frame: try FrameConfig(fecTarget: 0.003),
                                 wallClockAtZero: TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0), random: .seeded(9))
        config.timers.silence = .seconds(2)
        var session = AgentSession(config: config)
        let info = StreamInfo(service: "crash", profileType: "mutex", columns: [ValueType(type: "samples", unit: "count")], columnKinds: [.counter])
        try session.addStream(1, info: info)
        let agent = try await UDPEndpoint.bind(session, to: "127.0.0.1:0")

        // Cumulative counters, as Go reports mutex contentions: every window adds to some stacks.
        var counts: [String: Int64] = [:]
        var totalAtSeq: [UInt32: Int64] = [:]
        var seq: UInt32 = 0
        func submitNext() async throws {
            seq += 1
            counts["main;lock;step\(seq % 7)", default: 0] += Int64(seq)
            if seq % 5 == 0 { counts["main;rare;path\(seq)"] = 1 }
            let text = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
            var p = try foldedProfile(text + "\n")
            p.timeNanos = Int64(Date().timeIntervalSince1970 * 1e9)
            let window = p
            _ = try await agent.withEndpoint { a, now in try a.submit(window, stream: 1, mode: .snapshot, takenAt: now, at: now) }
            totalAtSeq[seq] = counts.values.reduce(0, +)
        }
        func durable() async throws -> UInt32 { try await agent.withEndpoint { a, _ in a.durable[1] ?? 0 } }

        // Until some windows are durable (bounded in count and time).
        for _ in 0..<300 {
            try await submitNext()
            try await Task.sleep(for: .milliseconds(60))
            if try await durable() >= 12 { break }
        }
        first!.kill9()
        // DURABLE messages already on their way were sent after their commit.
        try await Task.sleep(for: .milliseconds(200))
        let reported = try await durable()
        #expect(reported >= 12, "windows reported durable before the kill: \(reported); \(first!.log)")
        first = nil

        // The file, read while no collector runs: everything reported durable is there.
        do {
            let store = try SQLiteStore(path: db)
            let stored = try store.writer.withLock { w throws(StoreError) -> Int64 in
                let q = try w.db.statement("SELECT max(seq) FROM windows")
                defer { w.db.resetAll() }
                return try q.step() ? q.int(0) : 0
            }
            #expect(stored >= Int64(reported), "the newest stored window \(stored) ≥ the durable watermark \(reported)")
            let profiles = try store.profiles(where: { _ in true }, range: .all, aggregation: .last)
            let total = profiles.first?.profile.samples.reduce(0) { $0 + $1.values[0] } ?? -1
            #expect(total == totalAtSeq[UInt32(stored)], "the stored total is the agent's at window \(stored)")
        }

        // The agent keeps counting while the collector is down, then the collector returns.
        for _ in 0..<10 {
            try await submitNext()
            try await Task.sleep(for: .milliseconds(60))
        }
        let httpPort = try Self.freeTCPPort()
        let second = try CollectorProcess(args + ["--http", "127.0.0.1:\(httpPort)"], errors: dir.appendingPathComponent("second.log"))
        #expect(try await second.waitFor("HTTP on"), "the collector restarted: \(second.log)")
        // After its silence timeout the agent connects again; its next windows are keyframes
        // against the stored state. Keep going until the last window is durable.
        var last: UInt32 = 0
        for i in 0..<600 {
            if i < 40 { try await submitNext() }
            try await Task.sleep(for: .milliseconds(100))
            let newest = try await agent.withEndpoint { a, _ in a.encoder(1)?.lastSeq ?? 0 }
            last = try await durable()
            if i >= 40 && last == newest { break }
        }
        #expect(try await second.waitFor("connected", seconds: 1), "the agent reconnected: \(second.log)")
        #expect(last > UInt32(reported), "the windows after the restart are durable too (\(last))")

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)/folded?type=mutex&agg=last")!)
        request.timeoutInterval = 20
        let (body, _) = try await URLSession.shared.data(for: request)
        let sum = String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }.reduce(0, +)
        #expect(sum == counts.values.reduce(0, +), "the collector's total equals the agent's after kill -9 and restart (\(seq) windows)")
        #expect(second.process.isRunning, "\(second.log)")
        second.process.terminate()
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0, "SIGTERM stops the collector cleanly: \(second.log)")
        await agent.close()
    }

    /// The `collect` process exports swift-metrics through Prometheus after its own series:
    /// Hummingbird's request counts and durations, and the store's commit durations.
    @Test func collectExportsSwiftMetricsOnMetrics() async throws {
        guard FileManager.default.isExecutableFile(atPath: FlameWireBinary.url.path) else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyPath = dir.appendingPathComponent("collector.key").path
        _ = try KeyFile.generate(keyPath)
        var rng = SessionRandom(.seeded(44))
        let agentKey = PrivateKey(using: &rng)
        let collector = try CollectorProcess(["--listen", "127.0.0.1:0", "--key", keyPath, "--allow", agentKey.publicKey.base64, "--http", "127.0.0.1:0"],
                                             errors: dir.appendingPathComponent("collect.log"))
        defer { collector.process.terminate(); collector.process.waitUntilExit() }
        #expect(try await collector.waitFor("HTTP on http://127.0.0.1:"), "\(collector.log)")
        let port = try #require(collector.log.split(separator: "\n").first { $0.contains("HTTP on http://127.0.0.1:") }
            .flatMap { $0.split(separator: "127.0.0.1:").last?.prefix { $0.isNumber } }.flatMap { Int($0) }, "\(collector.log)")
        func get(_ path: String) async throws -> String {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            return String(decoding: data, as: UTF8.self)
        }
        _ = try await get("/healthz")
        _ = try await get("/")
        let metrics = try await get("/metrics")
        #expect(metrics.contains("flamewire_datagrams_received_total"), "the collector's own series come first")
        #expect(metrics.contains("\nflamewire_receive_buffer_drops_total 0\n"), "the kernel's drops at the collector's socket, none here: \(metrics)")
        let healthz = metrics.split(separator: "\n").first { $0.hasPrefix("hb_requests{") && $0.contains("\"/healthz\"") && $0.contains("\"200\"") }
        #expect(healthz?.hasSuffix(" 1") == true, "\(metrics)")
        #expect(metrics.contains("# TYPE http_server_request_duration histogram") || metrics.contains("http_server_request_duration_bucket"), "\(metrics)")
        #expect(metrics.contains("# TYPE flamewire_store_commit_duration_seconds histogram"), "\(metrics)")
    }

    @Test func sighupReloadsTheAllowFileAndRevokesAtOnce() async throws {
        guard FileManager.default.isExecutableFile(atPath: FlameWireBinary.url.path) else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-hup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let collectorKeyPath = dir.appendingPathComponent("collector.key").path
        let collectorKey = try KeyFile.generate(collectorKeyPath)
        var rng = SessionRandom(.seeded(43))
        let agentKey = PrivateKey(using: &rng)
        let allowFile = dir.appendingPathComponent("agents.allow")
        try Data("# agents\n\(agentKey.publicKey.base64)  # the test agent\n".utf8).write(to: allowFile)
        let port = try await Self.freePort()
        let collector = try CollectorProcess(["--listen", "127.0.0.1:\(port)", "--key", collectorKeyPath, "--allow-file", allowFile.path],
                                             errors: dir.appendingPathComponent("collect.log"))
        #expect(try await collector.waitFor("listening on"), "\(collector.log)")
        let config = AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: PeerAddress("127.0.0.1:\(port)"),
                                 frame: try FrameConfig(fecTarget: 0.003),
                                 wallClockAtZero: TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0), random: .seeded(10))
        var session = AgentSession(config: config)
        try session.addStream(1, info: StreamInfo(service: "hup", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")], columnKinds: [.counter]))
        let agent = try await UDPEndpoint.bind(session, to: "127.0.0.1:0")
        let feeder = Task {
            for i in 0..<400 {
                let p = try foldedProfile("main;tick \(i + 1)\n")
                _ = try? await agent.withEndpoint { a, now in try a.submit(p, stream: 1, mode: .delta, takenAt: now, at: now) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { feeder.cancel() }
        func decoded() async throws -> Int { try await agent.withEndpoint { a, _ in a.stats.windowsDecoded } }
        for _ in 0..<100 where try await decoded() < 5 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await decoded() >= 5, "the allowed agent is decoded: \(collector.log)")

        // A file that does not parse keeps the old list.
        try Data("not a key\n".utf8).write(to: allowFile)
        kill(collector.process.processIdentifier, SIGHUP)
        #expect(try await collector.waitFor("allow list not reloaded"), "\(collector.log)")
        #expect(collector.log.contains("agents.allow:1"), "the error names the file and line: \(collector.log)")

        try Data("# nobody\n".utf8).write(to: allowFile)
        kill(collector.process.processIdentifier, SIGHUP)
        #expect(try await collector.waitFor("sessions ended for"), "\(collector.log)")
        try await Task.sleep(for: .milliseconds(1500))
        let before = try await decoded()
        try await Task.sleep(for: .seconds(2))
        #expect(try await decoded() == before, "nothing is decoded for a revoked key")
        #expect(collector.process.isRunning)
        collector.process.terminate()
        collector.process.waitUntilExit()
        await agent.close()
    }
}
