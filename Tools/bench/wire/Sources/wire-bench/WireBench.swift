import WireLimits
import Compression
import FEC
import Foundation
import Pprof
import Profile
import WireCodec
import WireFrame
import WirePipeline

/// The wire benchmark: what real Go profiles cost on the wire, how long one window takes to
/// encode and decode, and how fast the Reed–Solomon kernels run. Run by Tools/bench/wire.sh.
///
///   wire-bench --samples DIR [--runs N] [--rs-runs N] [--only sizes,codec,fec,pprof] [--windows] [--tsv FILE]
///   wire-bench --samples DIR --profile-loop N     (the steady heap window N times, for perf)
///
/// Figures are printed next to their targets; a miss is flagged, never an error. The exit
/// status is non-zero only when something fails (a window that does not round-trip, a
/// missing sample).
@main
struct WireBench {
    // Targets (Tools/README.md).
    static let heapRatioTarget = 0.015      // steady-state wire bytes / gzip pprof bytes, heap
    static let cpuRatioTarget = 0.20        // the same for 1 s CPU windows
    static let windowTimeTarget = 1e-3      // seconds: encode + decode of one steady-state window
    static let rsEncodeTarget = 500.0       // MB/s of source data, k = 8, m = 4
    static let rsDecodeTarget = 300.0       // MB/s of source data, 4 erasures
    static let loss = 0.12
    static let maxDatagram = 1400

    struct Options {
        var samples = ""
        var runs = 101
        var rsRuns = 21
        var sections: Set<String> = ["sizes", "codec", "fec", "pprof"]
        var windows = false
        var tsv: String?
        /// Loop the steady-state heap window this many times and exit (for perf/callgrind).
        var profileLoop = 0
    }

    nonisolated(unsafe) static var tsvRows: [String] = []
    nonisolated(unsafe) static var sink: UInt64 = 0

    static func main() {
        let o: Options
        do { o = try parse(Array(CommandLine.arguments.dropFirst())) } catch {
            FileHandle.standardError.write("wire-bench: \(error)\n".data(using: .utf8)!)
            exit(2)
        }
        do {
            if o.profileLoop > 0 {
                try profileLoop(o)
                return
            }
            if o.sections.contains("sizes") { try sizes(o) }
            if o.sections.contains("codec") { try codec(o) }
            if o.sections.contains("fec") { try fec(o) }
            if o.sections.contains("pprof") { try pprof(o) }
        } catch {
            FileHandle.standardError.write("wire-bench: FAILED: \(error)\n".data(using: .utf8)!)
            exit(1)
        }
        if let path = o.tsv {
            let text = (["section\tname\tmetric\tvalue"] + tsvRows).joined(separator: "\n") + "\n"
            _ = FileManager.default.createFile(atPath: path, contents: text.data(using: .utf8))
        }
        print("\n(checksum \(sink & 0xFFFF))")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ s: String) { description = s }
    }

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw Failure("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--samples": o.samples = try value()
            case "--runs": guard let n = Int(try value()), n >= 1 else { throw Failure("--runs must be a positive number") }; o.runs = n
            case "--rs-runs": guard let n = Int(try value()), n >= 1 else { throw Failure("--rs-runs must be a positive number") }; o.rsRuns = n
            case "--only":
                o.sections = Set(try value().split(separator: ",").map(String.init))
                guard o.sections.isSubset(of: ["sizes", "codec", "fec", "pprof"]) else { throw Failure("--only takes sizes, codec, fec, pprof") }
            case "--windows": o.windows = true
            case "--tsv": o.tsv = try value()
            case "--profile-loop": guard let n = Int(try value()), n >= 1 else { throw Failure("--profile-loop must be a positive number") }; o.profileLoop = n
            default: throw Failure("unknown argument '\(args[i])'")
            }
            i += 1
        }
        guard !o.samples.isEmpty else { throw Failure("--samples DIR is required") }
        return o
    }

    // MARK: helpers

    static func record(_ section: String, _ name: String, _ metric: String, _ value: Double) {
        tsvRows.append("\(section)\t\(name)\t\(metric)\t\(value)")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }

    static func table(_ headers: [String], _ rows: [[String]]) {
        let widths = headers.indices.map { c in ([headers[c]] + rows.map { $0[c] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, s in
                let pad = String(repeating: " ", count: widths[i] - s.count)
                return i == 0 ? s + pad : pad + s
            }.joined(separator: "  ")
        }
        print(line(headers))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for r in rows { print(line(r)) }
    }

    static func fmt(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }
    static func pct(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
    static func flag(_ ok: Bool) -> String { ok ? "ok" : "MISSES TARGET" }

    static func readSample(_ dir: String, _ name: String) throws -> [UInt8] {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let d = FileManager.default.contents(atPath: path) else { throw Failure("cannot read \(path)") }
        return [UInt8](d)
    }

    static func info(for p: Profile, type: String) -> StreamInfo { StreamInfo(describing: p, service: "bench", profileType: type) }

    static func names(_ prefix: String, _ range: ClosedRange<Int>, width: Int) -> [String] {
        range.map { i in
            let n = String(i)
            return prefix + String(repeating: "0", count: max(0, width - n.count)) + n + ".pb.gz"
        }
    }

    // MARK: 1. sizes

    static func sizes(_ o: Options) throws {
        let sequences: [(type: String, files: [String], mode: IngestMode)] = [
            ("heap", names("heap-", 1...15, width: 3), .snapshot),
            ("cpu", names("cpu-", 1...6, width: 2), .delta),
            ("goroutine", names("goroutine-", 1...5, width: 3), .snapshot),
            ("mutex", names("mutex-", 1...5, width: 3), .snapshot),
            ("block", names("block-", 1...5, width: 3), .snapshot),
            ("allocs", names("allocs-", 1...5, width: 3), .snapshot),
        ]
        var summary: [[String]] = []
        var perWindow: [[String]] = []
        var notes: [String] = []
        var breakdown: [(type: String, fields: [Int: (bytes: Double, elements: Double)], total: Double)] = []
        for seq in sequences {
            var steadyFields: [Int: (bytes: Double, elements: Double)] = [:]
            let inputs = try seq.files.map { f -> (name: String, gz: Int, profile: Profile) in
                let bytes = try readSample(o.samples, f)
                return (f, bytes.count, try PprofDecoder.decode(bytes))
            }
            // The receiver's side: every window must rebuild the sender's state exactly, and
            // its datagrams must reassemble to a bundle whose directory holds just that window.
            var rx = StreamDecoder()
            let report = try WireSizeReport.measure(inputs.map { ($0.name, $0.gz, $0.profile) }, loss: loss, maxDatagram: maxDatagram,
                                                    mode: seq.mode, info: info(for: inputs[0].profile, type: seq.type)) { w in
                let name = inputs[Int(w.header.seq) - 1].name
                let decoded = try rx.decode(try Snappy.decompress(w.compressed, limit: WireLimits.maxPayload))
                guard decoded.state == w.senderState else { throw Failure("\(name): the decoded state differs from the sender's") }
                var r = Reassembler()
                var rebuilt: [UInt8]?
                for d in w.datagrams.reversed() { if case .bundle(_, let bytes, _) = r.receive(datagram: d, protection: NullProtection()) { rebuilt = bytes } }
                guard let rebuilt, let (directory, windows) = try? BundleDirectory.parse(rebuilt),
                      directory.entries.map(\.address) == [WindowAddress(stream: 1, seq: w.header.seq)], windows.map({ Array($0) }) == [w.compressed]
                else { throw Failure("\(name): the datagrams do not reassemble to a bundle of the window") }
                if w.header.baseSeq != 0 {
                    let n = Double(inputs.count - 1)
                    for (f, v) in fields(of: w.payload) {
                        let old = steadyFields[f] ?? (0, 0)
                        steadyFields[f] = (old.bytes + Double(v.bytes) / n, old.elements + Double(v.elements) / n)
                    }
                }
            }
            let rows = report.rows
            for r in rows {
                perWindow.append([seq.type, (r.keyframe ? "K " : "  ") + r.name, "\(r.inputBytes)", "\(r.payloadBytes)",
                                  "\(r.compressedBytes)", "\(r.datagrams)", "\(r.wireBytes)", "\(r.datagramsWithFEC)",
                                  "\(r.wireBytesWithFEC)", pct(Double(r.wireBytes) / Double(r.inputBytes))])
                record("sizes", r.name, "gz", Double(r.inputBytes))
                record("sizes", r.name, "payload", Double(r.payloadBytes))
                record("sizes", r.name, "snappy", Double(r.compressedBytes))
                record("sizes", r.name, "wire", Double(r.wireBytes))
                record("sizes", r.name, "wire_fec", Double(r.wireBytesWithFEC))
            }
            let key = rows[0]
            let steady = Array(rows.dropFirst())
            breakdown.append((seq.type, steadyFields, Double(steady.reduce(0) { $0 + $1.payloadBytes }) / Double(steady.count)))
            guard !steady.isEmpty, steady.allSatisfy({ !$0.keyframe }) else { throw Failure("\(seq.type): windows 2..n must be deltas") }
            func mean(_ f: (WireSizeReport.Row) -> Int) -> Double { Double(steady.reduce(0) { $0 + f($1) }) / Double(steady.count) }
            let gz = mean(\.inputBytes), snappy = mean(\.compressedBytes), wire = mean(\.wireBytes), wireFEC = mean(\.wireBytesWithFEC)
            let dg = mean(\.datagrams), dgFEC = mean(\.datagramsWithFEC)
            let ratio = wire / gz, ratioFEC = wireFEC / gz
            let target: Double? = seq.type == "heap" ? heapRatioTarget : (seq.type == "cpu" ? cpuRatioTarget : nil)
            let verdict = target.map { flag(ratio <= $0) } ?? "-"
            if let target, ratio > target {
                notes.append("\(seq.type): steady-state wire bytes are \(pct(ratio)) of gzip pprof, target ≤ \(pct(target)) (\(fmt(wire / target / gz, 1))x over)")
            }
            summary.append([seq.type, "\(rows.count)", "\(key.inputBytes)", "\(key.compressedBytes)", "\(key.wireBytes) (\(key.datagrams))",
                            pct(Double(key.wireBytes) / Double(key.inputBytes)), fmt(gz, 0), fmt(snappy, 0), "\(fmt(wire, 0)) (\(fmt(dg, 1)))",
                            "\(fmt(wireFEC, 0)) (\(fmt(dgFEC, 1)))", pct(ratio), pct(ratioFEC), target.map { "≤ " + pct($0) } ?? "-", verdict])
            record("sizes", seq.type, "steady_gz_mean", gz)
            record("sizes", seq.type, "steady_snappy_mean", snappy)
            record("sizes", seq.type, "steady_wire_mean", wire)
            record("sizes", seq.type, "steady_wire_fec_mean", wireFEC)
            record("sizes", seq.type, "steady_ratio", ratio)
            record("sizes", seq.type, "steady_ratio_fec", ratioFEC)
        }
        print("""

        1. Size on the wire (bytes; max datagram \(maxDatagram), every datagram with its \(WireLimits.dataHeaderLength)-byte header and \(WireLimits.tagLength)-byte tag,
           one bundle per window (its directory included);
           FEC parity sized for \(Int(loss * 100)) % loss; each window acknowledged before the next, no loss)
           keyframe = window 1; steady = mean over windows 2..n; (n) = datagrams; ratio = steady wire / steady gzip pprof
        """)
        table(["profile", "windows", "key gz", "key snappy", "key wire", "key/gz", "gz pprof", "delta snappy", "wire",
               "wire+FEC", "wire/gz", "+FEC/gz", "target", "vs target"], summary)
        if o.windows {
            print("\nPer window (K = keyframe):")
            table(["profile", "window", "gz", "payload", "snappy", "dgrams", "wire", "dgrams+FEC", "wire+FEC", "wire/gz"], perWindow)
        }
        for n in notes { print("  note: \(n)") }

        // Where the bytes of a steady-state window go, per Window field (SPEC.md §5).
        let names: [(Int, String)] = [(8, "strings"), (18, "string_prefixes"), (9, "functions"), (10, "locations"), (11, "stacks"),
                                      (12, "salts"), (13, "changed"), (14, "values"), (17, "value_masks"), (16, "predictors"),
                                      (15, "removed"), (0, "header fields (1-7)")]
        print("""

        1b. Steady-state window payload by field (uncompressed bytes, mean over windows 2..n, tag and length included;
            [n] = mean elements: varints of a packed field, strings of `strings`)
        """)
        var brows: [[String]] = []
        for (field, name) in names {
            var row = [name]
            for b in breakdown {
                let v: (bytes: Double, elements: Double)
                if field == 0 {
                    v = (1...7).reduce((0.0, 0.0)) { acc, f in (acc.0 + (b.fields[f]?.bytes ?? 0), 0) }
                } else { v = b.fields[field] ?? (0, 0) }
                row.append(v.bytes == 0 ? "-" : "\(fmt(v.bytes, 0))" + (field == 0 || field == 17 ? "" : " [\(fmt(v.elements, 0))]"))
            }
            brows.append(row)
        }
        brows.append(["total"] + breakdown.map { fmt($0.total, 0) })
        table(["field"] + breakdown.map(\.type), brows)
    }

    /// Bytes (tag, length and content) and elements per top-level field of a protobuf message.
    static func fields(of m: [UInt8]) -> [Int: (bytes: Int, elements: Int)] {
        var out: [Int: (bytes: Int, elements: Int)] = [:]
        var i = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < m.count {
                let b = m[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return v
        }
        while i < m.count {
            let start = i
            let key = varint()
            let field = Int(key >> 3)
            var elements = 1
            switch key & 7 {
            case 0: _ = varint()
            case 1: i += 8
            case 5: i += 4
            case 2:
                let n = Int(varint())
                let end = min(m.count, i + n)
                if field != 8 && field != 5 && field != 17 { elements = m[i..<end].filter { $0 < 0x80 }.count }
                i = end
            default: i = m.count
            }
            let old = out[field] ?? (0, 0)
            out[field] = (old.bytes + i - start, old.elements + elements)
        }
        return out
    }

    // MARK: 2. codec time

    struct Stages {
        var ingest = 0.0, encode = 0.0, compress = 0.0, decompress = 0.0, decode = 0.0
        var total: Double { ingest + encode + compress + decompress + decode }
    }

    static func codec(_ o: Options) throws {
        let gz1 = try readSample(o.samples, "heap-001.pb.gz"), gz2 = try readSample(o.samples, "heap-002.pb.gz")
        let p1 = try PprofDecoder.decode(gz1), p2 = try PprofDecoder.decode(gz2)
        let raw2 = try Gzip.decompress(gz2)
        let streamInfo = info(for: p1, type: "heap")
        let clock = ContinuousClock()

        /// One window from `tx`/`rx` as they are, each stage timed.
        func window(_ tx: inout StreamEncoder, _ rx: inout StreamDecoder, _ p: Profile) throws -> (Stages, payload: Int, compressed: Int, seq: UInt32) {
            var s = Stages()
            var t = clock.now
            try tx.ingest(p, mode: .snapshot)
            var u = clock.now; s.ingest = seconds(u - t); t = u
            let (header, payload) = tx.nextWindow()
            u = clock.now; s.encode = seconds(u - t); t = u
            let compressed = Snappy.compress(payload)
            u = clock.now; s.compress = seconds(u - t); t = u
            let back = try Snappy.decompress(compressed, limit: WireLimits.maxPayload)
            u = clock.now; s.decompress = seconds(u - t); t = u
            let decoded = try rx.decode(back)
            u = clock.now; s.decode = seconds(u - t)
            sink &+= UInt64(decoded.state.count)
            return (s, payload.count, compressed.count, header.seq)
        }

        var keyframes: [Stages] = [], steadies: [Stages] = [], acks: [Double] = [], steadyAcks: [Double] = []
        var sizes = (key: (0, 0), steady: (0, 0))
        let warmup = min(5, o.runs)
        for run in 0..<(warmup + o.runs) {
            // Fresh encoder and decoder every run, so no copy-on-write copy lands in a timed stage.
            var tx = StreamEncoder(stream: 1, info: streamInfo)
            var rx = StreamDecoder()
            let k = try window(&tx, &rx, p1)
            let t = clock.now
            tx.acknowledge(seq: k.seq)
            let ack = seconds(clock.now - t)
            let s = try window(&tx, &rx, p2)
            guard rx.state(seq: s.seq) == tx.state else { throw Failure("heap-002: the decoded state differs from the sender's") }
            let t2 = clock.now
            tx.acknowledge(seq: s.seq)
            let steadyAck = seconds(clock.now - t2)
            if run >= warmup {
                keyframes.append(k.0)
                steadies.append(s.0)
                acks.append(ack)
                steadyAcks.append(steadyAck)
            }
            sizes = ((k.payload, k.compressed), (s.payload, s.compressed))
        }
        func us(_ x: Double) -> String { fmt(x * 1e6, 0) }
        func row(_ name: String, _ xs: [Stages], _ f: (Stages) -> Double) -> [String] {
            let v = xs.map(f)
            return [name, us(median(v)), us(v.min()!), us(percentile(v, 0.9))]
        }
        print("""

        2. Encode + decode time of one heap window (µs; median, min and p90 of \(o.runs) runs after \(warmup) warm-up)
           heap-001 then heap-002 (gzip \(gz2.count) B, pprof \(raw2.count) B, \(p2.samples.count) samples, \(p2.locations.count) locations);
           keyframe: heap-001 into a new stream (payload \(sizes.key.0) B, snappy \(sizes.key.1) B);
           steady: heap-002 after heap-001 was acknowledged (payload \(sizes.steady.0) B, snappy \(sizes.steady.1) B)
        """)
        var rows: [[String]] = []
        for (name, xs) in [("keyframe", keyframes), ("steady", steadies)] {
            rows.append(row("\(name): tx.ingest", xs, \.ingest))
            rows.append(row("\(name): tx.nextWindow", xs, \.encode))
            rows.append(row("\(name): snappy compress", xs, \.compress))
            rows.append(row("\(name): snappy decompress", xs, \.decompress))
            rows.append(row("\(name): rx.decode", xs, \.decode))
            rows.append(row("\(name): total", xs, \.total))
            for (metric, f) in [("ingest", \Stages.ingest), ("next_window", \.encode), ("compress", \.compress),
                                ("decompress", \.decompress), ("decode", \.decode), ("total", \.total)] as [(String, KeyPath<Stages, Double>)] {
                record("codec", name, "\(metric)_median_s", median(xs.map { $0[keyPath: f] }))
            }
        }
        rows.append(["keyframe: tx.acknowledge (not in total)", us(median(acks)), us(acks.min()!), us(percentile(acks, 0.9))])
        rows.append(["steady: tx.acknowledge (not in total)", us(median(steadyAcks)), us(steadyAcks.min()!), us(percentile(steadyAcks, 0.9))])
        record("codec", "ack", "median_s", median(acks))
        record("codec", "steady_ack", "median_s", median(steadyAcks))
        table(["stage", "median", "min", "p90"], rows)
        let steadyTotal = median(steadies.map(\.total))
        print("  steady-state window total: \(us(steadyTotal)) µs, target < \(us(windowTimeTarget)) µs: \(flag(steadyTotal < windowTimeTarget))"
              + (steadyTotal < windowTimeTarget ? "" : " (\(fmt(steadyTotal / windowTimeTarget, 1))x over)"))
        print("  with the sender's acknowledge of the steady window: \(us(steadyTotal + median(steadyAcks))) µs")
    }

    /// Steady-state heap windows for `perf record` or callgrind: the 15 heap snapshots
    /// played in order on one stream, round and round, `profileLoop` windows after the
    /// keyframe, each decoded and acknowledged, so every stage (acknowledge included) runs
    /// as in a long-lived stream, new stacks included, and no copy-on-write copy of a
    /// dictionary shows up. Cost per window = (cost of N windows - cost of M windows) / (N - M).
    static func profileLoop(_ o: Options) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: o.samples)
            .filter { $0.hasPrefix("heap-") && $0.hasSuffix(".pb.gz") }.sorted()
        let profiles = try files.map { try PprofDecoder.decode(try readSample(o.samples, $0)) }
        guard let first = profiles.first else { throw Failure("no heap-*.pb.gz in \(o.samples)") }
        var tx = StreamEncoder(stream: 1, info: info(for: first, type: "heap"))
        var rx = StreamDecoder()
        for i in 0..<(o.profileLoop + 1) {
            try tx.ingest(profiles[i % profiles.count], mode: .snapshot)
            let (h, p) = tx.nextWindow()
            let d = try rx.decode(try Snappy.decompress(Snappy.compress(p), limit: WireLimits.maxPayload))
            tx.acknowledge(seq: h.seq)
            sink &+= UInt64(d.state.count)
        }
    }

    // MARK: 4. pprof decode

    /// What the agent spends on each profile before the codec: gunzip, then protobuf into
    /// the `Profile` model, through the generated messages (the baseline, measured in the
    /// same run) and through `ProfileReader` (what `PprofDecoder.decode` uses); and the
    /// heap snapshot's whole agent-side path (decode + `StreamEncoder.ingest`).
    static func pprof(_ o: Options) throws {
        print("""

        4. pprof decode per profile (µs, median of \(o.runs) runs; gzip bytes → Profile)
        """)
        var rows: [[String]] = []
        for name in ["heap-001", "cpu-01", "goroutine-001", "mutex-001"] {
            let gz = try readSample(o.samples, name + ".pb.gz")
            let raw = try Gzip.decompress(gz, limit: 1 << 30)
            func time(_ body: () throws -> Void) rethrows -> Double {
                var xs: [Double] = []
                for _ in 0..<(o.runs + 3) {
                    let t0 = ContinuousClock.now
                    try body()
                    xs.append(seconds(ContinuousClock.now - t0))
                }
                return median(Array(xs.dropFirst(3)))
            }
            let gunzip = time { sink &+= UInt64((try? Gzip.decompress(gz, limit: 1 << 30))?.count ?? 0) }
            let messages = try time { sink &+= UInt64(try PprofDecoder.decodeThroughMessages(raw).samples.count) }
            let reader = try time { sink &+= UInt64(try PprofDecoder.decode(raw).samples.count) }
            guard try PprofDecoder.decode(raw) == PprofDecoder.decodeThroughMessages(raw) else { throw Failure("\(name): the two decoders disagree") }
            record("pprof", name, "messages_median_s", messages)
            record("pprof", name, "reader_median_s", reader)
            rows.append([name, "\(gz.count) / \(raw.count)", fmt(gunzip * 1e6, 0), fmt(messages * 1e6, 0), fmt(reader * 1e6, 0), String(format: "%.2f×", messages / reader)])
        }
        table(["profile", "gzip / raw B", "gunzip", "generated messages (baseline)", "ProfileReader", "speed-up"], rows)
        // The agent's path for one heap snapshot in a long-lived stream: decode, then ingest.
        let files = try FileManager.default.contentsOfDirectory(atPath: o.samples)
            .filter { $0.hasPrefix("heap-") && $0.hasSuffix(".pb.gz") }.sorted()
        let heaps = try files.map { try readSample(o.samples, $0) }
        guard heaps.count >= 2 else { throw Failure("need heap-*.pb.gz in \(o.samples)") }
        func agentPath(_ decode: ([UInt8]) throws -> Profile) throws -> Double {
            var tx = StreamEncoder(stream: 1, info: info(for: try decode(heaps[0]), type: "heap"))
            var xs: [Double] = []
            for i in 0..<(o.runs + 3) {
                let t0 = ContinuousClock.now
                try tx.ingest(try decode(heaps[(i + 1) % heaps.count]), mode: .snapshot)
                xs.append(seconds(ContinuousClock.now - t0))
                let (h, _) = tx.nextWindow()
                tx.acknowledge(seq: h.seq)
            }
            return median(Array(xs.dropFirst(3)))
        }
        // Straight from the bytes (`ingest(pprof:)`): `next` picks the snapshot of run i.
        func directPath(_ next: (Int) -> [UInt8]) throws -> Double {
            var tx = StreamEncoder(stream: 1, info: info(for: try PprofDecoder.decode(heaps[0]), type: "heap"))
            var xs: [Double] = []
            for i in 0..<(o.runs + 3) {
                let t0 = ContinuousClock.now
                try tx.ingest(pprof: try PprofSnapshot(next(i)), mode: .snapshot)
                xs.append(seconds(ContinuousClock.now - t0))
                let (h, _) = tx.nextWindow()
                tx.acknowledge(seq: h.seq)
            }
            return median(Array(xs.dropFirst(3)))
        }
        let before = try agentPath { try PprofDecoder.decodeThroughMessages($0) }
        let after = try agentPath { try PprofDecoder.decode($0) }
        let direct = try directPath { heaps[($0 + 1) % heaps.count] }
        // A service whose stacks did not change: the same snapshot again (Go's tables are
        // then byte for byte the same; only the values and times move).
        let sameModel = try agentPath { _ in try PprofDecoder.decode(heaps[1]) }
        let sameDirect = try directPath { _ in heaps[1] }
        record("pprof", "heap-agent", "messages_median_s", before)
        record("pprof", "heap-agent", "reader_median_s", after)
        record("pprof", "heap-agent", "direct_median_s", direct)
        record("pprof", "heap-agent-same-tables", "reader_median_s", sameModel)
        record("pprof", "heap-agent-same-tables", "direct_median_s", sameDirect)
        print("  heap snapshot, gzip → stream state (decode + ingest): \(fmt(before * 1e6, 0)) µs through the generated messages, "
              + "\(fmt(after * 1e6, 0)) µs through ProfileReader (\(String(format: "%.2f×", before / after)))")
        print("  the same straight from the bytes (ingest(pprof:)), tables changed every time: \(fmt(direct * 1e6, 0)) µs "
              + "(\(String(format: "%.2f×", after / direct)) against ProfileReader)")
        print("  the same snapshot again (tables unchanged): \(fmt(sameModel * 1e6, 0)) µs through ProfileReader, "
              + "\(fmt(sameDirect * 1e6, 0)) µs straight from the bytes with the tables reused (\(String(format: "%.2f×", sameModel / sameDirect)))")
    }

    // MARK: 3. Reed–Solomon

    static func fec(_ o: Options) throws {
        let k = 8, m = 4
        let clock = ContinuousClock()
        let best = GF256.kernel
        print("""

        3. Reed–Solomon over GF(2^8), k = \(k), m = \(m) (MB/s of source data, MB = 10^6 B; median of \(o.rsRuns) samples)
           encode: the \(m) parity symbols of a block; decode: the block from \(k - m) source + \(m) parity symbols (\(m) erasures)
           default kernel on this CPU: \(best)
        """)
        var rows: [[String]] = []
        var notes: [String] = []
        for size in [1349, 65536] {
            var rng = SystemRandomNumberGenerator()
            let source = (0..<(k * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let code = try ReedSolomon(sourceCount: k)
            var baseline: (encode: Double, decode: Double)?
            for kernel in [GF256.Kernel.portable, .ssse3, .avx2] {
                guard GF256.force(kernel) == kernel else {
                    rows.append(["\(size)", "\(kernel)", "not on this CPU", "", "", "", "", ""])
                    continue
                }
                var parity = [UInt8](repeating: 0, count: m * size)
                func encodeOnce() throws {
                    try source.withUnsafeBytes { src in
                        try parity.withUnsafeMutableBytes { out in
                            for p in 0..<m {
                                try code.encodeParity(index: k + p, source: src, symbolSize: size,
                                                      into: UnsafeMutableRawBufferPointer(rebasing: out[(p * size)..<((p + 1) * size)]))
                            }
                        }
                    }
                }
                try encodeOnce()
                var held: [Int: [UInt8]] = [:]
                for i in m..<k { held[i] = Array(source[(i * size)..<((i + 1) * size)]) }
                for p in 0..<m { held[k + p] = Array(parity[(p * size)..<((p + 1) * size)]) }
                guard try code.decode(held, symbolSize: size) == source else { throw Failure("Reed–Solomon decode (\(kernel)) is wrong") }
                func decodeOnce() throws { sink &+= UInt64(try code.decode(held, symbolSize: size)[size / 2]) }

                let enc = try throughput(clock, bytes: k * size, samples: o.rsRuns, encodeOnce)
                sink &+= UInt64(parity[size / 3])
                let dec = try throughput(clock, bytes: k * size, samples: o.rsRuns, decodeOnce)
                if kernel == .portable { baseline = (enc, dec) }
                let b = baseline ?? (enc, dec)
                rows.append(["\(size)", "\(kernel)", fmt(enc, 0), "\(fmt(enc / b.encode, 1))x", flag(enc >= rsEncodeTarget),
                             fmt(dec, 0), "\(fmt(dec / b.decode, 1))x", flag(dec >= rsDecodeTarget)])
                record("fec", "\(kernel)-\(size)", "encode_mbps", enc)
                record("fec", "\(kernel)-\(size)", "decode_mbps", dec)
                if kernel == best && size == 1349 {
                    if enc < rsEncodeTarget { notes.append("encode with \(kernel) at 1349-byte symbols: \(fmt(enc, 0)) MB/s < \(fmt(rsEncodeTarget, 0))") }
                    if dec < rsDecodeTarget { notes.append("decode with \(kernel) at 1349-byte symbols: \(fmt(dec, 0)) MB/s < \(fmt(rsDecodeTarget, 0))") }
                }
            }
        }
        GF256.force(best)
        table(["symbol B", "kernel", "encode MB/s", "vs portable", "≥ \(fmt(rsEncodeTarget, 0))", "decode MB/s", "vs portable",
               "≥ \(fmt(rsDecodeTarget, 0))"], rows)
        for n in notes { print("  note: \(n)") }
    }

    /// MB/s of `bytes` per call: the median over `samples` samples of enough calls to take ≥ 5 ms.
    static func throughput(_ clock: ContinuousClock, bytes: Int, samples: Int, _ body: () throws -> Void) throws -> Double {
        var iterations = 1
        while true {
            let t = clock.now
            for _ in 0..<iterations { try body() }
            if seconds(clock.now - t) >= 0.005 || iterations >= 1 << 20 { break }
            iterations *= 2
        }
        var rates: [Double] = []
        for _ in 0..<samples {
            let t = clock.now
            for _ in 0..<iterations { try body() }
            rates.append(Double(bytes * iterations) / seconds(clock.now - t) / 1e6)
        }
        return median(rates)
    }
}
