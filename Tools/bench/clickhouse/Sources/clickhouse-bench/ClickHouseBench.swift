import ClickHouse
import Foundation
import Pprof
import Profile
import Store
import WireCodec

/// Inserts `agents` × six streams (cpu, heap, allocs, goroutine, mutex, block: real Go
/// profiles, then per-window changes to a few percent of their cells, as a live service
/// shows) at `interval` over `hours` into ClickHouse and into SQLite, batched as a
/// collector's drains are, then reads the merged CPU and heap flame graphs over the whole
/// range from each: insert throughput, query time, bytes moved, disk, and the two stores'
/// totals compared (they must be equal).
@main struct ClickHouseBench {
    static func main() throws {
        var args = Array(CommandLine.arguments.dropFirst())
        func value(_ name: String, _ fallback: String) -> String {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
            defer { args.removeSubrange(i...(i + 1)) }
            return args[i + 1]
        }
        let samples = value("--samples", "../shared/samples/go119")
        let url = value("--url", ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"] ?? "http://127.0.0.1:18123")
        let agents = Int(value("--agents", "10")) ?? 10
        let hours = Double(value("--hours", "0.25")) ?? 0.25
        let intervalMs = Int64(value("--interval-ms", "240")) ?? 240
        let batchTicks = Int(value("--batch-ticks", "4")) ?? 4
        let dir = value("--dir", NSTemporaryDirectory() + "flamewire-clickhouse-bench-\(getpid())")
        let tsv = value("--tsv", "")
        let keep = value("--keep-database", "no") == "yes"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var endpoint = try ClickHouseEndpoint(parsing: url)
        endpoint.database = "flamewire_bench_\(getpid())"
        let admin = ClickHouseClient(endpoint)
        let clickhouse = try ClickHouseStore(endpoint)
        defer {
            if keep { say("kept ClickHouse database \(endpoint.database)") } else { try? admin.execute("DROP DATABASE IF EXISTS \(endpoint.database)", database: false) }
        }

        let types: [(String, String)] = [("cpu", "cpu10s-1"), ("heap", "heap-015"), ("allocs", "allocs-005"), ("goroutine", "goroutine-005"),
                                         ("mutex", "mutex-005"), ("block", "block-005")]
        var streams: [BenchStream] = []
        for (type, file) in types {
            let p = try PprofDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(samples)/\(file).pb.gz"))))
            streams.append(try BenchStream(type: type, profile: p))
        }
        let ticks = Int(hours * 3_600_000 / Double(intervalMs))
        let windows = ticks * agents * streams.count
        say("clickhouse-bench: \(agents) agents × \(streams.count) streams (\(streams.map { "\($0.type) \($0.state.count)" }.joined(separator: ", ")) stacks), "
              + "\(ticks) windows each at \(intervalMs) ms (\(hours) h): \(windows) windows; ClickHouse \(try admin.text("SELECT version()").trimmingCharacters(in: .whitespacesAndNewlines)) at \(url)")

        var results: [(String, Double, String)] = []
        func report(_ name: String, _ v: Double, _ unit: String) {
            results.append((name, v, unit))
            say(String(format: "  %-58@ %14.3f %@", name as NSString, v, unit as NSString))
        }

        let sqlite = try SQLiteStore(path: dir + "/bench.db")
        let agentKeys = (0..<agents).map { String(format: "BENCHAGENT%04dAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", $0) }
        var elapsed: [String: UInt64] = ["clickhouse": 0, "sqlite": 0]
        var rows = 0
        var batch: [WindowRecord] = []
        var rng = SplitMix(state: 0x5eed)
        for t in 0..<ticks {
            let time = start + Int64(t + 1) * intervalMs * 1_000_000
            for s in streams.indices {
                if t > 0 { streams[s].step(&rng) }
                rows += streams[s].changed * agents
                for (a, key) in agentKeys.enumerated() {
                    // Each agent sends the entries its stream reaches once, with its first window.
                    batch.append(WindowRecord(agent: key, info: streams[s].info, timeNanos: time + Int64(a), durationNanos: intervalMs * 1_000_000,
                                              seq: UInt32(t + 1), state: streams[s].state, entries: t == 0 ? streams[s].entries : []))
                }
            }
            if (t + 1) % batchTicks == 0 || t == ticks - 1 {
                for (name, store) in [("clickhouse", clickhouse as any ProfileStore), ("sqlite", sqlite as any ProfileStore)] {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try store.append(batch)
                    elapsed[name]! += DispatchTime.now().uptimeNanoseconds - t0
                }
                batch.removeAll(keepingCapacity: true)
            }
            if (t + 1) % max(1, ticks / 10) == 0 {
                say("  … \(t + 1) of \(ticks) ticks: ClickHouse \(Int(Double((t + 1) * agents * streams.count) / (Double(elapsed["clickhouse"]!) / 1e9))) windows/s, "
                      + "SQLite \(Int(Double((t + 1) * agents * streams.count) / (Double(elapsed["sqlite"]!) / 1e9))) windows/s")
            }
        }
        let chRate = Double(windows) / (Double(elapsed["clickhouse"]!) / 1e9)
        let sqRate = Double(windows) / (Double(elapsed["sqlite"]!) / 1e9)
        report("insert: ClickHouse", chRate, "windows/s")
        report("insert: ClickHouse, rows (stacks changed)", Double(rows) / (Double(elapsed["clickhouse"]!) / 1e9), "rows/s")
        report("insert: SQLite (baseline)", sqRate, "windows/s")
        report("insert: ClickHouse vs SQLite", chRate / sqRate, "×")
        report("insert: bytes sent to ClickHouse per window", Double(clickhouse.bytesWritten) / Double(windows), "B")
        try admin.execute("OPTIMIZE TABLE \(endpoint.database).samples FINAL")
        let disk = try admin.text("SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '\(endpoint.database)' AND active")
        report("disk: ClickHouse per window (after merges)", (Double(disk.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) / Double(windows), "B")
        report("disk: SQLite per window", Double(try sqlite.fileBytes()) / Double(windows), "B")

        // The merged graphs over the whole range, as the collector serves them.
        let end = start + Int64(ticks + 1) * intervalMs * 1_000_000
        // The whole range, and its last quarter (a range that starts after a long history:
        // what "the last hour" is on a store that has run for days).
        let ranges = [("", TimeRange(from: start, to: end)), (" last quarter", TimeRange(from: end - (end - start) / 4, to: end))]
        for (label, range) in ranges { for type in ["cpu", "heap"] {
            var totals: [String: [Int64]] = [:]
            var times: [String: Double] = [:]
            for (name, store) in [("clickhouse", clickhouse as any ProfileStore), ("sqlite", sqlite as any ProfileStore)] {
                var ms: [Double] = []
                var firstBytes = 0, lastBytes = 0
                for i in 0..<3 {
                    let before = clickhouse.bytesRead
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let parts = try store.profiles(where: { $0.info.profileType == type }, range: range, aggregation: .mean)
                    let merged = try Profile.merge(parts.map(\.profile))
                    ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    guard parts.count == agents else { fatalError("\(name) \(type): \(parts.count) streams, expected \(agents)") }
                    totals[name] = (0..<merged.sampleTypes.count).map { c in merged.samples.reduce(0) { $0 + $1.values[c] } }
                    if name == "clickhouse" {
                        if i == 0 { firstBytes = clickhouse.bytesRead - before } else { lastBytes = clickhouse.bytesRead - before }
                    }
                }
                let median = ms.sorted()[1]
                times[name] = median
                report("query \(type)\(label) merged over \(agents) agents: \(name == "clickhouse" ? "ClickHouse" : "SQLite")", median, "ms")
                if name == "clickhouse" {
                    report("query \(type)\(label): bytes from ClickHouse, first (with dictionary)", Double(firstBytes), "B")
                    report("query \(type)\(label): bytes from ClickHouse, again", Double(lastBytes), "B")
                }
            }
            report("query \(type)\(label): ClickHouse vs SQLite", times["clickhouse"]! / times["sqlite"]!, "×")
            // Gauge means round per stack, so a merged mean may differ by one per stack and stream.
            let same = zip(totals["clickhouse"]!, totals["sqlite"]!).allSatisfy { abs($0 - $1) <= Int64(agents * 10_000) }
            let exact = totals["clickhouse"]! == totals["sqlite"]!
            say("  query \(type)\(label): totals \(exact ? "equal" : (same ? "equal within per-stack rounding" : "DIFFER")) (ClickHouse \(totals["clickhouse"]!), SQLite \(totals["sqlite"]!))")
            if !same { throw BenchError.totalsDiffer(type) }
        }}
        if !tsv.isEmpty {
            let text = results.map { "\($0.0)\t\($0.1)\t\($0.2)" }.joined(separator: "\n") + "\n"
            try text.write(toFile: tsv, atomically: true, encoding: .utf8)
        }
    }

    static let start: Int64 = 1_800_000_000_000_000_000
}

enum BenchError: Error { case totalsDiffer(String) }

/// One line on standard output, written at once (progress shows while the run goes on).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// One stream every agent plays: a real profile, then about 3 % of its cells changing per
/// window (counters grow, gauges move up or down).
struct BenchStream {
    let type: String
    let info: StreamInfo
    var state: StreamState
    let entries: [StoredEntry]
    let gauges: [Bool]
    /// Stacks changed by the last step.
    var changed: Int

    init(type: String, profile: Profile) throws {
        self.type = type
        var encoder = StreamEncoder(stream: 1, info: StreamInfo(describing: profile, service: "bench", profileType: type))
        try encoder.ingest(profile, mode: .snapshot)
        info = encoder.info
        state = encoder.state
        var seen = Set<EntryKey>()
        entries = encoder.dictionary.entries(reaching: state, known: [], seen: &seen)
        gauges = info.columnKinds.map { $0 == .gauge }
        changed = state.count
    }

    mutating func step(_ rng: inout SplitMix) {
        let gauges = self.gauges
        var rows = Set<Int>()
        var i = -1
        state = state.mapValues { c, v in
            i += 1
            guard Int.random(in: 0..<100, using: &rng) < 3 else { return v == 0 && !gauges[c] ? 0 : v }
            rows.insert(i / max(1, gauges.count))
            return gauges[c] ? max(0, v + Int64.random(in: -4096...4096, using: &rng)) : v + Int64.random(in: 1...8192, using: &rng)
        }
        changed = rows.count
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
