import BenchCapture
import Foundation
import Keys
import Noise
import Pprof
import Profile
import SansIO
import Session
import UDPRuntime
import WireCodec
import WireFrame

/// Many agents in one process, each a real `AgentSession` on its own UDP socket, sending a
/// CPU and a heap window every second (real Go profiles; after a warm-up that defines their
/// stacks, states are replayed without hashing them again) to one collector.
///
/// The replayed states go on as a service's would: counters only grow (the heap's
/// allocations by the step from `heap-001` to `heap-002` each second, CPU by `cpu-01` and
/// `cpu-02` in turn), gauges (in-use memory) move between the two snapshots' levels. Playing
/// the two snapshots back and forth instead would make every other window a counter reset.
///
///   load-bench --write-allow FILE --agents N [--seed S]        the agents' public keys
///   load-bench --collector IP:PORT --collector-key B64 --agents N --seconds S [--samples DIR]
@main struct LoadBench {
    static func main() async throws {
        var args = BenchArguments()
        func value(_ name: String, _ fallback: String?) -> String? { args.value(name, fallback) }
        let agents = Int(value("--agents", "1000")!) ?? 1000
        let seed = UInt64(value("--seed", "1")!) ?? 1
        let keys = LoadAgents.keys(count: agents, seed: seed)
        if let file = value("--write-allow", nil) {
            try LoadAgents.allowList(keys).write(toFile: file, atomically: true, encoding: .utf8)
            return
        }
        guard let collector = value("--collector", nil), let collectorKeyText = value("--collector-key", nil) else {
            say("load-bench: give --collector IP:PORT and --collector-key B64"); exit(2)
        }
        let seconds = Double(value("--seconds", "20")!) ?? 20
        let samples = value("--samples", "../shared/samples/go119")!
        let collectorKey = try PublicKey(base64: collectorKeyText)
        func load(_ name: String) throws -> Profile {
            try PprofDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: samples + "/" + name))))
        }
        let cpu = [try load("cpu-01.pb.gz"), try load("cpu-02.pb.gz")]
        let heap = [try load("heap-001.pb.gz"), try load("heap-002.pb.gz")]
        let cpuInfo = StreamInfo(describing: cpu[0], service: "load", profileType: "cpu")
        let heapInfo = StreamInfo(describing: heap[0], service: "load", profileType: "heap")

        // Warm-up: every agent connects and sends its profiles once, so its dictionary holds
        // every stack and the states to replay are known.
        let t0 = DispatchTime.now().uptimeNanoseconds
        var endpoints: [UDPEndpoint<AgentSession>] = []
        var cpuStates: [StreamState] = [], heapStates: [StreamState] = []
        for (i, key) in keys.enumerated() {
            let config = AgentConfig(staticKey: key, collectorKey: collectorKey, collector: PeerAddress(collector), frame: try FrameConfig(fecTarget: 0.003),
                                     wallClockAtZero: TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0), random: .seeded(UInt64(i) + 17))
            var s = AgentSession(config: config)
            try s.addStream(1, info: cpuInfo)
            try s.addStream(2, info: heapInfo)
            let e = try await UDPEndpoint.bind(s, to: "127.0.0.1:0")
            let states = try await e.withEndpoint { a, now -> ([StreamState], [StreamState]) in
                var c: [StreamState] = [], h: [StreamState] = []
                for k in 0..<2 {
                    try a.submit(cpu[k], stream: 1, mode: .snapshot, takenAt: now, at: now)
                    c.append(a.encoder(1)!.state)
                    try a.submit(heap[k], stream: 2, mode: .snapshot, takenAt: now, at: now)
                    h.append(a.encoder(2)!.state)
                }
                return (c, h)
            }
            if i == 0 { (cpuStates, heapStates) = states }
            endpoints.append(e)
        }
        say(String(format: "load-bench: %d agents connected and warmed up in %.1f s", agents, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
        try await Task.sleep(for: .seconds(3))
        func decoded() async -> Int {
            var n = 0
            for e in endpoints { n += (try? await e.withEndpoint { a, _ in a.stats.windowsDecoded }) ?? 0 }
            return n
        }
        let before = await decoded()
        let warmUp = await Totals(endpoints)
        let steps = Int(seconds) + 2
        var cpuSequence = Replay.Cumulative(increments: cpuStates, from: cpuStates[1])
        var heapSequence = Replay.Growing(snapshots: heapStates, gauges: heapInfo.columnKinds.map { $0 == .gauge })
        let cpuReplay = (0..<steps).map { _ in cpuSequence.next() }, heapReplay = (0..<steps).map { _ in heapSequence.next() }
        say("load-bench: replayed states: " + Replay.describe("cpu", cpuReplay) + "; " + Replay.describe("heap", heapReplay))

        // Each agent sends a CPU and a heap window once a second, agents spread over the second.
        let sent = SentCounter()
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for (i, e) in endpoints.enumerated() {
                group.addTask {
                    var next = start + .milliseconds(i * 1000 / max(1, agents))
                    var k = 0
                    while next < end {
                        try? await Task.sleep(until: next)
                        let c = cpuReplay[min(k, steps - 1)], h = heapReplay[min(k, steps - 1)]
                        let (n, pace) = (try? await e.withEndpoint { a, now -> (Int, Duration?) in
                            var n = 0
                            if case .sent = try a.submit(state: c, stream: 1, takenAt: now, at: now) { n += 1 }
                            if case .sent = try a.submit(state: h, stream: 2, takenAt: now, at: now) { n += 1 }
                            return (n, a.pace)
                        }) ?? (0, nil)
                        sent.add(n)
                        k += 1
                        // Once a second, or at the collector's PACE when it asks for longer.
                        next += max(.seconds(1), pace ?? .zero)
                    }
                }
            }
        }
        let elapsed = Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        let atEnd = await decoded()
        try await Task.sleep(for: .seconds(5))
        let settled = await decoded()
        say(String(format: "load-bench: sent %d windows in %.1f s (%.0f windows/s offered); acknowledged decoded %.0f windows/s during the run, %d more in the 5 s after",
                     sent.value, elapsed, Double(sent.value) / elapsed, Double(atEnd - before) / elapsed, settled - atEnd))
        let all = await Totals(endpoints)
        say("load-bench: agents' sessions, warm-up: " + warmUp.line(agents: agents))
        say("load-bench: agents' sessions, after the warm-up: " + all.minus(warmUp).line(agents: agents))
        for e in endpoints { await e.close() }
    }
}

/// The agents' session figures, summed.
struct Totals {
    /// The figures summed, by name; the datagrams the agents dropped as `dropped <reason>`.
    var sums: [String: Int] = [:]
    static var figures: [(String, KeyPath<AgentStats, Int>)] { [
        ("handshakes", \.handshakes), ("keyframes", \.keyframesSent), ("rejected", \.windowsRejected),
        ("superseded", \.windowsSuperseded), ("lost", \.windowsLost), ("bytesSource", \.bytesSource), ("bytesRepair", \.bytesRepair),
    ] }

    init() {}

    init(_ endpoints: [UDPEndpoint<AgentSession>]) async {
        for e in endpoints {
            guard let st = try? await e.withEndpoint({ a, _ in a.stats }) else { continue }
            for (name, path) in Self.figures { sums[name, default: 0] += st[keyPath: path] }
            for (k, v) in st.dropped { sums["dropped \(k)", default: 0] += v }
        }
    }

    func minus(_ o: Totals) -> Totals {
        var t = Totals()
        for (k, v) in sums { t.sums[k] = v - (o.sums[k] ?? 0) }
        return t
    }

    func line(agents: Int) -> String {
        func n(_ k: String) -> Int { sums[k] ?? 0 }
        let dropped = sums.filter { $0.key.hasPrefix("dropped ") && $0.value != 0 }.sorted { $0.key < $1.key }
        return String(format: "%.2f handshakes per agent, %d keyframes, %d windows rejected, %d superseded, %d lost; %.1f MB of windows, %.1f MB of repair",
                      Double(n("handshakes")) / Double(max(1, agents)), n("keyframes"), n("rejected"), n("superseded"), n("lost"),
                      Double(n("bytesSource")) / 1e6, Double(n("bytesRepair")) / 1e6)
            + (dropped.isEmpty ? "" : "; dropped at the agents: " + dropped.map { "\($0.key.dropFirst(8)) \($0.value)" }.joined(separator: ", "))
    }
}

final class SentCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}
