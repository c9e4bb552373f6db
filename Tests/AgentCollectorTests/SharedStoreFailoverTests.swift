import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Keys
import Noise
import NetSim
import Profile
import Relay
import SansIO
import Session
import TestSupport
import Testing
import UDPRuntime
import WireCodec
import WireFrame

/// Issue 10's many-collectors run on loopback: three `flamewire collect` processes share one
/// ClickHouse database, each behind an impairment relay at 12 % loss; ten agents, started on
/// different collectors, send the samples' real Go CPU profiles as back-to-back windows; one collector is killed with SIGKILL mid-run, its agents move to the next
/// collector of their lists (SPEC.md §11.7), and at the end every collector that is left
/// serves every agent's exact totals, whoever received the windows.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"] != nil))
struct SharedStoreFailoverTests {
    typealias CollectorProcess = CollectorCrashTests.CollectorProcess

    /// A fresh directory for a test's keys and logs; nil (the test recorded why) when the
    /// `flamewire` binary the test runs is not built.
    static func workDirectory(_ name: String) throws -> URL? {
        guard FileManager.default.isExecutableFile(atPath: FlameWireBinary.url.path) else {
            Issue.record("flamewire binary not found at \(FlameWireBinary.url.path): run 'swift build --build-tests' first")
            return nil
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func threeCollectorsOneClickHouseAKilledCollectorsAgentsMoveAndTotalsStayExact() async throws {
        guard let dir = try Self.workDirectory("shared") else { return }
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try #require(ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"])
        let database = "fwshared_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let hostPort = base.replacingOccurrences(of: "clickhouse+http://", with: "").replacingOccurrences(of: "http://", with: "")
            .split(separator: "/").first.map(String.init) ?? ""
        let store = "clickhouse+http://\(hostPort)/\(database)"
        defer {
            var drop = URLRequest(url: URL(string: "http://\(hostPort)/")!)
            drop.httpMethod = "POST"
            drop.httpBody = Data("DROP DATABASE IF EXISTS \(database)".utf8)
            let done = DispatchSemaphore(value: 0)
            URLSession.shared.dataTask(with: drop) { _, _, _ in done.signal() }.resume()
            _ = done.wait(timeout: .now() + 10)
        }

        var rng = SessionRandom(.seeded(77))
        let agentKeys = (0..<10).map { _ in PrivateKey(using: &rng) }
        let allow = agentKeys.flatMap { ["--allow", $0.publicKey.base64] }
        var collectors: [CollectorProcess?] = []
        var targets: [CollectorTarget] = []
        var httpPorts: [Int] = []
        var relays: [Relay] = []
        var link = LinkConfig()
        link.delay = .milliseconds(60)
        link.lossProbability = 0.12
        for c in 0..<3 {
            let keyPath = dir.appendingPathComponent("collector\(c).key").path
            let key = try KeyFile.generate(keyPath)
            let (collector, port, http) = try await CollectorCrashTests.startCollector({ port, http in
                ["--listen", "127.0.0.1:\(port)", "--key", keyPath, "--store", store, "--http", "127.0.0.1:\(http)"] + allow
            }, errors: dir.appendingPathComponent("collector\(c).log"))
            collectors.append(collector)
            let relay = try await Relay.start(RelayConfig(listen: "127.0.0.1:0", forward: "127.0.0.1:\(port)", upstream: link, downstream: link, seed: UInt64(c + 1)))
            relays.append(relay)
            targets.append(CollectorTarget(address: PeerAddress("127.0.0.1:\(try #require(relay.localAddress?.port))"), key: key.publicKey))
            httpPorts.append(http)
        }
        for c in collectors { #expect(try await c!.waitFor("HTTP on"), "collector started: \(c!.log)") }

        // Agent i starts on collector i mod 3 and has the other two after it.
        let fleet = try await CountingAgents(keys: agentKeys, service: "svc", seed: 20, cpu: true) { i, config in
            let order = (0..<3).map { targets[(i + $0) % 3] }
            (config.collector, config.collectorKey) = (order[0].address, order[0].key)
            config.alternates = Array(order.dropFirst())
            config.timers.silence = .seconds(2)
            config.timers.failover = .seconds(8)
            // Handshakes retried often enough that 12 % loss each way does not hold one up
            // for the (short) failover time.
            config.timers.handshakeRetry = .milliseconds(250)
            config.timers.handshakeRetryMax = .milliseconds(500)
        }
        let agents = fleet.agents
        func submitRound() async throws { try await fleet.submitRound() }
        // Until every agent has windows decoded where it started (bounded: 40 s).
        for r in 0..<400 {
            try await submitRound()
            try await Task.sleep(for: .milliseconds(100))
            var least = Int.max
            for agent in agents { least = min(least, try await agent.withEndpoint { a, _ in a.stats.windowsDecoded }) }
            if least > 5 && r >= 20 { break }
        }
        for (i, agent) in agents.enumerated() {
            let (decoded, status) = try await agent.withEndpoint { a, _ in (a.stats.windowsDecoded, a.status) }
            #expect(decoded > 5, "agent \(i) (\(status)): \(decoded) windows decoded; collector \(i % 3): \(collectors[i % 3]!.log)")
        }
        // Collector 0 dies; agents 0, 3, 6 and 9 were on it.
        collectors[0]!.kill9()
        for _ in 0..<150 {
            try await submitRound()
            try await Task.sleep(for: .milliseconds(100))
        }
        // Until every agent's windows are decoded (bounded), and a little longer for the
        // commits behind them.
        try await fleet.waitUntilDecoded(tries: 300)
        for (i, agent) in agents.enumerated() {
            let (failovers, newest, durable, inFlight) = try await agent.withEndpoint { a, _ in
                (a.stats.failovers, a.encoder(1)?.lastSeq ?? 0, a.durable[1] ?? 0, a.windowsInFlight)
            }
            #expect(failovers == (i % 3 == 0 ? 1 : 0), "agent \(i) moved \(failovers) times")
            #expect(inFlight == 0, "agent \(i): \(inFlight) windows undecoded")
            // DURABLE is repeated only in the next acknowledgement, which a lossy link may
            // hold back while the agent is idle: the watermark may trail the newest window.
            #expect(durable > 0 && durable <= newest, "agent \(i): durable \(durable), newest \(newest)")
        }
        // Every collector left serves every agent's exact total, whoever stored its windows.
        for c in 1..<3 {
            for i in agents.indices {
                #expect(try await CountingAgents.foldedTotal(http: httpPorts[c], service: "svc\(i)", type: "cpu") == fleet.total(i), "collector \(c), agent \(i)")
            }
        }
        for r in relays {
            let counters = try await r.counters()
            #expect(counters.upstream.droppedRandomLoss > 0, "the relay lost datagrams: \(counters.upstream)")
            await r.close()
        }
        for agent in agents { await agent.close() }
        for c in collectors.dropFirst() {
            c!.process.terminate()
            c!.process.waitUntilExit()
            #expect(c!.process.terminationStatus == 0, "\(c!.log)")
        }
    }

    /// ClickHouse killed (SIGKILL) for longer than the agents' failover time, then started
    /// again: the collectors keep decoding, so no agent moves; the durable watermark stands
    /// still while ClickHouse is away; afterwards every total is exact, nothing counted twice.
    @Test func aClickHouseOutageHoldsDurabilityAndMovesNoAgent() async throws {
        guard let dir = try Self.workDirectory("outage") else { return }
        defer { try? FileManager.default.removeItem(at: dir) }
        let clickhouse = try PrivateClickHouse(port: 18224)
        defer { clickhouse.stop() }
        let store = "clickhouse+http://127.0.0.1:18224/outage"

        var rng = SessionRandom(.seeded(78))
        let agentKeys = (0..<3).map { _ in PrivateKey(using: &rng) }
        let allow = agentKeys.flatMap { ["--allow", $0.publicKey.base64] }
        var collectors: [CollectorProcess] = []
        var targets: [CollectorTarget] = []
        var httpPorts: [Int] = []
        for c in 0..<2 {
            let keyPath = dir.appendingPathComponent("collector\(c).key").path
            let key = try KeyFile.generate(keyPath)
            let (collector, port, http) = try await CollectorCrashTests.startCollector({ port, http in
                ["--listen", "127.0.0.1:\(port)", "--key", keyPath, "--store", store, "--http", "127.0.0.1:\(http)"] + allow
            }, errors: dir.appendingPathComponent("collector\(c).log"))
            collectors.append(collector)
            targets.append(CollectorTarget(address: PeerAddress("127.0.0.1:\(port)"), key: key.publicKey))
            httpPorts.append(http)
        }
        for c in collectors { #expect(try await c.waitFor("HTTP on"), "collector started: \(c.log)") }
        let fleet = try await CountingAgents(keys: agentKeys, service: "out", seed: 40) { _, config in
            (config.collector, config.collectorKey) = (targets[0].address, targets[0].key)
            config.alternates = [targets[1]]
            config.timers.failover = .seconds(8)
        }
        let agents = fleet.agents
        func submitRound() async throws { try await fleet.submitRound() }
        func durables() async throws -> [UInt32] {
            var out: [UInt32] = []
            for agent in agents { out.append(try await agent.withEndpoint { a, _ in a.durable[1] ?? 0 }) }
            return out
        }
        for r in 0..<300 {
            try await submitRound()
            try await Task.sleep(for: .milliseconds(100))
            if r >= 20, try await durables().allSatisfy({ $0 > 5 }) { break }
        }
        #expect(try await durables().allSatisfy { $0 > 5 }, "windows durable before the outage: \(collectors[0].log)")
        clickhouse.kill()
        for _ in 0..<10 {
            try await submitRound()
            try await Task.sleep(for: .milliseconds(100))
        }
        let held = try await durables()
        // 30 s without ClickHouse: almost four times the failover time.
        for _ in 0..<300 {
            try await submitRound()
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await durables() == held, "nothing becomes durable while ClickHouse is away")
        for (i, agent) in agents.enumerated() {
            let (failovers, decoded) = try await agent.withEndpoint { a, _ in (a.stats.failovers, a.stats.windowsDecoded) }
            #expect(failovers == 0, "agent \(i) moved although its collector kept decoding")
            #expect(decoded > 250, "agent \(i): \(decoded) windows decoded")
        }
        #expect(collectors[0].log.contains("cannot store"), "the collector says so: \(collectors[0].log)")
        // The agents send nothing more: the windows decoded while ClickHouse was away reach
        // it once it is back (the collector keeps each stream's newest unstored window).
        try clickhouse.start()
        for _ in 0..<300 {
            try await Task.sleep(for: .milliseconds(100))
            var behind = false
            for agent in agents {
                let (newest, durable) = try await agent.withEndpoint { a, _ in (a.encoder(1)?.lastSeq ?? 0, a.durable[1] ?? 0) }
                if durable < newest { behind = true }
            }
            if !behind { break }
        }
        try await fleet.waitUntilDecoded(tries: 100)
        for (i, agent) in agents.enumerated() {
            let (newest, durable) = try await agent.withEndpoint { a, _ in (a.encoder(1)?.lastSeq ?? 0, a.durable[1] ?? 0) }
            #expect(durable == newest, "agent \(i): newest window \(newest) durable (\(durable)) after ClickHouse returned")
            for c in 0..<2 {
                #expect(try await CountingAgents.foldedTotal(http: httpPorts[c], service: "out\(i)") == fleet.total(i), "collector \(c), agent \(i): exact after the outage")
            }
        }
        for agent in agents { await agent.close() }
        for c in collectors {
            c.process.terminate()
            c.process.waitUntilExit()
            #expect(c.process.terminationStatus == 0, "\(c.log)")
        }
    }
}

/// Agents (real sessions on loopback UDP, one stream each) and what each has sent so far:
/// either cumulative mutex counters (`cpu: false`, as Go reports contentions) or the real Go
/// CPU profiles of the samples, one per round as back-to-back windows (`cpu: true`, as the
/// agent sends Go's CPU endpoint).
final class CountingAgents {
    let agents: [UDPEndpoint<AgentSession>]
    var counts: [[String: Int64]]
    /// Samples sent per agent (CPU play).
    var samplesSent: [Int64]
    var round = 0
    let service: String
    let cpu: [Profile]?

    /// Agent i is named SERVICE-i; `configure` sets its collectors and timers.
    init(keys: [PrivateKey], service: String, seed: UInt64, cpu playCPU: Bool = false, configure: (Int, inout AgentConfig) -> Void) async throws {
        cpu = playCPU ? try Samples.cpu.map { try Samples.profile($0) } : nil
        var agents: [UDPEndpoint<AgentSession>] = []
        for (i, key) in keys.enumerated() {
            var config = AgentConfig(staticKey: key, collectorKey: key.publicKey, collector: PeerAddress("127.0.0.1:9"), frame: try FrameConfig(fecTarget: 0.003),
                                     wallClockAtZero: TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0), random: .seeded(seed + UInt64(i)))
            configure(i, &config)
            var session = AgentSession(config: config)
            let info = cpu.map { StreamInfo(describing: $0[0], service: "\(service)\(i)", profileType: "cpu") }
                ?? StreamInfo(service: "\(service)\(i)", profileType: "mutex", columns: [ValueType(type: "samples", unit: "count")], columnKinds: [.counter])
            try session.addStream(1, info: info)
            agents.append(try await UDPEndpoint.bind(session, to: "127.0.0.1:0"))
        }
        self.agents = agents
        self.service = service
        counts = Array(repeating: [:], count: agents.count)
        samplesSent = Array(repeating: 0, count: agents.count)
    }

    var type: String { cpu == nil ? "mutex" : "cpu" }

    /// Every agent counts more and submits its snapshot (or its next CPU window).
    func submitRound() async throws {
        round += 1
        if let cpu {
            for (i, agent) in agents.enumerated() {
                var p = cpu[(round + i) % cpu.count]
                p.timeNanos = Int64(Date().timeIntervalSince1970 * 1e9)
                let column = try #require(p.sampleTypes.firstIndex { $0.type == "samples" })
                samplesSent[i] += p.samples.reduce(0) { $0 + $1.values[column] }
                let window = p
                _ = try await agent.withEndpoint { a, now in try a.submit(window, stream: 1, mode: .delta, takenAt: now, at: now) }
            }
            return
        }
        for (i, agent) in agents.enumerated() {
            counts[i]["main;lock;step\(round % 5)", default: 0] += Int64(round + i)
            if round % 7 == 0 { counts[i]["main;rare;path\(round)"] = 1 }
            let text = counts[i].sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
            var p = try foldedProfile(text + "\n")
            p.timeNanos = Int64(Date().timeIntervalSince1970 * 1e9)
            let window = p
            _ = try await agent.withEndpoint { a, now in try a.submit(window, stream: 1, mode: .snapshot, takenAt: now, at: now) }
        }
    }

    /// What agent i sent in all: its counters' total, or the CPU samples of its windows.
    /// Until no agent has a window undecoded (at most `tries` × 100 ms), then half a second
    /// more for the commits behind the last ones.
    func waitUntilDecoded(tries: Int) async throws {
        for _ in 0..<tries {
            var inFlight = 0
            for agent in agents { inFlight += try await agent.withEndpoint { a, _ in a.windowsInFlight } }
            if inFlight == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(500))
    }

    func total(_ i: Int) -> Int64 { cpu == nil ? counts[i].values.reduce(0, +) : samplesSent[i] }

    /// The total a collector's `/folded` serves for a service's stream of `type` (its
    /// `samples` column).
    static func foldedTotal(http port: Int, service: String, type: String = "mutex") async throws -> Int64 {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/folded?service=\(service)&type=\(type)&sample=samples&agg=last")!)
        request.timeoutInterval = 20
        let (body, _) = try await URLSession.shared.data(for: request)
        return String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int64($0) } }.reduce(0, +)
    }
}
