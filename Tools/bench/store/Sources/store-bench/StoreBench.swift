import Foundation
import Pprof
import Profile
import Store
import WireCodec

/// Appends a stream of heap windows (a real Go heap profile, then per-window changes to a
/// few percent of its stacks, as a live service shows) into a SQLite store at a 240 ms
/// interval, and times flame-graph reads over 15 minutes, one hour and the whole range,
/// against the same read on a store that keeps no checkpoints (every window replayed).
@main struct StoreBench {
    static func main() throws {
        var args = Array(CommandLine.arguments.dropFirst())
        func value(_ name: String, _ fallback: String) -> String {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
            defer { args.removeSubrange(i...(i + 1)) }
            return args[i + 1]
        }
        let samples = value("--samples", "../shared/samples/go119")
        let hours = Double(value("--hours", "1")) ?? 1
        let intervalMs = Int64(value("--interval-ms", "240")) ?? 240
        let baselineHours = min(hours, Double(value("--baseline-hours", "1")) ?? 1)
        let dir = value("--dir", NSTemporaryDirectory() + "flamewire-store-bench-\(getpid())")
        let tsv = value("--tsv", "")
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let profile = try PprofDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: samples + "/heap-015.pb.gz"))))
        let windows = Int(hours * 3_600_000 / Double(intervalMs))
        let baselineWindows = Int(baselineHours * 3_600_000 / Double(intervalMs))
        say("store-bench: \(profile.samples.count) heap stacks, \(windows) windows at \(intervalMs) ms (\(hours) h)")

        var results: [(String, Double, String)] = []
        func report(_ name: String, _ v: Double, _ unit: String) {
            results.append((name, v, unit))
            say(String(format: "  %-46@ %12.3f %@", name as NSString, v, unit as NSString))
        }

        let withCheckpoints = try SQLiteStore(path: dir + "/checkpoints.db")
        let appendRate = try fill(withCheckpoints, profile: profile, windows: windows, intervalMs: intervalMs)
        report("append (checkpoint every 256 windows)", appendRate, "windows/s")
        let bytes = try withCheckpoints.fileBytes()
        report("disk per window", Double(bytes) / Double(windows), "bytes")
        report("disk per stream-day (extrapolated)", Double(bytes) / Double(windows) * 86_400_000 / Double(intervalMs) / 1e6, "MB")

        let replayOnly = try SQLiteStore(path: dir + "/replay.db", policy: CheckpointPolicy(windows: Int.max, intervalNanos: .max))
        report("append (no checkpoints: baseline)", try fill(replayOnly, profile: profile, windows: baselineWindows, intervalMs: intervalMs), "windows/s")

        let end = start + Int64(windows) * intervalMs * 1_000_000
        let baselineEnd = start + Int64(baselineWindows) * intervalMs * 1_000_000
        let hour: Int64 = 3_600_000_000_000
        // Ranges that end before the newest window (so the head cannot answer them alone).
        let shift = 30_000_000_000 as Int64
        let reads: [(String, TimeRange, SQLiteStore, Int64)] = [
            ("read 15 min", TimeRange(from: end - shift - hour / 4, to: end - shift), withCheckpoints, end),
            ("read 1 h", TimeRange(from: max(start, end - shift - hour), to: end - shift), withCheckpoints, end),
            ("read everything (\(hours) h)", TimeRange(from: start - 1, to: end - shift), withCheckpoints, end),
            ("baseline: read 1 h replaying every window", TimeRange(from: max(start, baselineEnd - shift - hour), to: baselineEnd - shift), replayOnly, baselineEnd),
        ]
        var times: [String: Double] = [:]
        for (name, range, store, _) in reads {
            var samples: [Double] = []
            var stacks = 0
            for _ in 0..<(store === replayOnly ? 3 : 5) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try store.profiles(where: { _ in true }, range: range, aggregation: .mean)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                stacks = r.first?.profile.samples.count ?? 0
                guard let w = r.first?.windows, w > 0 else { fatalError("\(name): no windows in range") }
            }
            let median = samples.sorted()[samples.count / 2]
            times[name] = median
            report("\(name) (\(stacks) stacks)", median, "ms")
        }
        if let a = times["read 1 h"], let b = times["baseline: read 1 h replaying every window"] {
            report("read 1 h: checkpoints vs replay (ratio)", a / b, "×")
        }
        if !tsv.isEmpty {
            let text = results.map { "\($0.0)\t\($0.1)\t\($0.2)" }.joined(separator: "\n") + "\n"
            try text.write(toFile: tsv, atomically: true, encoding: .utf8)
        }
    }

    static let start: Int64 = 1_800_000_000_000_000_000

    /// Appends `windows` windows in batches of 50 (a collector drain); returns windows/s.
    static func fill(_ store: SQLiteStore, profile: Profile, windows: Int, intervalMs: Int64) throws -> Double {
        var encoder = StreamEncoder(stream: 1, info: StreamInfo(describing: profile, service: "bench", profileType: "heap"))
        try encoder.ingest(profile, mode: .snapshot)
        var state = encoder.state
        let gauges = encoder.info.columnKinds.map { $0 == .gauge }
        var seen = Set<EntryKey>()
        var entries = encoder.dictionary.entries(reaching: state, known: [], seen: &seen)
        var rng = SplitMix(state: 0x5eed)
        var batch: [WindowRecord] = []
        var elapsed: UInt64 = 0
        for w in 0..<windows {
            if w > 0 {
                // About 3 % of cells change: counters grow, gauges move up or down.
                state = state.mapValues { c, v in
                    guard Int.random(in: 0..<100, using: &rng) < 3 else { return v == 0 && !gauges[c] ? 0 : v }
                    return gauges[c] ? max(0, v + Int64.random(in: -4096...4096, using: &rng)) : v + Int64.random(in: 1...8192, using: &rng)
                }
            }
            batch.append(WindowRecord(agent: "BENCHAGENT", info: encoder.info, timeNanos: start + Int64(w + 1) * intervalMs * 1_000_000,
                                      durationNanos: 0, seq: UInt32(w + 1), state: state, entries: entries))
            entries = []
            if batch.count == 50 || w == windows - 1 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try store.append(batch)
                elapsed += DispatchTime.now().uptimeNanoseconds - t0
                batch.removeAll(keepingCapacity: true)
            }
        }
        return Double(windows) / (Double(elapsed) / 1e9)
    }
}

/// A fast seeded generator (the system one costs a system call per number).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One line on standard output, unbuffered, so a long run shows its figures as they come.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
