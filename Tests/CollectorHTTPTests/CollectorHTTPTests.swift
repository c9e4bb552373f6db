import Collector
import CollectorHTTP
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Noise
import Pprof
import Profile
import SansIO
import Session
import Synchronization
import TestSupport
import Testing
import UDPRuntime
import WireCodec
import WireFrame

/// The collector's HTTP side on loopback, over streams an agent sent on real UDP.
@Suite(.serialized) struct CollectorHTTPTests {
    struct Fixture {
        let collector: CollectorRuntime
        let agent: UDPEndpoint<AgentSession>
        let server: Task<Void, Error>
        let base: String
        let total: Int64
        /// The windows the collector reported stored, and the capture ends the agent gave.
        let stored: StoredLog
        let captured: [Int64]
    }

    /// What the collector's `onStored` reported.
    final class StoredLog: Sendable {
        let windows = Mutex<[StoredWindow]>([])
    }

    static func fixture() async throws -> Fixture {
        var r = SessionRandom(.seeded(77))
        let agentKey = PrivateKey(using: &r), collectorKey = PrivateKey(using: &r)
        let stored = StoredLog()
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey, allowed: [agentKey.publicKey],
                                                                          onStored: { w in stored.windows.withLock { $0 += w } }))
        let port = try #require(collector.endpoint.localAddress?.port)
        var session = AgentSession(config: AgentConfig(
            staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: PeerAddress("127.0.0.1:\(port)"),
            frame: try FrameConfig(fecTarget: 0.003), wallClockAtZero: TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0), random: .seeded(7)))
        let info = StreamInfo(service: "web", profileType: "cpu", labels: ["zone": "a"], columns: [ValueType(type: "samples", unit: "count")],
                              columnKinds: [.counter])
        try session.addStream(1, info: info)
        let agent = try await UDPEndpoint.bind(session, to: "127.0.0.1:0")
        var total: Int64 = 0
        var captured: [Int64] = []
        for i in 1...5 {
            var p = try foldedProfile("main;serve;parse \(i)\nmain;serve;render \(2 * i)\nmain;gc 1\n")
            // One-second windows ending in the last few seconds (the store keeps agent times
            // within 5 minutes of its own clock).
            p.timeNanos = Int64(Date().timeIntervalSince1970 * 1e9) - Int64(6 - i) * 1_000_000_000
            p.durationNanos = 1_000_000_000
            let window = p
            captured.append(p.timeNanos + p.durationNanos)
            total += Int64(i + 2 * i + 1)
            _ = try await agent.withEndpoint { a, now in try a.submit(window, stream: 1, mode: .delta, takenAt: now, at: now) }
            try await Task.sleep(for: .milliseconds(30))
        }
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end, try await agent.withEndpoint({ a, _ in a.stats.windowsDecoded < 5 || a.windowsInFlight > 0 }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Stored and reported durable.
        await collector.drain()
        let bound = Mutex(0)
        let server = Task { try await CollectorHTTPServer.run(collector, host: "127.0.0.1", port: 0) { p in bound.withLock { $0 = p } } }
        let deadline = ContinuousClock.now + .seconds(20)
        while bound.withLock({ $0 }) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let httpPort = bound.withLock { $0 }
        try #require(httpPort != 0, "the HTTP server started")
        return Fixture(collector: collector, agent: agent, server: server, base: "http://127.0.0.1:\(httpPort)", total: total,
                       stored: stored, captured: captured)
    }

    static func get(_ url: String) async throws -> (status: Int, body: Data, type: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 20
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    @Test func servesGraphsProfilesFoldedMetricsAndClearErrors() async throws {
        let f = try await Self.fixture()
        defer { f.server.cancel() }

        let health = try await Self.get(f.base + "/healthz")
        #expect(health.status == 200 && String(decoding: health.body, as: UTF8.self) == "ok\n")
        let icon = try await Self.get(f.base + "/favicon.ico")
        #expect(icon.status == 200 && icon.type == "image/svg+xml" && String(decoding: icon.body, as: UTF8.self).hasPrefix("<svg"),
                "browsers ask for an icon on every page")

        let index = try await Self.get(f.base + "/")
        let html = String(decoding: index.body, as: UTF8.self)
        #expect(index.status == 200 && index.type.hasPrefix("text/html"))
        #expect(html.contains("/flamegraph.svg?service=web&type=cpu&labels=zone%3Da"), "the index links the stream")
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing fetched from elsewhere")

        let svg = try await Self.get(f.base + "/flamegraph.svg?service=web&type=cpu&labels=zone%3Da")
        let svgText = String(decoding: svg.body, as: UTF8.self)
        #expect(svg.status == 200 && svg.type == "image/svg+xml")
        #expect(svgText.contains("<svg") && svgText.contains("serve") && svgText.contains("render"))

        // The pprof download is the stream's cumulative state: what the agent submitted in total.
        let pprof = try await Self.get(f.base + "/profile?type=cpu")
        #expect(pprof.status == 200)
        let profile = try PprofDecoder.decode([UInt8](pprof.body))
        #expect(profile.samples.reduce(0) { $0 + $1.values[0] } == f.total)

        let folded = try await Self.get(f.base + "/folded?service=web&type=cpu")
        let lines = String(decoding: folded.body, as: UTF8.self).split(separator: "\n")
        let sum = lines.compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }.reduce(0, +)
        #expect(folded.status == 200 && sum == f.total && lines.contains { $0.hasPrefix("main;serve;render ") })

        let missing = try await Self.get(f.base + "/flamegraph.svg?service=web")
        #expect(missing.status == 400 && String(decoding: missing.body, as: UTF8.self).contains("missing query parameter type"))
        let none = try await Self.get(f.base + "/profile?type=heap")
        #expect(none.status == 404 && String(decoding: none.body, as: UTF8.self).contains("no stream with type=heap"))
        let badSample = try await Self.get(f.base + "/folded?type=cpu&sample=nope")
        #expect(badSample.status == 400 && String(decoding: badSample.body, as: UTF8.self).contains("bad sample"))
        let badLabels = try await Self.get(f.base + "/folded?type=cpu&labels=zone")
        #expect(badLabels.status == 400)

        // Time ranges: up to just after the first window holds the first profile only
        // (parse 1, render 2, gc 1); after it, the rest.
        let stored = try await f.collector.storedStreams()
        let first = try #require(stored.first).firstNanos
        let cut = String(format: "%.6f", Double(first + 1_000_000) / 1e9)
        func foldedSum(_ query: String) async throws -> (Int, Int64) {
            let r = try await Self.get(f.base + "/folded?type=cpu" + query)
            let sum = String(decoding: r.body, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }.reduce(0, +)
            return (r.status, sum)
        }
        #expect(try await foldedSum("&to=\(cut)") == (200, 4))
        #expect(try await foldedSum("&from=\(cut)") == (200, f.total - 4))
        #expect(try await foldedSum("&from=\(cut)&to=now") == (200, f.total - 4))
        let diff = try await Self.get(f.base + "/flamegraph.svg?type=cpu&diff=0,\(cut)")
        #expect(diff.status == 200 && String(decoding: diff.body, as: UTF8.self).contains("<svg"), "a differential graph against the first window")
        for (query, message) in [("/folded?type=cpu&from=yesterday", "bad from"), ("/folded?type=cpu&from=now&to=now-1h", "the range is empty"),
                                 ("/flamegraph.svg?type=cpu&diff=-2h", "not FROM,TO"), ("/profile?type=cpu&diff=-2h,-1h", "flamegraph.svg only"),
                                 ("/folded?type=cpu&agg=max", "bad agg")] {
            let r = try await Self.get(f.base + query)
            #expect(r.status == 400 && String(decoding: r.body, as: UTF8.self).contains(message), "\(query): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }

        let metrics = String(decoding: try await Self.get(f.base + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("flamewire_windows_stored_total 5"), "\(metrics)")
        #expect(metrics.contains("flamewire_store_bytes{agent="))
        #expect(metrics.contains("flamewire_fec_blocks_recovered_total{agent=") && metrics.contains("flamewire_agent_loss_seen{agent="))
        // What the agent's session holds: rows of its decoders' states and dictionary entries, never none.
        for name in ["flamewire_agent_held_rows", "flamewire_agent_dictionary_entries"] {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(name + "{agent=") }
            #expect(line.flatMap { $0.split(separator: " ").last.flatMap { Int($0) } }.map { $0 > 0 } == true, "\(name): \(line ?? "missing")")
        }
        #expect(metrics.contains("# TYPE flamewire_datagrams_dropped_total counter"))
        #expect(metrics.contains("flamewire_datagrams_dropped_total{reason=\"replayed\"} 0"), "every reason, from zero")
        #expect(metrics.contains("flamewire_agents 1"))
        #expect(metrics.contains("flamewire_shard_agents{shard=\"0\"} 1") && metrics.contains("flamewire_datagrams_forwarded_total 0"), "one shard here")
        let decodedLine = metrics.split(separator: "\n").first { $0.hasPrefix("flamewire_windows_decoded_total{") && $0.contains("service=\"web\"") }
        #expect(decodedLine?.hasSuffix(" 5") == true, "\(decodedLine ?? "no windows line")")

        // Capture to durable: the windows ended 4, 3, 2, 1 and 0 s before they were sent, so
        // at most three took 3 s or less; the minute's bucket holds those the window log
        // shows under a minute (all five, unless the machine starved the test).
        func bucket(_ le: String) -> Int? {
            metrics.split(separator: "\n").first { $0.hasPrefix("flamewire_window_delay_seconds_bucket{type=\"cpu\",le=\"\(le)\"}") }
                .flatMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        }
        #expect(metrics.contains("# TYPE flamewire_window_delay_seconds histogram"))
        #expect(bucket("+Inf") == 5, "\(metrics)")
        #expect((bucket("3") ?? 99) <= 3 && (bucket("0.1") ?? 99) <= 1)
        #expect(metrics.contains("flamewire_window_delay_seconds_count{type=\"cpu\"} 5"))
        // The same windows as `--window-log` sees them: each once, with the agent's capture
        // end, stored after it.
        let log = f.stored.windows.withLock { $0 }.sorted { $0.seq < $1.seq }
        #expect(log.map(\.capturedNanos) == f.captured.map { Optional($0) }, "\(log)")
        #expect(Set(log.map(\.seq)).count == 5 && log.allSatisfy { $0.service == "web" && $0.type == "cpu" && $0.storedNanos >= ($0.capturedNanos ?? .max) })
        #expect(bucket("60") == log.filter { ($0.delaySeconds ?? .infinity) <= 60 }.count, "\(metrics)")

        // The agent's REPORT (1 s after its handshake, then every 10 s) puts its RTT, interval
        // and counts on /metrics, per agent; before it, the series are absent rather than
        // zero. On a loaded machine the first may leave before the fifth window: wait for
        // the one that counts all five.
        let agentKey = try await f.agent.withEndpoint { a, _ in a.config.staticKey.publicKey }
        let reportBy = ContinuousClock.now + .seconds(25)
        while ContinuousClock.now < reportBy, (try await f.collector.withSession(of: agentKey, { c in c.path(of: agentKey)?.report?.windowsSent ?? 0 }) ?? 0) < 5 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let reported = String(decoding: try await Self.get(f.base + "/metrics").body, as: UTF8.self)
        func value(_ name: String) -> Double? {
            reported.split(separator: "\n").first { $0.hasPrefix("\(name){agent=\"\(agentKey.base64)\"} ") }
                .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        }
        let rtt = try #require(value("flamewire_agent_rtt_seconds"), "\(reported)")
        #expect(rtt > 0 && rtt < 5, "loopback, however loaded: \(rtt) s")
        #expect(value("flamewire_agent_interval_seconds").map { $0 >= 0.12 && $0 <= 0.48 } == true)
        #expect(value("flamewire_agent_windows_sent_total") == 5 && value("flamewire_agent_windows_lost_total") == 0, "\(reported)")
        #expect(value("flamewire_agent_loss_estimate") != nil && value("flamewire_agent_repair_bytes_total") != nil)
        #expect(reported.contains("# TYPE flamewire_agent_windows_repaired_total counter"))
        // The index lists the connected agent with what it reported.
        let page = String(decoding: try await Self.get(f.base + "/").body, as: UTF8.self)
        let agentRow = page.split(separator: "\n").first { $0.contains("title=\"\(agentKey.base64)\"") && $0.contains("<td>127.0.0.1:") }
        #expect(agentRow.map { $0.contains(" ms (min ") && $0.contains("<td>5</td>") } == true, "\(agentRow ?? "no agent row")")

        f.server.cancel()
        await f.agent.close()
        await f.collector.close()
    }

    /// Runs curl (the real client a user would use) and returns the status code.
    static func curl(_ args: [String]) async throws -> Int {
        let r = try await offPool {
            try runProcess(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"] + args, errors: false)
        }
        return Int(r.output) ?? -1
    }

    @Test func aTokenAndTLSGuardTheListener() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            Issue.record("curl and openssl are needed (Tools/test.sh installs them)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try await offPool { try runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                                            "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                                                                            "-addext", "subjectAltName=IP:127.0.0.1"]) }
        try #require(made.status == 0, "\(made.output)")
        let tokenFile = dir.appendingPathComponent("token").path
        try Data("0123456789abcdef0123\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let access = HTTPAccess(token: try HTTPAccess.readToken(tokenFile), certificatePath: cert, keyPath: key)
        #expect(throws: HTTPAccessError.self) { try HTTPAccess().check(host: "0.0.0.0") }
        #expect(throws: HTTPAccessError.self) { try HTTPAccess(token: "0123456789abcdef").check(host: "192.0.2.1") }
        try access.check(host: "0.0.0.0")

        var r = SessionRandom(.seeded(78))
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: PrivateKey(using: &r), allowed: []))
        let bound = Mutex(0)
        let server = Task { try await CollectorHTTPServer.run(collector, host: "127.0.0.1", port: 0, access: access) { p in bound.withLock { $0 = p } } }
        defer { server.cancel() }
        for _ in 0..<400 where bound.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        let port = bound.withLock { $0 }
        try #require(port != 0)
        let base = "https://127.0.0.1:\(port)"
        #expect(try await Self.curl(["--cacert", cert, base + "/"]) == 401, "no token")
        #expect(try await Self.curl(["--cacert", cert, "-H", "Authorization: Bearer wrong-token-0123456", base + "/"]) == 401, "a wrong token")
        #expect(try await Self.curl(["--cacert", cert, "-H", "Authorization: Bearer 0123456789abcdef0123", base + "/"]) == 200, "the token")
        #expect(try await Self.curl(["--cacert", cert, "-u", "me:0123456789abcdef0123", base + "/metrics"]) == 200, "the token as a Basic password")
        #expect(try await Self.curl(["--cacert", cert, base + "/healthz"]) == 200, "health checks need no token")
        #expect(try await Self.curl(["http://127.0.0.1:\(port)/healthz"]) != 200, "plain HTTP is not served")
        #expect(try await Self.curl([base + "/healthz"]) != 200, "an unknown certificate is refused by the client")
        server.cancel()
        await collector.close()
    }
}
