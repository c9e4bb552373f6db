import BenchCapture
import Crypto
import Foundation
import Noise
import Pprof
import Profile
import SansIO
import Synchronization
import Session
import WireCodec
import WireFrame
import WireLimits
import WirePipeline

/// The session receive benchmark: how many sealed DATA datagrams a collector takes per
/// second on one core, where that time goes, and what a garbage flood does to its memory.
/// Run by Tools/bench/session.sh.
///
///   session-bench --samples DIR [--runs N] [--heap N] [--cpu N] [--flood N] [--tsv FILE]
///
/// An agent and a collector are established in memory with seeded keys; the agent plays
/// real Go profiles (heap and CPU streams) and its DATA datagrams are captured while a live
/// collector acknowledges them. The timed collectors are copies of the collector taken right
/// after the handshake, so every run sees the same fresh session. Each figure is printed as a
/// ratio to a baseline measured in the same run. A figure that misses its goal is flagged,
/// never an error; the exit status is non-zero only when something fails (a window not
/// decoded, a garbage datagram not counted).
@main
struct SessionBench {
    static let goal = 200_000.0  // datagrams per second through CollectorSession.receive

    struct Options {
        var samples = ""
        var runs = 31
        var heap = 6
        var cpu = 6
        var flood = 1_000_000
        var tsv: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ s: String) { description = s }
    }

    nonisolated(unsafe) static var tsvRows: [String] = []
    nonisolated(unsafe) static var sink: UInt64 = 0

    static func main() {
        let o: Options
        do { o = try parse(Array(CommandLine.arguments.dropFirst())) } catch {
            FileHandle.standardError.write("session-bench: \(error)\n".data(using: .utf8)!)
            exit(2)
        }
        do {
            let c = try capture(o)
            try receivePath(o, c)
            try shards(o, c)
            try aead(o, c)
            try flood(o, c)
        } catch {
            FileHandle.standardError.write("session-bench: FAILED: \(error)\n".data(using: .utf8)!)
            exit(1)
        }
        if let path = o.tsv {
            let text = (["section\tname\tmetric\tvalue"] + tsvRows).joined(separator: "\n") + "\n"
            _ = FileManager.default.createFile(atPath: path, contents: text.data(using: .utf8))
        }
        print("\n(checksum \(sink & 0xFFFF))")
    }

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func number(_ name: String, min: Int) throws -> Int {
            i += 1
            guard i < args.count, let n = Int(args[i]), n >= min else { throw Failure("\(name) needs a number ≥ \(min)") }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--samples":
                i += 1
                guard i < args.count else { throw Failure("--samples needs a value") }
                o.samples = args[i]
            case "--runs": o.runs = try number("--runs", min: 1)
            case "--heap": o.heap = try number("--heap", min: 1)
            case "--cpu": o.cpu = try number("--cpu", min: 0)
            case "--flood": o.flood = try number("--flood", min: 0)
            case "--tsv":
                i += 1
                guard i < args.count else { throw Failure("--tsv needs a value") }
                o.tsv = args[i]
            default: throw Failure("unknown argument '\(args[i])'")
            }
            i += 1
        }
        guard !o.samples.isEmpty else { throw Failure("--samples DIR is required") }
        return o
    }

    // MARK: - Helpers

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
    static func flag(_ ok: Bool) -> String { ok ? "ok" : "MISSES GOAL" }

    /// Resident memory of this process (/proc/self/statm, field 2, in pages).
    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return -1 }
        let fields = s.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func mb(_ bytes: Int) -> String { fmt(Double(bytes) / 1e6, 1) + " MB" }

    /// xorshift64*: cheap garbage that is the same on every run.
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27
            return s &* 0x2545_F491_4F6C_DD1D
        }
        mutating func fill(_ d: inout [UInt8], _ range: Range<Int>) {
            d.withUnsafeMutableBytes { p in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    p.storeBytes(of: next(), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < range.upperBound { p[i] = UInt8(truncatingIfNeeded: next()); i += 1 }
            }
        }
    }

    // MARK: - Capture

    static let agentAddress = CapturedSession.agentAddress
    static let attacker = PeerAddress("attacker:666")

    struct Captured {
        /// The collector right after it answered the initiation: a fresh session.
        var collector: CollectorSession
        /// The collector's transport keys (rebuilt: the same handshake, outside the session).
        var keys: TransportKeys
        /// Every DATA datagram the agent sent, in order.
        var data: [[UInt8]]
        var headers: [DatagramHeader]
        /// The opened symbols of `data`, and `data` with NullProtection (plain symbol, zero tag).
        var symbols: [[UInt8]]
        var nullData: [[UInt8]]
        var windows: Int
        var now: Instant
        var description: String
    }

    static func profile(_ o: Options, _ name: String) throws -> Profile {
        let path = (o.samples as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("no sample \(path)") }
        return try PprofDecoder.decode([UInt8](data))
    }

    static func capture(_ o: Options) throws -> Captured {
        // Play the samples: heap snapshots on stream 1, CPU windows on stream 2, both taken
        // at the same tick (so each bundle carries one heap and one CPU window, as an agent
        // sends them), with a live collector acknowledging.
        let heap = try (1...o.heap).map { try profile(o, String(format: "heap-%03d.pb.gz", $0)) }
        let cpu = try (0..<o.cpu).map { try profile(o, String(format: "cpu-%02d.pb.gz", $0 + 1)) }
        var streams = [(UInt32(1), StreamInfo(describing: heap[0], service: "bench", profileType: "heap"))]
        if let c = cpu.first { streams.append((2, StreamInfo(describing: c, service: "bench", profileType: "cpu"))) }
        let c = try CapturedSession.record(streams: streams) { agent, i, now, _ in
            guard i < max(heap.count, cpu.count) else { return nil }
            var sent = 0
            for (stream, p, mode) in [(UInt32(1), i < heap.count ? heap[i] : nil, IngestMode.snapshot), (2, i < cpu.count ? cpu[i] : nil, .delta)] {
                guard let p else { continue }
                if case .sent = try agent.submit(p, stream: stream, mode: mode, takenAt: now, at: now) { sent += 1 }
            }
            return sent
        }
        // What the breakdown needs: opened symbols, NullProtection datagrams.
        let plain = try c.plaintexts()
        let text = "\(c.summary) of \(c.windows) windows: \(heap.count) heap snapshots, \(cpu.count) CPU windows"
        return Captured(collector: c.collector, keys: c.keys, data: c.data, headers: c.headers,
                        symbols: plain.map { Array($0[WireLimits.dataHeaderLength...]) },
                        nullData: plain.map { $0 + [UInt8](repeating: 0, count: WireLimits.tagLength) },
                        windows: c.windows, now: c.now, description: text)
    }

    // MARK: - Receive path and breakdown

    /// Seconds per pass over all datagrams: the median over `runs` passes, after one warm-up.
    static func time(_ runs: Int, prepare: () -> Void = {}, _ pass: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var xs: [Double] = []
        for r in 0...runs {
            prepare()
            let t = clock.now
            try pass()
            if r > 0 { xs.append(seconds(clock.now - t)) }
        }
        return median(xs)
    }

    /// Unique copies of the datagrams (in-place decryption must not copy inside the timing).
    static func copies(_ data: [[UInt8]]) -> [[UInt8]] {
        data.map { d in
            var c = [UInt8](repeating: 0, count: d.count)
            c.withUnsafeMutableBytes { $0.copyBytes(from: d) }
            return c
        }
    }

    static func receivePath(_ o: Options, _ c: Captured) throws {
        let n = c.data.count
        let h = WireLimits.dataHeaderLength
        print("""
        Session receive benchmark: \(c.description).
        Times are medians of \(o.runs) passes over all of them (after one warm-up pass), on one core.

        1. CollectorSession.receive of sealed DATA datagrams (goal ≥ \(fmt(goal, 0)) datagrams/s through the transport: open, replay check, FEC, reassembly; window decoding is measured on its own)
        """)

        // The whole receive path, per datagram, split by whether the datagram completed a bundle
        // (its windows decoded: events).
        var completing: [Double] = [], symbolOnly: [Double] = [], totals: [Double] = []
        var completingCount = 0
        let clock = ContinuousClock()
        for r in 0...o.runs {
            var s = c.collector
            var sumC = 0.0, sumS = 0.0, count = 0, windows = 0
            for d in c.data {
                let t = clock.now
                s.receive(d, from: agentAddress, at: c.now)
                let dt = seconds(clock.now - t)
                let events = s.pollEvents()
                if events.isEmpty { sumS += dt } else { sumC += dt; count += 1 }
                for e in events { if case .windowDecoded = e { windows += 1 } }
            }
            guard windows == c.windows, s.dropped.isEmpty else { throw Failure("pass \(r): \(windows) of \(c.windows) windows, drops \(s.dropped)") }
            if r > 0 {
                totals.append(sumC + sumS)
                completing.append(sumC / Double(max(1, count)))
                symbolOnly.append(sumS / Double(max(1, n - count)))
            }
            completingCount = count
        }
        let receive = median(totals)

        // With what a runtime does around it: events and acknowledgements.
        let loop = time(o.runs) {
            var s = c.collector
            for d in c.data {
                s.receive(d, from: agentAddress, at: c.now)
                for e in s.pollEvents() { if case .windowDecoded(_, let w) = e { sink &+= UInt64(w.header.seq) } }
                while let t = s.pollTransmit(at: c.now) { sink &+= UInt64(t.datagram.count) }
            }
        }

        // ChaCha20-Poly1305 open alone (the baseline): TransportKeys.open (libcrypto) in place on copies.
        var work: [[UInt8]] = []
        let open = try time(o.runs, prepare: { work = copies(c.data) }) {
            for i in work.indices {
                let pn = c.headers[i].packetNumber, end = work[i].count - WireLimits.tagLength
                try work[i].withUnsafeMutableBytes { all in
                    try c.keys.open(header: UnsafeRawBufferPointer(rebasing: all[..<h]), packetNumber: pn,
                                    payload: UnsafeMutableRawBufferPointer(rebasing: all[h..<end]),
                                    tag: UnsafeRawBufferPointer(rebasing: all[end...]))
                }
            }
        }
        guard work.indices.allSatisfy({ Array(work[$0][h..<(work[$0].count - 16)]) == c.symbols[$0] }) else { throw Failure("open gave other symbols") }

        // What the collector calls: SealedProtection.openData (copies the symbol out, opens it).
        let protection = SealedProtection(keys: c.keys)
        let openData = time(o.runs) {
            for i in c.data.indices { sink &+= UInt64(protection.openData(c.data[i], header: c.headers[i])?.count ?? 0) }
        }

        // Replay check + open + commit, as the session does it.
        let replayOpen = try time(o.runs, prepare: { work = copies(c.data) }) {
            var replay = ReplayWindow()
            for i in work.indices {
                let pn = c.headers[i].packetNumber, end = work[i].count - WireLimits.tagLength
                guard replay.check(pn) else { throw Failure("packet \(pn) refused as a replay") }
                try work[i].withUnsafeMutableBytes { all in
                    try c.keys.open(header: UnsafeRawBufferPointer(rebasing: all[..<h]), packetNumber: pn,
                                    payload: UnsafeMutableRawBufferPointer(rebasing: all[h..<end]),
                                    tag: UnsafeRawBufferPointer(rebasing: all[end...]))
                }
                replay.commit(pn)
            }
        }

        let parse = try time(o.runs) {
            for d in c.data { sink &+= try DatagramHeader.parse(d).packetNumber }
        }

        // Reassembly and FEC alone: NullProtection datagrams of the same bundles.
        let reassembler = time(o.runs) {
            var r = Reassembler()
            var bundles = 0
            for d in c.nullData { if case .bundle = r.receive(datagram: d, protection: NullProtection(), at: c.now) { bundles += 1 } }
            sink &+= UInt64(bundles)
        }

        // The whole window receive path without protection: reassembly, FEC, the bundle
        // directory, snappy, decode.
        let symbolSlices = c.symbols.map { $0[...] }
        let receiver = try time(o.runs) {
            var w = WindowReceiver()
            var windows = 0
            for i in c.headers.indices {
                switch w.receive(c.headers[i], symbol: symbolSlices[i], at: c.now) {
                case .bundle(_, let outcomes, _):
                    for outcome in outcomes {
                        switch outcome {
                        case .decoded: windows += 1
                        case .rejected(let a, let why): throw Failure("window \(a) rejected: \(why)")
                        }
                    }
                case .dropped(let e): throw Failure("dropped: \(e)")
                case .progress, .duplicate: break
                }
            }
            guard windows == c.windows else { throw Failure("WindowReceiver decoded \(windows) of \(c.windows) windows") }
        }

        // The same without the session, split the same way: symbols that complete no bundle.
        var receiverSymbolOnly: [Double] = []
        for r in 0...o.runs {
            var w = WindowReceiver()
            var sum = 0.0, count = 0
            for i in c.headers.indices {
                let t = clock.now
                let e = w.receive(c.headers[i], symbol: symbolSlices[i], at: c.now)
                let dt = seconds(clock.now - t)
                switch e {
                case .progress, .duplicate: sum += dt; count += 1
                default: break
                }
            }
            if r > 0 { receiverSymbolOnly.append(sum / Double(max(1, count))) }
        }
        let rs = median(receiverSymbolOnly)

        func us(_ pass: Double) -> String { fmt(pass / Double(n) * 1e6, 2) }
        func rate(_ pass: Double) -> String { fmt(Double(n) / pass, 0) }
        func share(_ pass: Double) -> String { fmt(pass / receive * 100, 0) + " %" }
        func x(_ pass: Double) -> String { fmt(pass / open, 1) + "×" }
        let mc = median(completing), ms = median(symbolOnly)
        let transportRate = 1 / ms
        let decodePerWindow = (mc - ms) * Double(completingCount) / Double(c.windows)
        let rows: [[String]] = [
            ["CollectorSession.receive, every datagram", us(receive), rate(receive), "100 %", x(receive), ""],
            ["  + pollEvents + pollTransmit (acks)", us(loop), rate(loop), share(loop), x(loop), ""],
            ["DatagramHeader.parse alone", us(parse), rate(parse), share(parse), x(parse), ""],
            ["ChaCha20-Poly1305 open alone (TransportKeys.open)", us(open), rate(open), share(open), "1.0×", ""],
            ["SealedProtection.openData (copy + open)", us(openData), rate(openData), share(openData), x(openData), ""],
            ["replay check + open + commit", us(replayOpen), rate(replayOpen), share(replayOpen), x(replayOpen), ""],
            ["Reassembler, NullProtection (parse, FEC)", us(reassembler), rate(reassembler), share(reassembler), x(reassembler), ""],
            ["WindowReceiver (reassembly, directory, snappy, decode)", us(receiver), rate(receiver), share(receiver), x(receiver), ""],
        ]
        print("""
          transport (header, replay check, open, commit, reassembly, FEC: every datagram that completes no bundle): \
        \(fmt(ms * 1e6, 2)) µs each, \(fmt(transportRate, 0)) datagrams/s on one core: \(flag(transportRate >= goal))
          window decoding on top (the \(completingCount) datagrams that complete a bundle: directory, snappy, stream decoder): \
        \(fmt(decodePerWindow * 1e6, 0)) µs per window, \(fmt(1 / decodePerWindow, 0)) windows/s on one core
        """)
        table(["stage (per datagram, over all)", "µs", "datagrams/s", "of receive", "vs open", "goal"], rows)
        print("""
          datagrams that complete a bundle (\(completingCount) of \(n)): \(fmt(mc * 1e6, 1)) µs each; the others: \(fmt(ms * 1e6, 2)) µs each
          receive path / ChaChaPoly open alone = \(fmt(receive / open, 1))×
          receive path / (replay + open + WindowReceiver) = \(fmt(receive / (replayOpen + receiver), 2))× (what the session adds around them)
          WindowReceiver / Reassembler = \(fmt(receiver / reassembler, 1))× (snappy and window decoding on top of reassembly)
          symbol-only datagrams / ChaChaPoly open alone = \(fmt(ms / (open / Double(n)), 1))×; \
        the same symbols through WindowReceiver alone: \(fmt(rs * 1e6, 2)) µs each, so the session adds \
        \(fmt((ms - rs - open / Double(n)) * 1e6, 2)) µs per datagram beyond open + WindowReceiver (lookups, replay, acknowledgement state)
        """)
        let dominant = [("window decoding (WindowReceiver − Reassembler)", receiver - reassembler), ("ChaCha20-Poly1305 open", open),
                        ("reassembly and FEC", reassembler - parse), ("header parsing", parse)].max { $0.1 < $1.1 }!
        print("  dominant: \(dominant.0), \(fmt(dominant.1 / receive * 100, 0)) % of the receive path")
        for (name, v) in [("receive", receive), ("loop", loop), ("parse", parse), ("open", open), ("open_data", openData),
                          ("replay_open", replayOpen), ("reassembler", reassembler), ("window_receiver", receiver)] {
            record("receive", name, "us_per_datagram", v / Double(n) * 1e6)
        }
        record("receive", "completing", "us_per_datagram", mc * 1e6)
        record("receive", "symbol_only", "us_per_datagram", ms * 1e6)
        record("receive", "receiver_symbol_only", "us_per_datagram", rs * 1e6)
        record("receive", "transport", "datagrams_per_second", transportRate)
        record("receive", "decode", "us_per_window", decodePerWindow * 1e6)
    }

    // MARK: - Shards: the receive path on every core at once

    /// What `collect --shards N` buys: N sessions, each on its own thread with its own agent,
    /// receiving (and decoding, polling events and acknowledging) at once, against one
    /// session alone, measured in the same run. The sessions share nothing, so the ratio is
    /// what the machine gives (cores, memory bandwidth, the allocator), not what locks take.
    static func shards(_ o: Options, _ c: Captured) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let passes = max(3, o.runs / 3)
        // Wall seconds for `k` threads each making `passes` passes over the captured datagrams.
        // Each thread its own capture: copies of one session would share its keys' cipher
        // contexts (one lock each), which shards never do (an agent's keys live on one shard).
        var own = [c]
        while own.count < max(2, cores) { own.append(try capture(o)) }
        let captures = own
        func run(_ k: Int) throws -> Double {
            // Passes that decoded fewer windows than captured, and the bytes acknowledged (the
            // checksum, so the work cannot be optimised away).
            let failures = Mutex(0), acknowledged = Mutex(UInt64(0))
            let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
            for i in 0..<k {
                let collector = captures[i].collector, data = captures[i].data, at = captures[i].now, windows = captures[i].windows
                Thread.detachNewThread {
                    start.wait()
                    var local: UInt64 = 0
                    for _ in 0..<passes {
                        var s = collector
                        var decoded = 0
                        for d in data {
                            s.receive(d, from: agentAddress, at: at)
                            for e in s.pollEvents() { if case .windowDecoded = e { decoded += 1 } }
                            while let t = s.pollTransmit(at: at) { local &+= UInt64(t.datagram.count) }
                        }
                        if decoded != windows { failures.withLock { $0 += 1 } }
                    }
                    acknowledged.withLock { $0 &+= local }
                    done.signal()
                }
            }
            let clock = ContinuousClock()
            let t = clock.now
            for _ in 0..<k { start.signal() }
            for _ in 0..<k { done.wait() }
            let wall = seconds(clock.now - t)
            if failures.withLock({ $0 }) > 0 { throw Failure("shards: a pass decoded fewer windows than captured") }
            sink &+= acknowledged.withLock { $0 }
            return wall
        }
        _ = try run(1)  // warm-up
        var rows: [[String]] = []
        var one = 0.0
        for k in Set([1, 2, cores]).sorted() {
            let wall = median(try (0..<3).map { _ in try run(k) })
            let rate = Double(k * passes * c.data.count) / wall
            if k == 1 { one = rate }
            rows.append(["\(k)", fmt(rate, 0), fmt(rate / Double(k), 0), fmt(rate / one, 2) + "×", fmt(rate / one / Double(k) * 100, 0) + " %"])
            record("shards", "\(k)", "datagrams_per_second", rate)
        }
        print("""

        1b. Sessions on several cores at once (collect --shards): each thread its own session and agent, \(passes) passes each, \
        receive + events + acknowledgements, every window decoded (median of 3 runs; \(cores) cores here)
        """)
        table(["sessions", "datagrams/s", "per session", "vs one session alone", "scaling"], rows)
    }

    // MARK: - ChaCha20-Poly1305: swift-crypto against libcrypto

    /// swift-crypto's ChaChaPoly open in place, as TransportKeys did it before libcrypto:
    /// a SealedBox, the open (which allocates the plaintext), a copy back.
    static func swiftCryptoOpen(_ key: SymmetricKey, header: UnsafeRawBufferPointer, packetNumber pn: UInt64,
                                payload: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) throws {
        var words: (UInt64, UInt64) = (0, pn.bigEndian)
        let nonce = try withUnsafeBytes(of: &words) { try ChaChaPoly.Nonce(data: UnsafeRawBufferPointer(rebasing: $0[4..<16])) }
        let box = try ChaChaPoly.SealedBox(nonce: nonce, ciphertext: UnsafeRawBufferPointer(payload), tag: tag)
        let plain = try ChaChaPoly.open(box, using: key, authenticating: header)
        plain.withUnsafeBytes { p in
            if let base = p.baseAddress, p.count > 0 { payload.copyMemory(from: UnsafeRawBufferPointer(start: base, count: p.count)) }
        }
    }

    /// The open of full-size datagrams through swift-crypto and through libcrypto
    /// (TransportKeys), passes alternating in the same run, and the replay window's check
    /// and commit alone.
    static func aead(_ o: Options, _ c: Captured) throws {
        let h = WireLimits.dataHeaderLength
        // 64 datagrams of the default maximum size (1400 B: a 1357-byte symbol), the first
        // captured header with fresh packet numbers, sealed with the agent's key (swift-crypto).
        let symbol = WireLimits.defaultMaxDatagram - h - WireLimits.tagLength
        let full = WireLimits.defaultMaxDatagram
        let key = SymmetricKey(data: c.keys.receiveKey)
        let base = (c.headers.map(\.packetNumber).max() ?? 0) + 1
        var rng = Rng(s: 0x1357)
        var data: [[UInt8]] = [], plainSymbols: [[UInt8]] = [], pns: [UInt64] = []
        for i in 0..<64 {
            let pn = base + UInt64(i)
            var header = Array(c.data[0][..<h])
            for b in 0..<8 { header[5 + b] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * b)) }
            var sym = [UInt8](repeating: 0, count: symbol)
            rng.fill(&sym, 0..<symbol)
            var words: (UInt64, UInt64) = (0, pn.bigEndian)
            let nonce = try withUnsafeBytes(of: &words) { try ChaChaPoly.Nonce(data: UnsafeRawBufferPointer(rebasing: $0[4..<16])) }
            let box = try ChaChaPoly.seal(sym, using: key, nonce: nonce, authenticating: header)
            data.append(header + Array(box.ciphertext) + Array(box.tag))
            plainSymbols.append(sym)
            pns.append(pn)
        }
        let passes = max(o.runs, 40_000 / data.count)
        print("""

        2. ChaCha20-Poly1305 open alone, swift-crypto against libcrypto: \(data.count) DATA datagrams of the default maximum size \
        (\(full) B: a \(symbol)-byte symbol, the \(h)-byte header as associated data, a 16-byte tag), opened in place, \
        median of \(passes) passes each, the two alternating
        """)
        let clock = ContinuousClock()
        var swiftCrypto: [Double] = [], libcrypto: [Double] = []
        for r in 0...passes {
            for useLibcrypto in [r % 2 == 0, r % 2 != 0] {
                var work = copies(data)
                let t = clock.now
                for i in work.indices {
                    let pn = pns[i], end = work[i].count - WireLimits.tagLength
                    try work[i].withUnsafeMutableBytes { all in
                        let hd = UnsafeRawBufferPointer(rebasing: all[..<h]), p = UnsafeMutableRawBufferPointer(rebasing: all[h..<end])
                        let tag = UnsafeRawBufferPointer(rebasing: all[end...])
                        if useLibcrypto {
                            try c.keys.open(header: hd, packetNumber: pn, payload: p, tag: tag)
                        } else {
                            try swiftCryptoOpen(key, header: hd, packetNumber: pn, payload: p, tag: tag)
                        }
                    }
                }
                let dt = seconds(clock.now - t) / Double(data.count)
                if r > 0 { if useLibcrypto { libcrypto.append(dt) } else { swiftCrypto.append(dt) } }
                sink &+= UInt64(work[0][h])
                if r == 0 {
                    guard work.indices.allSatisfy({ Array(work[$0][h..<(full - 16)]) == plainSymbols[$0] }) else {
                        throw Failure("\(useLibcrypto ? "libcrypto" : "swift-crypto") opened other symbols")
                    }
                }
            }
        }
        let sc = median(swiftCrypto), lc = median(libcrypto)

        // The replay window alone: check + commit of every packet number in arrival order,
        // on fresh windows made outside the timing.
        let allPNs = c.headers.map(\.packetNumber)
        let repeats = max(1, 200_000 / allPNs.count)
        var windows: [ReplayWindow] = []
        let replay = try time(o.runs, prepare: { windows = (0..<repeats).map { _ in ReplayWindow() } }) {
            for k in windows.indices {
                for pn in allPNs {
                    guard windows[k].check(pn) else { throw Failure("packet \(pn) refused as a replay") }
                    windows[k].commit(pn)
                }
            }
        } / Double(repeats * allPNs.count)
        // A replayed packet number: refused by check alone.
        let refused = time(o.runs, prepare: {}) {
            var n = 0
            for _ in 0..<repeats { for pn in allPNs where !windows[0].check(pn) { n += 1 } }
            sink &+= UInt64(n)
        } / Double(repeats * allPNs.count)

        table(["per datagram", "µs", "datagrams/s", "vs swift-crypto"], [
            ["swift-crypto ChaChaPoly.open (SealedBox, new plaintext, copy back)", fmt(sc * 1e6, 3), fmt(1 / sc, 0), "1.00×"],
            ["libcrypto EVP (TransportKeys.open, reused context, in place)", fmt(lc * 1e6, 3), fmt(1 / lc, 0), fmt(lc / sc, 2) + "×"],
            ["ReplayWindow check + commit (in order)", fmt(replay * 1e6, 4), fmt(1 / replay, 0), fmt(replay / sc, 4) + "×"],
            ["ReplayWindow check of a replay (refused)", fmt(refused * 1e6, 4), fmt(1 / refused, 0), fmt(refused / sc, 4) + "×"],
        ])
        print("  libcrypto / swift-crypto = \(fmt(lc / sc, 2))× (swift-crypto takes \(fmt(sc / lc, 2))× as long); " +
              "time left per datagram at \(fmt(goal, 0))/s after the libcrypto open: \(fmt((1 / goal - lc) * 1e6, 2)) µs")
        record("aead", "swift_crypto_open", "us_per_datagram", sc * 1e6)
        record("aead", "libcrypto_open", "us_per_datagram", lc * 1e6)
        record("aead", "libcrypto_over_swift_crypto", "ratio", lc / sc)
        record("aead", "replay_check_commit", "us_per_datagram", replay * 1e6)
        record("aead", "replay_refused", "us_per_datagram", refused * 1e6)
    }

    // MARK: - Garbage flood

    static func flood(_ o: Options, _ c: Captured) throws {
        guard o.flood > 0 else { return }
        print("""

        3. Memory under a garbage flood: \(o.flood) random DATA datagrams with unknown connection ids, then \(o.flood) with the \
        session's connection id and bad tags (fresh packet numbers), after the real datagrams
        """)
        var s = c.collector
        for d in c.data { s.receive(d, from: agentAddress, at: c.now) }
        _ = s.pollEvents()
        while s.pollTransmit(at: c.now) != nil {}
        let sent = s.bytesSent
        let before = residentBytes()
        let template = c.data[0]
        let connection = Array(template[1..<5])
        var rng = Rng(s: 0x9E37_79B9_7F4A_7C15)
        var d = template
        let clock = ContinuousClock()

        // Unknown connection ids: everything random but the layout (byte 0, bundle id,
        // indices, bundle length, symbol size).
        var t = clock.now
        for _ in 0..<o.flood {
            rng.fill(&d, 1..<13)
            if Array(d[1..<5]) == connection { d[1] ^= 0xFF }
            rng.fill(&d, WireLimits.dataHeaderLength..<d.count)
            s.receive(d, from: attacker, at: c.now)
        }
        let unknownTime = seconds(clock.now - t)
        let middle = residentBytes()

        // The session's connection id, packet numbers above anything seen, random symbol and tag.
        d.replaceSubrange(1..<5, with: connection)
        let highest = c.headers.map(\.packetNumber).max() ?? 0
        t = clock.now
        for i in 0..<o.flood {
            let pn = highest + 1 + UInt64(i)
            for b in 0..<8 { d[5 + b] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * b)) }
            rng.fill(&d, WireLimits.dataHeaderLength..<d.count)
            s.receive(d, from: attacker, at: c.now)
        }
        let badTagTime = seconds(clock.now - t)
        let after = residentBytes()

        let unknown = s.dropped[.unknownConnection, default: 0]
        let badTag = s.dropped[.authenticationFailed, default: 0]
        let other = s.dropped.filter { $0.key != .unknownConnection && $0.key != .authenticationFailed }
        let answered = s.pollTransmit(at: c.now) != nil || s.bytesSent != sent
        let events = s.pollEvents().count
        table(["flood", "datagrams", "counted dropped", "µs each", "datagrams/s", "resident after"], [
            ["(after the real datagrams)", "\(c.data.count)", "0", "", "", mb(before)],
            ["unknown connection id", "\(o.flood)", "\(unknown)", fmt(unknownTime / Double(o.flood) * 1e6, 2), fmt(Double(o.flood) / unknownTime, 0), mb(middle)],
            ["valid connection id, bad tag", "\(o.flood)", "\(badTag)", fmt(badTagTime / Double(o.flood) * 1e6, 2), fmt(Double(o.flood) / badTagTime, 0), mb(after)],
        ])
        print("  resident memory: \(mb(before)) before, \(mb(after)) after (\(after >= before ? "+" : "")\(mb(after - before))); " +
              "answers sent: \(answered ? "SOME" : "none"); events: \(events); other drops: \(other.isEmpty ? "none" : "\(other)")")
        print("  bad tag / unknown connection = \(fmt(badTagTime / unknownTime, 1))× (the tag check is the cost)")
        record("flood", "unknown_connection", "us_per_datagram", unknownTime / Double(o.flood) * 1e6)
        record("flood", "bad_tag", "us_per_datagram", badTagTime / Double(o.flood) * 1e6)
        record("flood", "rss", "before_bytes", Double(before))
        record("flood", "rss", "after_bytes", Double(after))
        guard unknown == o.flood, badTag == o.flood, other.isEmpty, !answered, events == 0 else {
            throw Failure("not every garbage datagram was counted as dropped and left unanswered: \(s.dropped), answered \(answered), \(events) events")
        }
    }
}
