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
import WireLimits

/// Many datagrams from few agents (`Tools/bench/datagrams.sh`): each load agent does a
/// real handshake with the collector, then sends the DATA of one captured agent session as
/// its own, re-sealed under its keys, so offering 50,000 datagrams/s costs the generator a
/// seal per datagram instead of an agent's window encoding.
///
/// The captured agent plays real Go profiles every 240 ms of session time until the capture
/// holds enough datagrams for the run, in one of two mixes:
/// - `keyframes`: the heap snapshots `heap-015` down to `heap-001`, over and over, so every
///   window starts a new epoch and is a keyframe (its stacks and values in full, ~65 KB):
///   what a collector reads when its agents reconnect after it restarted, where its
///   datagram rate peaks;
/// - `deltas`: a CPU and a heap stream warmed up with `cpu-01`/`cpu-02` and
///   `heap-001`/`heap-002`, then replaying growing states (as `load-bench` does): small
///   windows, several to a datagram, where the cost is per window; each changes most rows
///   of its state (every stack of a 1 s CPU profile, every heap stack that allocated);
/// - `cpu`: one CPU stream warmed up with `cpu-01`, then 48 samples per window drawn from
///   it (a 240 ms window of a service busy on two cores at 100 Hz): windows that touch a
///   few rows of a large state, where the cost per window is the decoder's and the store's
///   work per state rather than per row changed.
/// The collector decodes, merges and stores every window as an agent's.
///
///   replay-bench --write-allow FILE --agents N [--seed S]
///   replay-bench --collector IP:PORT --collector-key B64 --agents N --rate R --seconds S [--mix keyframes|deltas|cpu] [--samples DIR]
@main struct ReplayBench {
    static func main() async throws {
        var args = BenchArguments()
        func value(_ name: String, _ fallback: String?) -> String? { args.value(name, fallback) }
        let agents = Int(value("--agents", "50")!) ?? 50
        let keys = LoadAgents.keys(count: agents, seed: UInt64(value("--seed", "2")!) ?? 2)
        if let file = value("--write-allow", nil) {
            try LoadAgents.allowList(keys).write(toFile: file, atomically: true, encoding: .utf8)
            return
        }
        guard let collector = value("--collector", nil), let collectorKeyText = value("--collector-key", nil) else {
            say("replay-bench: give --collector IP:PORT and --collector-key B64"); exit(2)
        }
        let rate = Double(value("--rate", "50000")!) ?? 50_000
        let seconds = Double(value("--seconds", "60")!) ?? 60
        let samples = value("--samples", "../shared/samples/go119")!
        guard let mix = Mix(rawValue: value("--mix", "keyframes")!) else { say("replay-bench: --mix is keyframes, deltas or cpu"); exit(2) }
        let collectorKey = try PublicKey(base64: collectorKeyText)

        let t0 = ContinuousClock.now
        let perAgent = rate / Double(agents)
        let template = try capture(mix, samples: samples, datagrams: Int(perAgent * (seconds + 2)))
        let bytes = template.plaintexts.map { $0.count + WireLimits.tagLength }.reduce(0, +)
        say(String(format: "replay-bench: captured (%@) %d DATA datagrams (%.1f MB, %.1f per window) of %d windows in %.1f s; %d agents, %.0f datagrams/s each",
                   mix.rawValue, template.plaintexts.count, Double(bytes) / 1e6, Double(template.plaintexts.count) / Double(template.windows), template.windows,
                   Self.secs(ContinuousClock.now - t0), agents, perAgent))

        var endpoints: [UDPEndpoint<ReplayAgent>] = []
        let options = UDPOptions(receiveBuffer: 4 << 20)
        for (i, key) in keys.enumerated() {
            let a = try ReplayAgent(template: template, key: key, collectorKey: collectorKey, collector: PeerAddress(collector), rate: perAgent, seed: UInt64(i) + 101)
            endpoints.append(try await UDPEndpoint.bind(a, to: "127.0.0.1:0", options: options))
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var up = 0
            for e in endpoints where (try? await e.withEndpoint { a, _ in a.isEstablished }) == true { up += 1 }
            if up == agents { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let totals0 = await Totals(endpoints)
        guard totals0.established == agents else {
            say("replay-bench: only \(totals0.established) of \(agents) agents completed a handshake in 30 s (\(totals0.line))"); exit(1)
        }
        say("replay-bench: \(agents) agents established (\(totals0.line)); sending for \(Int(seconds)) s")

        // Every agent starts within the first datagram interval, spread evenly over it.
        let start = try await endpoints[0].withEndpoint { _, now in now + .milliseconds(200) }
        for (i, e) in endpoints.enumerated() {
            let offset = Duration.nanoseconds(Int64(Double(i) / Double(agents) / perAgent * 1e9))
            try await e.withEndpoint { a, _ in a.go(at: start + offset) }
        }
        let clock = ContinuousClock.now
        var last = (at: clock, sent: 0)
        while true {
            try await Task.sleep(for: .seconds(5))
            let t = await Totals(endpoints)
            let now = ContinuousClock.now
            say(String(format: "replay-bench: %.0f s: %d datagrams sent, %.0f/s in the last %.0f s", Self.secs(now - clock), t.sent,
                       Double(t.sent - last.sent) / Self.secs(now - last.at), Self.secs(now - last.at)))
            last = (now, t.sent)
            if t.finished == agents || now - clock > .seconds(seconds + 30) { break }
        }
        let elapsed = Self.secs(last.at - clock)
        let all = await Totals(endpoints)
        say(String(format: "replay-bench: sent %d datagrams (%.0f/s over %.1f s); %@", all.sent, Double(all.sent) / elapsed, elapsed, all.line))
        for e in endpoints { await e.close() }
        if all.finished != agents || all.failures > 0 { exit(1) }
    }

    enum Mix: String { case keyframes, deltas, cpu }

    /// The captured session: `mix`'s windows every 240 ms of session time until `datagrams`
    /// DATA datagrams are in.
    static func capture(_ mix: Mix, samples: String, datagrams: Int) throws -> ReplayTemplate {
        func load(_ name: String) throws -> Profile {
            try PprofDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: samples + "/" + name))))
        }
        let wall = TAI64N(unixSeconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0)
        let c: CapturedSession
        switch mix {
        case .keyframes:
            let heap = try (1...15).reversed().map { try load(String(format: "heap-%03d.pb.gz", $0)) }
            let info = StreamInfo(describing: heap[0], service: "replay", profileType: "heap")
            c = try CapturedSession.record(streams: [(1, info)], wallClockAtZero: wall) { agent, i, now, sent in
                guard sent < datagrams else { return nil }
                if case .sent = try agent.submit(heap[i % heap.count], stream: 1, mode: .snapshot, takenAt: now, at: now) { return 1 }
                return 0
            }
        case .cpu:
            let cpu = try load("cpu-01.pb.gz")
            let info = StreamInfo(describing: cpu, service: "replay", profileType: "cpu")
            var sampled: Replay.Sampled?
            c = try CapturedSession.record(streams: [(1, info)], wallClockAtZero: wall) { agent, i, now, sent in
                guard sent < datagrams else { return nil }
                if sampled == nil {
                    // The warm-up: the real profile, whose stacks the windows sample.
                    var n = 0
                    if case .sent = try agent.submit(cpu, stream: 1, mode: .snapshot, takenAt: now, at: now) { n = 1 }
                    let start = agent.encoder(1)!.state
                    sampled = Replay.Sampled(profile: start, from: start)
                    return n
                }
                if case .sent = try agent.submit(state: sampled!.next(), stream: 1, takenAt: now, at: now) { return 1 }
                return 0
            }
        case .deltas:
            let cpu = [try load("cpu-01.pb.gz"), try load("cpu-02.pb.gz")]
            let heap = [try load("heap-001.pb.gz"), try load("heap-002.pb.gz")]
            let cpuInfo = StreamInfo(describing: cpu[0], service: "replay", profileType: "cpu")
            let heapInfo = StreamInfo(describing: heap[0], service: "replay", profileType: "heap")
            var cpuStates: [StreamState] = [], heapStates: [StreamState] = []
            var cpuSequence: Replay.Cumulative?, heapSequence: Replay.Growing?
            c = try CapturedSession.record(streams: [(1, cpuInfo), (2, heapInfo)], wallClockAtZero: wall) { agent, i, now, sent in
                guard sent < datagrams else { return nil }
                var n = 0
                if i < 2 {
                    // The warm-up: real profiles, whose states the replay grows from.
                    if case .sent = try agent.submit(cpu[i], stream: 1, mode: .snapshot, takenAt: now, at: now) { n += 1 }
                    cpuStates.append(agent.encoder(1)!.state)
                    if case .sent = try agent.submit(heap[i], stream: 2, mode: .snapshot, takenAt: now, at: now) { n += 1 }
                    heapStates.append(agent.encoder(2)!.state)
                    return n
                }
                if cpuSequence == nil {
                    cpuSequence = Replay.Cumulative(increments: cpuStates, from: cpuStates[1])
                    heapSequence = Replay.Growing(snapshots: heapStates, gauges: heapInfo.columnKinds.map { $0 == .gauge })
                }
                if case .sent = try agent.submit(state: cpuSequence!.next(), stream: 1, takenAt: now, at: now) { n += 1 }
                if case .sent = try agent.submit(state: heapSequence!.next(), stream: 2, takenAt: now, at: now) { n += 1 }
                return n
            }
        }
        return ReplayTemplate(plaintexts: try c.plaintexts(), packetNumbers: c.headers.map(\.packetNumber), windows: c.windows)
    }

    static func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// The replay agents' figures, summed.
struct Totals {
    var established = 0, finished = 0, sent = 0, handshakes = 0, cookieReplies = 0, received = 0, failures = 0

    init(_ endpoints: [UDPEndpoint<ReplayAgent>]) async {
        for e in endpoints {
            guard let a = try? await e.withEndpoint({ a, _ in a }) else { continue }
            if a.isEstablished { established += 1 }
            if a.finished { finished += 1 }
            sent += a.sent
            handshakes += a.handshakes
            cookieReplies += a.cookieReplies
            received += a.received
            failures += a.failures
        }
    }

    var line: String {
        "\(handshakes) initiations, \(cookieReplies) cookie replies, \(received) datagrams received from the collector, \(failures) failures"
    }
}
