import WireLimits
import WirePipeline
import Foundation
import Testing
import TestSupport
import Compression
import FEC
import Profile
import Folded
@testable import WireCodec
@testable import WireFrame

/// Test vectors of the wire protocol (`Protocol/vectors/`, SPEC.md §9).
///
/// The streams below are built deterministically; every run encodes them afresh and
/// compares the bytes (and the decoded states printed as text) with the committed files,
/// byte for byte. `FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter VectorTests` rewrites the
/// files instead, on purpose. The independent C decoder (`Tools/wire-c-decoder/`) must
/// print exactly the `*.expected.txt` files from the vectors; the last test runs it.
@Suite(.serialized) struct VectorTests {
    @Test func vectorsMatchTheCommittedFiles() throws {
        let set = try VectorSet.build()
        let update = ProcessInfo.processInfo.environment["FLAMEWIRE_UPDATE_VECTORS"] == "1"
        let fm = FileManager.default
        if update { try fm.createDirectory(at: VectorSet.dir, withIntermediateDirectories: true) }
        for (name, text) in set.files {
            let url = VectorSet.dir.appendingPathComponent(name)
            if update {
                if (try? String(contentsOf: url, encoding: .utf8)) != text {
                    try Data(text.utf8).write(to: url)
                }
                continue
            }
            guard let old = try? String(contentsOf: url, encoding: .utf8) else {
                Issue.record("missing vector \(name): run FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter VectorTests")
                continue
            }
            if old != text {
                let a = old.split(separator: "\n", omittingEmptySubsequences: false)
                let b = text.split(separator: "\n", omittingEmptySubsequences: false)
                let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                Issue.record("""
                    \(name) differs from a fresh encoding at line \(i + 1):
                      committed: \(i < a.count ? String(a[i].prefix(120)) : "<end>")
                      fresh:     \(i < b.count ? String(b[i].prefix(120)) : "<end>")
                    If the change is intended, regenerate with FLAMEWIRE_UPDATE_VECTORS=1.
                    """)
            }
        }
        // Files in the directory that the generator no longer writes are stale.
        let known = Set(set.files.map(\.name) + ["README.md"])
        for f in (try? fm.contentsOfDirectory(atPath: VectorSet.dir.path)) ?? [] where !known.contains(f) {
            Issue.record("Protocol/vectors/\(f) is not produced by VectorTests; remove it or add it to the generator")
        }
    }

    /// The vectors exercise what README.md says they do.
    @Test func vectorsCoverTheFeatures() throws {
        let set = try VectorSet.build()
        let w = set.windows
        let demo2 = try Flamewire_Wire_Window(serializedBytes: w["demo-2"]!)
        #expect(!demo2.stringPrefixes.isEmpty, "front-coded strings")
        #expect(demo2.stringPrefixes.enumerated().contains { $0.offset % 2 == 1 && $0.element > 0 })
        #expect(!demo2.valueMasks.isEmpty, "value masks")
        #expect(demo2.predictors.contains(1), "predictor 1")
        let kinds = VectorSet.templateKinds(demo2)
        #expect(kinds.contains(1) && kinds.contains(2), "template kinds previous and explicit: \(kinds)")
        let demo1 = try Flamewire_Wire_Window(serializedBytes: w["demo-1"]!)
        #expect(demo1.hasInfo && demo1.baseSeq == 0)
        // Functions with a system name equal to the name (0), empty (1 + plain ref 0 + 1 = 2)
        // and another string (a fresh one: 1 + 0).
        let systems = stride(from: 1, to: demo1.functions.count, by: 4).map { demo1.functions[$0] }
        #expect(systems.contains(0) && systems.contains(2) && systems.contains(1), "\(systems)")
        // Fresh codes (0) name new strings in `functions` and new locations in `stacks`.
        #expect(stride(from: 0, to: demo1.functions.count, by: 4).contains { demo1.functions[$0] == 0 })
        #expect(demo2.frameContext, "demo-2 names base locations by calling context")
        #expect(!demo1.frameContext, "a keyframe has no base context")
        // An inlined location (2 lines) and an address-only location (0 lines).
        #expect(VectorSet.lineCounts(demo1).contains(2) && VectorSet.lineCounts(demo1).contains(0))
        let demo3 = try Flamewire_Wire_Window(serializedBytes: w["demo-3"]!)
        #expect(demo3.baseSeq == 1, "window 3 is a delta against window 1 (the ack of 2 was lost)")
        let heap2 = try Flamewire_Wire_Window(serializedBytes: w["heap-2"]!)
        #expect(!heap2.removed.isEmpty, "removal")
        let heap1 = try Flamewire_Wire_Window(serializedBytes: w["heap-1"]!)
        #expect(heap1.predictors.contains(2) || heap2.predictors.contains(2), "predictor 2: \(heap1.predictors) \(heap2.predictors)")
        #expect(heap1.predictors.contains(3) || heap2.predictors.contains(3), "predictor 3: \(heap1.predictors) \(heap2.predictors)")
        let c1 = try Flamewire_Wire_Window(serializedBytes: w["collision-1"]!)
        #expect(!c1.salts.isEmpty, "collision salts")
        // Hand-built windows (README.md): child codes, base function refs, an earlier
        // definition as template, a redefined base stack, a removed stack defined again.
        let ctx = try Flamewire_Wire_Window(serializedBytes: w["context-1"]!)
        #expect(ctx.frameContext && ctx.stacks[1] == 1, "context-1 starts with a root child code")
        let baseref = try Flamewire_Wire_Window(serializedBytes: w["baseref-1"]!)
        #expect(baseref.locations.first.map { $0 & 1 == 1 && $0 >> 1 > 0 } == true, "baseref-1 names a base function")
        let tpl = try Flamewire_Wire_Window(serializedBytes: w["template-1"]!)
        #expect(VectorSet.templateKinds(tpl).last == 2)
        let redefined = try Flamewire_Wire_Window(serializedBytes: w["redefine-1"]!)
        #expect(redefined.changed.count == 1 && redefined.stacks[1] == redefined.changed[0], "redefine-1 redefines its changed base stack")
        let removedAgain = try Flamewire_Wire_Window(serializedBytes: w["redefine-2"]!)
        #expect(removedAgain.removed.count == 1 && removedAgain.stacks[1] == removedAgain.removed[0])
        #expect(set.bulkSymbols.k >= 3, "the datagram window spans several symbols")
        #expect(set.bulkSymbols.parity >= set.dropped.count)
    }

    /// `Tools/wire-c-decoder/check.sh` builds the independent C decoder and runs it over
    /// every vector: the spec is implementable without the Swift code.
    @Test func independentCDecoderAgrees() throws {
        guard CTools.available() else { return }
        let script = VectorSet.root.appendingPathComponent("Tools/wire-c-decoder/check.sh")
        let (status, text) = try runProcess(URL(fileURLWithPath: "/bin/sh"), [script.path])
        #expect(status == 0, "check.sh failed:\n\(text.suffix(4000))")
    }
}

/// The tools the C decoder builds with (protoc-c, a C compiler).
enum CTools {
    /// True when they are installed. When not, a failure under CI (which must install
    /// them) and a known issue elsewhere.
    static func available() -> Bool {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["PATH"] { candidates = path.split(separator: ":").map(String.init) }
        candidates += ["/usr/bin", "/usr/local/bin"]
        let missing = ["protoc-c", "cc"].filter { tool in !candidates.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") } }
        if missing.isEmpty { return true }
        let message = "\(missing.joined(separator: ", ")) not installed: apt-get install protobuf-c-compiler libprotobuf-c-dev libsnappy-dev gcc"
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record(Comment(rawValue: message + " (required in CI)"))
        } else {
            withKnownIssue(Comment(rawValue: message)) { Issue.record(Comment(rawValue: message)) }
        }
        return false
    }
}

/// Builds every vector file in memory.
struct VectorSet {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dir = root.appendingPathComponent("Protocol/vectors")

    /// Datagram lines (0-based) a decoder drops before reassembly: source symbols, so the
    /// block can only be rebuilt from parity.
    let dropped = [0, 2, 3]

    var files: [(name: String, text: String)] = []
    var windows: [String: [UInt8]] = [:]
    var bulkSymbols = (k: 0, parity: 0)

    static let t0: Int64 = 1_700_000_000_000_000_000
    static let tenSeconds: Int64 = 10_000_000_000

    static func build() throws -> VectorSet {
        var v = VectorSet()
        try v.demo()
        try v.heap()
        try v.collision()
        try v.bulk()
        try v.edges()
        try v.handBuilt()
        return v
    }

    // MARK: Streams

    /// Stream 1 "demo" (cpu): keyframe, a delta with new stacks (templates), a delta
    /// against window 1 because the acknowledgement of window 2 was lost.
    mutating func demo() throws {
        let info = StreamInfo(service: "demo", profileType: "cpu", labels: ["instance": "demo-1"],
                              columns: [ValueType(type: "samples", unit: "count"), ValueType(type: "cpu", unit: "nanoseconds")],
                              columnKinds: [.counter, .counter], periodType: ValueType(type: "cpu", unit: "nanoseconds"),
                              period: 10_000_000, defaultSampleType: "samples")
        var b = ProfileBuilder(columns: info.columns, period: info.period)
        b.function("main.main", system: "main.main", file: "demo/main.go", start: 10)
        b.function("demo/server.(*Server).Serve", system: "", file: "demo/server/server.go", start: 40)
        b.function("demo/server.(*Server).handle", system: "demo_server_handle", file: "demo/server/server.go", start: 88)
        b.function("demo/server.parseRequest", system: "demo/server.parseRequest", file: "demo/server/request.go", start: 12)
        b.function("demo/store.(*DB).Get", system: "demo/store.(*DB).Get", file: "demo/store/db.go", start: 30)
        b.function("demo/store.(*DB).Put", system: "demo/store.(*DB).Put", file: "demo/store/db.go", start: 55)
        b.function("runtime.mallocgc", system: "runtime.mallocgc", file: "runtime/malloc.go", start: 948)
        b.function("runtime.memmove", system: "runtime.memmove", file: "runtime/memmove_amd64.s", start: 0)
        b.function("demo/store.(*DB).GetMany", system: "demo/store.(*DB).GetMany", file: "demo/store/db_batch.go", start: 71)
        b.function("demo/store.(*DB).getOne", system: "demo/store.(*DB).getOne", file: "demo/store/db_batch.go", start: 120)
        let main = b.location([("main.main", 14)])
        let serve = b.location([("demo/server.(*Server).Serve", 47)])
        let handleInlined = b.location([("demo/server.parseRequest", 15), ("demo/server.(*Server).handle", 92)])
        let handle = b.location([("demo/server.(*Server).handle", 101)])
        let get = b.location([("demo/store.(*DB).Get", 33)])
        let put = b.location([("demo/store.(*DB).Put", 60)])
        let malloc = b.location([("runtime.mallocgc", 1010)])
        let memmove = b.location([("runtime.memmove", 200)])
        let unknown = b.location(address: 0x4005d0)
        let getMany = b.location([("demo/store.(*DB).GetMany", 80)])
        let getOne = b.location([("demo/store.(*DB).getOne", 125)])
        let getL = [Label(key: "handler", string: "/get")]
        let putL = [Label(key: "handler", string: "/put"), Label(key: "bytes", number: 512, unit: "bytes")]
        let p = info.period

        var tx = StreamEncoder(stream: 1, info: info)
        var rx = StreamDecoder()
        // Window 1: keyframe.
        try tx.ingest(b.profile([
            ([main, serve, handleInlined], [3, 3 * p], getL),
            ([main, serve, handle, get], [5, 5 * p], getL),
            ([main, serve, handle, put, malloc], [2, 2 * p + 1234], putL),
            ([main, unknown], [1, p], []),
        ]), mode: .delta)
        let w1 = tx.nextWindow(timeNanos: Self.t0, durationNanos: Self.tenSeconds)
        let d1 = try rx.decode(w1.payload)
        #expect(d1.state == tx.state)
        tx.acknowledge(seq: 1)
        try add("demo-1", w1.payload, after: [], decoded: d1, rx: rx, note: "stream 1 \"demo\" (cpu), window 1: keyframe")
        try addSnappy("demo-1", w1.payload, after: [], decoded: d1, rx: rx)

        // Window 2: delta against 1. New stacks extend base stacks and each other.
        try tx.ingest(b.profile([
            ([main, serve, handle, get], [4, 4 * p], getL),
            ([main, serve, handle, get, memmove], [2, 2 * p], getL),
            ([main, serve, handle, get, memmove, malloc], [1, p], getL),
            ([main, serve, handle, getMany, getOne, get], [6, 6 * p], getL),
            ([main, serve, handle, getMany, getOne, get, memmove], [1, p], getL),
            ([main, serve, handle, put, malloc, memmove], [1, p], [Label(key: "handler", string: "/put"), Label(key: "bytes", number: 1024, unit: "bytes")]),
        ]), mode: .delta)
        let w2 = tx.nextWindow(timeNanos: Self.t0 + Self.tenSeconds, durationNanos: Self.tenSeconds)
        let d2 = try rx.decode(w2.payload)
        #expect(d2.state == tx.state)
        try add("demo-2", w2.payload, after: ["demo-1"], decoded: d2, rx: rx,
                note: "stream 1 \"demo\", window 2: delta against window 1 (new stacks with templates, front-coded strings, value masks, predictor 1)")
        // The acknowledgement of window 2 is lost: window 3 is again a delta against 1.

        // Window 3: delta against 1.
        try tx.ingest(b.profile([
            ([main, serve, handleInlined], [2, 2 * p], getL),
            ([main, unknown], [7, 7 * p - 5], []),
            ([main, serve, handleInlined, malloc], [1, p], getL),
        ]), mode: .delta)
        let w3 = tx.nextWindow(timeNanos: Self.t0 + 2 * Self.tenSeconds, durationNanos: Self.tenSeconds)
        let d3 = try rx.decode(w3.payload)
        #expect(d3.state == tx.state)
        try add("demo-3", w3.payload, after: ["demo-1", "demo-2"], decoded: d3, rx: rx,
                note: "stream 1 \"demo\", window 3: delta against window 1 (the receiver holds windows 1 and 2)")
    }

    /// Stream 2 "heap": four columns (two counters, two gauges), snapshots; window 2
    /// removes a stack and uses predictors 2/3.
    mutating func heap() throws {
        let columns = [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
                       ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes")]
        let info = StreamInfo(service: "demo", profileType: "heap", columns: columns, columnKinds: StreamInfo.goColumnKinds(columns),
                              periodType: ValueType(type: "space", unit: "bytes"), period: 524_288, defaultSampleType: "inuse_space")
        var b = ProfileBuilder(columns: columns, period: info.period)
        b.function("main.main", system: "main.main", file: "demo/main.go", start: 10)
        b.function("demo/cache.(*LRU).Add", system: "demo/cache.(*LRU).Add", file: "demo/cache/lru.go", start: 20)
        b.function("demo/cache.newEntry", system: "demo/cache.newEntry", file: "demo/cache/entry.go", start: 5)
        b.function("bytes.growSlice", system: "bytes.growSlice", file: "bytes/buffer.go", start: 229)
        b.function("encoding/json.Marshal", system: "encoding/json.Marshal", file: "encoding/json/encode.go", start: 158)
        let main = b.location([("main.main", 20)])
        let add = b.location([("demo/cache.newEntry", 7), ("demo/cache.(*LRU).Add", 31)])
        let grow = b.location([("bytes.growSlice", 249)])
        let json = b.location([("encoding/json.Marshal", 160)])
        let add2 = b.location([("demo/cache.(*LRU).Add", 40)])

        var tx = StreamEncoder(stream: 2, info: info)
        var rx = StreamDecoder()
        try tx.ingest(b.profile([
            ([main, add], [10, 640, 4, 256], []),
            ([main, add, grow], [20, 20480, 20, 20480], []),
            ([main, json], [5, 160, 1, 32], []),
            ([main, json, grow], [7, 896, 7, 896], []),
            ([main, add2], [3, 300, 3, 300], []),
        ]), mode: .snapshot)
        let w1 = tx.nextWindow(timeNanos: Self.t0, durationNanos: Self.tenSeconds)
        let d1 = try rx.decode(w1.payload)
        #expect(d1.state == tx.state)
        tx.acknowledge(seq: 1)
        try self.add("heap-1", w1.payload, after: [], decoded: d1, rx: rx, note: "stream 2 \"demo\" (heap: 2 counter and 2 gauge columns), window 1: keyframe")
        try tx.ingest(b.profile([
            ([main, add], [210, 13440, 204, 13056], []),
            ([main, add, grow], [220, 225_280, 220, 225_280], []),
            ([main, json, grow], [7, 896, 7, 896], []),
            ([main, add2], [83, 8300, 83, 8300], []),
            ([main, add2, grow], [70, 3360, 70, 3360], []),
        ]), mode: .snapshot)
        let w2 = tx.nextWindow(timeNanos: Self.t0 + Self.tenSeconds, durationNanos: Self.tenSeconds)
        let d2 = try rx.decode(w2.payload)
        #expect(d2.state == tx.state)
        try self.add("heap-2", w2.payload, after: ["heap-1"], decoded: d2, rx: rx,
                     note: "stream 2 \"demo\" (heap), window 2: delta against window 1 with a removed stack and predictors")
    }

    /// Stream 3: a keyframe and a delta under 8-bit content ids, so collision salts appear.
    mutating func collision() throws {
        let hasher = ContentHasher(bits: 8)
        let info = StreamInfo(service: "demo", profileType: "cpu", columns: [FoldedReader.valueType], columnKinds: [.counter])
        var tx = StreamEncoder(stream: 3, info: info, hasher: hasher)
        var rx = StreamDecoder(hasher: hasher)
        var text = ""
        for i in 0..<24 { text += "main;work\(i % 5).run;leaf\(i).run \(i + 1)\n" }
        try tx.ingest(try foldedProfile(text), mode: .snapshot)
        let w1 = tx.nextWindow(timeNanos: Self.t0, durationNanos: Self.tenSeconds)
        let d1 = try rx.decode(w1.payload)
        #expect(d1.state == tx.state)
        tx.acknowledge(seq: 1)
        try add("collision-1", w1.payload, after: [], decoded: d1, rx: rx,
                note: "stream 3 (8-bit content ids: decode with a hash width of 8 bits), window 1: keyframe with collision salts")
        text += "main;work1.run;leaf99.run 5\nmain;work2.run;leaf3.run 2\n"
        try tx.ingest(try foldedProfile(text), mode: .snapshot)
        let w2 = tx.nextWindow(timeNanos: Self.t0 + Self.tenSeconds, durationNanos: Self.tenSeconds)
        let d2 = try rx.decode(w2.payload)
        #expect(d2.state == tx.state)
        try add("collision-2", w2.payload, after: ["collision-1"], decoded: d2, rx: rx,
                note: "stream 3 (8-bit content ids), window 2: delta against window 1")
    }

    /// Stream 4 "bulk": a keyframe large enough for several symbols, sent as datagrams.
    mutating func bulk() throws {
        let info = StreamInfo(service: "bulk", profileType: "cpu", columns: [FoldedReader.valueType], columnKinds: [.counter])
        var rng = SplitMix64(state: 2024)
        func word() -> String { String((0..<12).map { _ in "0123456789abcdef".randomElement(using: &rng)! }) }
        var text = ""
        for i in 0..<20 { text += "main;svc\(i % 3).\(word());pkg.\(word());leaf.\(word()) \(i + 1)\n" }
        var tx = StreamEncoder(stream: 4, info: info)
        try tx.ingest(try foldedProfile(text), mode: .snapshot)
        let w = tx.nextWindow(timeNanos: Self.t0, durationNanos: Self.tenSeconds)
        var rx = StreamDecoder()
        let d = try rx.decode(w.payload)
        #expect(d.state == tx.state)
        let compressed = Snappy.compress(w.payload)
        let config = try FrameConfig(maxDatagram: 576)
        let address = WindowAddress(stream: 4, seq: 1)
        var out = try OutgoingWindow(address: address, compressed: compressed, config: config)
        var pn: UInt64 = 0
        let datagrams = out.initialDatagrams(lossRate: 0.12, config: config, connectionID: 0x0102_0304, packetNumber: &pn, protection: NullProtection())
        let layout = out.layout
        bulkSymbols = (layout.sourceCount(block: 0), datagrams.count - layout.sourceSymbols)
        // A receiver that lost the dropped datagrams rebuilds the window from parity.
        var r = Reassembler()
        var got: [UInt8]?
        for (i, d) in datagrams.enumerated() where !dropped.contains(i) {
            if case .window(_, let bytes, _) = r.receive(datagram: d, protection: NullProtection()) { got = bytes }
        }
        #expect(got == compressed)

        // What each dropped line holds, from its header (k is derived, §6.2).
        let droppedRoles = try dropped.map { i -> String in
            let h = try DatagramHeader.parse(datagrams[i])
            return "\(Int(h.symbolIndex) < h.k ? "source" : "parity") \(h.symbolIndex)"
        }.joined(separator: ", ")
        var hex = """
            # FlameWire v1 test vector: bulk-1.datagrams.hex
            # The DATA datagrams of one window (stream 4 \"bulk\", seq 1, a keyframe): NullProtection (symbol in
            # clear, 16 zero tag bytes), connection id 0x01020304 (u32), MAX_DATAGRAM 576, parity for loss 0.12.
            # One datagram per non-comment line. The compressed window (\(compressed.count) bytes) is snappy-compressed
            # \(w.payload.count) bytes of Window protobuf. Decoders must drop the datagrams on lines \(dropped.map(String.init).joined(separator: ", "))
            # (0-based; symbols \(droppedRoles)) and rebuild the block from the rest. Expected: bulk-1.datagrams.expected.txt.

            """
        var expected = ""
        for (i, d) in datagrams.enumerated() {
            let h = try DatagramHeader.parse(d)
            let role = Int(h.symbolIndex) < Int(h.k) ? "source" : "parity"
            hex += "# datagram \(i): block \(h.blockIndex) of \(h.blockCount), symbol \(h.symbolIndex) (\(role)), packet \(h.packetNumber), \(d.count) bytes\n"
            hex += Self.hex(d) + "\n"
            expected += "datagram \(i) version=1 type=1 connection=\(Self.hex64(UInt64(h.connectionID))) packet=\(h.packetNumber) stream=\(h.stream) seq=\(h.seq) block=\(h.blockIndex) blocks=\(h.blockCount) k=\(h.k) index=\(h.symbolIndex) symbol_size=\(h.symbolSize) length=\(h.windowLength)\n"
        }
        expected += "compressed \(compressed.count)\n"
        expected += Self.hexLines(compressed)
        expected += Self.render(d, rx.dictionary)
        files.append(("bulk-1.datagrams.hex", hex))
        files.append(("bulk-1.datagrams.expected.txt", expected))
    }

    // MARK: Files

    mutating func add(_ name: String, _ payload: [UInt8], after: [String], decoded: DecodedWindow, rx: StreamDecoder, note: String) throws {
        windows[name] = payload
        let w = try Flamewire_Wire_Window(serializedBytes: payload)
        var text = "# FlameWire v1 test vector: \(name).window.hex\n# \(note).\n"
        text += "# A Window protobuf message (not compressed), \(payload.count) bytes: stream \(w.stream), seq \(w.seq), base_seq \(w.baseSeq), epoch \(w.epoch).\n"
        text += "# \(Self.summary(w)).\n"
        let order = (after + [name]).map { $0 + ".window.hex" }.joined(separator: ", ")
        text += "# Decode \(order) in order with one receiver; expected state: \(name).expected.txt.\n"
        text += Self.hexLines(payload)
        files.append(("\(name).window.hex", text))
        files.append(("\(name).expected.txt", Self.render(decoded, rx.dictionary)))
    }

    /// Edge cases of protobuf parsing (SPEC.md §5), built by appending fields to the bytes
    /// of demo-1 (a keyframe, decoded alone). Protobuf concatenates repeated fields, merges
    /// repeated message fields and ignores unknown fields and known fields with another
    /// wire type.
    mutating func edges() throws {
        let demo1 = windows["demo-1"]!
        var rx = StreamDecoder()
        let plain = Self.render(try rx.decode(demo1), rx.dictionary)
        func tag(_ field: UInt64, _ wireType: UInt64) -> [UInt8] { Self.varint(field << 3 | wireType) }
        func lengthDelimited(_ field: UInt64, _ body: [UInt8]) -> [UInt8] { tag(field, 2) + Self.varint(UInt64(body.count)) + body }
        let ignored: [UInt8] =
            tag(19, 0) + [0x05]                                         // unknown varint
            + tag(20, 1) + [1, 2, 3, 4, 5, 6, 7, 8]                     // unknown fixed64
            + lengthDelimited(21, Array("abc".utf8))                    // unknown length-delimited
            + tag(22, 3) + tag(1, 0) + [0x05] + tag(22, 4)              // unknown group
            + tag(23, 5) + [1, 2, 3, 4]                                 // unknown fixed32
            + tag(1, 5) + [9, 0, 0, 0]                                  // stream (varint) as fixed32
            + tag(5, 0) + [0x07]                                        // info (message) as varint
            + tag(8, 0) + [0x01]                                        // strings (string) as varint
            + tag(11, 1) + [1, 2, 3, 4, 5, 6, 7, 8]                     // stacks (packed varints) as fixed64
        try addEdge("edge-ignored-fields", demo1 + ignored,
                    note: "demo-1.window.hex followed by unknown fields of every wire type (a group included) and by known fields with another wire type (stream as fixed32, info as varint, strings as varint, stacks as fixed64): all are ignored, the result is demo-1's")
        // A second `info` merges into the first: its label "instance" repeats the key, and
        // the later value counts (stream labels are a map).
        let label = lengthDelimited(1, Array("instance".utf8)) + lengthDelimited(2, Array("demo-2".utf8))
        try addEdge("edge-labels-merged", demo1 + lengthDelimited(5, lengthDelimited(3, label)),
                    note: "demo-1.window.hex followed by a second info field holding only the stream label instance=demo-2: the two info messages merge, and the repeated key keeps its last value")
        try addEdge("edge-invalid-utf8", demo1 + lengthDelimited(8, [0xC3, 0x28]),
                    note: "demo-1.window.hex followed by one more string that is not UTF-8 (C3 28): the window must be refused")
        try addEdge("edge-field-zero", demo1 + lengthDelimited(0, []),
                    note: "demo-1.window.hex followed by a field with number 0: not protobuf, the window must be refused")
        // uint32 fields keep the low 32 bits of their varint (protobuf semantics): stream
        // 2^32 + 7 is stream 7, epoch 2^32 + 1 is epoch 1.
        try addEdge("edge-uint32-truncation", demo1 + tag(1, 0) + Self.varint(1 << 32 | 7) + tag(4, 0) + Self.varint(1 << 32 | 1),
                    note: "demo-1.window.hex followed by stream = 2^32 + 7 and epoch = 2^32 + 1 as varints: uint32 fields keep the low 32 bits, so the window is stream 7, epoch 1 (the last occurrence of a singular field counts)")
        // Nesting: the Window is level 1, each group one more; level 101 is malformed.
        func groups(_ n: Int) -> [UInt8] {
            Array(Array(repeating: tag(22, 3), count: n).joined()) + Array(Array(repeating: tag(22, 4), count: n).joined())
        }
        try addEdge("edge-nesting-99", demo1 + groups(99),
                    note: "demo-1.window.hex followed by 99 unknown groups (field 22) nested in each other: levels 2 to 100 under the Window (level 1), within the limit of 100, so they are skipped and the result is demo-1's")
        try addEdge("edge-nesting-100", demo1 + groups(100),
                    note: "demo-1.window.hex followed by 100 unknown groups nested in each other: the innermost is level 101, beyond the nesting limit of 100, so the window must be refused")
        #expect(files.first { $0.name == "edge-uint32-truncation.expected.txt" }?.text.hasPrefix("window stream=7 seq=1 base=0 epoch=1 ") == true)
        #expect(files.first { $0.name == "edge-nesting-99.expected.txt" }?.text == plain)
        #expect(files.first { $0.name == "edge-nesting-100.expected.txt" }?.text == "rejected\n")
        #expect(files.first { $0.name == "edge-ignored-fields.expected.txt" }?.text == plain)
        #expect(files.first { $0.name == "edge-invalid-utf8.expected.txt" }?.text == "rejected\n")
        #expect(files.first { $0.name == "edge-field-zero.expected.txt" }?.text == "rejected\n")
        #expect(files.first { $0.name == "edge-labels-merged.expected.txt" }?.text.contains("labels={instance=demo-2}") == true)
    }

    /// An edge-case window decoded alone: its expected file is the decoded state, or
    /// "rejected" when a receiver must refuse it.
    mutating func addEdge(_ name: String, _ payload: [UInt8], note: String) throws {
        var text = "# FlameWire v1 test vector: \(name).window.hex\n"
        for line in Self.wrap(note + ".", width: 88) { text += "# \(line)\n" }
        text += "# \(payload.count) bytes; decode alone with a fresh receiver; expected: \(name).expected.txt.\n"
        text += Self.hexLines(payload)
        files.append(("\(name).window.hex", text))
        var rx = StreamDecoder()
        let expected: String
        do { expected = Self.render(try rx.decode(payload), rx.dictionary) } catch { expected = "rejected\n" }
        files.append(("\(name).expected.txt", expected))
    }

    static func varint(_ v: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var x = v
        while x >= 0x80 { out.append(UInt8(truncatingIfNeeded: x) | 0x80); x >>= 7 }
        out.append(UInt8(x))
        return out
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    mutating func addSnappy(_ name: String, _ payload: [UInt8], after: [String], decoded: DecodedWindow, rx: StreamDecoder) throws {
        let c = Snappy.compress(payload)
        #expect(try Snappy.decompress(c, limit: WireLimits.maxPayload) == payload)
        var text = "# FlameWire v1 test vector: \(name).snappy.hex\n"
        text += "# \(name).window.hex compressed as one raw snappy block (SPEC.md §6.1): \(c.count) bytes, \(payload.count) uncompressed.\n"
        let order = (after.map { $0 + ".window.hex" } + ["\(name).snappy.hex (uncompressed)"]).joined(separator: ", ")
        text += "# Decode \(order) in order; expected state: \(name).snappy.expected.txt.\n"
        text += Self.hexLines(c)
        files.append(("\(name).snappy.hex", text))
        files.append(("\(name).snappy.expected.txt", Self.render(decoded, rx.dictionary)))
    }

    static func summary(_ w: Flamewire_Wire_Window) -> String {
        let fronted = stride(from: 1, to: w.stringPrefixes.count, by: 2).filter { w.stringPrefixes[$0] > 0 }.count
        let kinds = templateKinds(w)
        let k = (0...2).map { kind in "\(kinds.filter { $0 == kind }.count)×\(kind)" }.joined(separator: " ")
        return "Info \(w.hasInfo ? "present" : "absent"); strings \(w.strings.count) (\(fronted) front-coded), functions \(w.functions.count / 4), "
            + "locations \(lineCounts(w).count), stacks \(kinds.count) (template kinds \(k)), salt pairs \(w.salts.count / 2); "
            + "changed \(w.changed.count), values \(w.values.count), value_masks \(w.valueMasks.count) bytes, "
            + "predictors [\(w.predictors.map(String.init).joined(separator: ", "))], removed \(w.removed.count)"
    }

    /// The template kind of every stack definition (walks the grammar of SPEC.md §5.3).
    static func templateKinds(_ w: Flamewire_Wire_Window) -> [UInt64] {
        var out: [UInt64] = []
        var i = 0
        let s = w.stacks
        while i < s.count {
            let head = s[i]; i += 1
            let kind = head & 3
            out.append(kind)
            if kind == 2 { i += 1 }
            if kind != 0 { i += 1 }
            i += Int(head >> 3)
            if head & 4 == 0 {
                let n = Int(s[i]); i += 1
                for _ in 0..<n { i += s[i + 1] == 0 ? 3 : 4 }
            }
        }
        return out
    }

    static func lineCounts(_ w: Flamewire_Wire_Window) -> [Int] {
        var out: [Int] = []
        var i = 0
        while i < w.locations.count {
            let head = w.locations[i]
            if head & 1 == 1 {  // one line, no address: head, line
                out.append(1)
                i += 2
            } else {  // (n << 2) | (has_address << 1), n × (function, line), address?
                let n = Int(head >> 2)
                out.append(n)
                i += 1 + 2 * n + Int(head >> 1 & 1)
            }
        }
        return out
    }

    // MARK: Text forms

    static func hex(_ b: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for x in b { s.append(digits[Int(x >> 4)]); s.append(digits[Int(x & 15)]) }
        return s
    }

    static func hexLines(_ b: [UInt8]) -> String {
        stride(from: 0, to: b.count, by: 32).map { hex(b[$0..<min($0 + 32, b.count)]) + "\n" }.joined()
    }

    static func hex64(_ v: UInt64) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }

    /// The decoded state as text: the form `Protocol/vectors/README.md` specifies and the
    /// C decoder prints.
    static func render(_ w: DecodedWindow, _ d: WireDictionary) -> String {
        let i = w.info
        var out = "window stream=\(w.header.stream) seq=\(w.header.seq) base=\(w.header.baseSeq) epoch=\(w.header.epoch) "
            + "time=\(w.header.timeNanos) duration=\(w.header.durationNanos)\n"
        // Compare and sort strings by their UTF-8 bytes (Swift's String comparison is
        // Unicode-aware; the C decoder's is bytewise).
        let labels = i.labels.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { "\($0)=\(i.labels[$0]!)" }.joined(separator: ",")
        let columns = zip(i.columns, i.columnKinds).map { "\($0.type)/\($0.unit):\($1 == .counter ? "counter" : "gauge")" }.joined(separator: ",")
        let period = i.periodType.map { "\($0.type)/\($0.unit)" } ?? "-"
        out += "info service=\(i.service) profile_type=\(i.profileType) labels={\(labels)} columns=\(columns) "
            + "period_type=\(period) period=\(i.period) default_sample_type=\(i.defaultSampleType)\n"
        out += "dictionary strings=\(d.strings.count) functions=\(d.functions.count) locations=\(d.locations.count) stacks=\(d.stacks.count)\n"
        out += "state stacks=\(w.state.count)\n"
        func str(_ id: EntryID) -> String { d.strings[id] ?? "?" }
        var lines: [[UInt8]] = []
        for (id, values) in w.state.byStack {
            let s = d.stacks[id]!
            var frames: [String] = []
            for l in s.locations {
                let loc = d.locations[l]!
                if loc.lines.isEmpty { frames.append("0x" + String(loc.address, radix: 16)); continue }
                for line in loc.lines.reversed() {
                    let f = d.functions[line.function]!
                    let name = str(f.name), system = str(f.systemName)
                    let same = Array(system.utf8) == Array(name.utf8)
                    frames.append(name + (same ? "" : "[\(system)]") + "@\(str(f.filename))#\(f.startLine):\(line.line)")
                }
            }
            let labels = s.labels.map { l -> String in
                switch l.value {
                case .string(let v): return "\(str(l.key))=\(str(v))"
                case .number(let n, let unit): return "\(str(l.key))=#\(n)[\(str(unit))]"
                }
            }
            let line = "\(hex64(id)) \(frames.isEmpty ? "-" : frames.joined(separator: ";")) {\(labels.joined(separator: ","))} "
                + values.map(String.init).joined(separator: " ")
            lines.append(Array(line.utf8))
        }
        lines.sort { $0.lexicographicallyPrecedes($1) }
        for l in lines { out += String(decoding: l, as: UTF8.self) + "\n" }
        return out
    }
}

/// Small profiles with named functions, inlined locations and labels.
struct ProfileBuilder {
    var columns: [ValueType]
    var period: Int64
    var functions: [Function] = []
    var functionIndex: [String: Int] = [:]
    var locations: [Location] = []

    init(columns: [ValueType], period: Int64) {
        self.columns = columns
        self.period = period
    }

    mutating func function(_ name: String, system: String, file: String, start: Int64) {
        functionIndex[name] = functions.count
        functions.append(Function(name: name, systemName: system, filename: file, startLine: start))
    }

    /// A location with lines innermost first.
    mutating func location(_ lines: [(String, Int64)]) -> Int {
        locations.append(Location(address: 0, lines: lines.map { Line(function: functionIndex[$0.0]!, line: $0.1) }))
        return locations.count - 1
    }

    mutating func location(address: UInt64) -> Int {
        locations.append(Location(address: address, lines: []))
        return locations.count - 1
    }

    /// Samples given root first.
    func profile(_ samples: [(rootFirst: [Int], values: [Int64], labels: [Label])]) -> Profile {
        Profile(sampleTypes: columns, period: period, functions: functions, locations: locations,
                samples: samples.map { Sample(locations: $0.rootFirst.reversed(), values: $0.values, labels: $0.labels) })
    }
}

// MARK: Hand-built windows

/// Windows built field by field for rules the encoder does not exercise on its own
/// (SPEC.md §5.3–§5.5), and datagrams whose address differs from their window's (§6.5).
/// Each delta is against demo-1 (stream 1, window 1) and is decoded after it; the decoded
/// states are checked against what the spec says, stack by stack, before they are written.
extension VectorSet {
    mutating func handBuilt() throws {
        let demo1 = windows["demo-1"]!
        var base = StreamDecoder()
        let d1 = try base.decode(demo1)
        let dict = base.dictionary
        let t = try BaseTables(state: d1.state, dictionary: dict, forEncoding: false)
        let p: Int64 = 10_000_000
        // demo-1's locations by a short name: the outermost line's function and line.
        let names = ["main": "main.main:14", "serve": "demo/server.(*Server).Serve:47",
                     "handleInlined": "demo/server.(*Server).handle:92", "handle": "demo/server.(*Server).handle:101",
                     "get": "demo/store.(*DB).Get:33", "put": "demo/store.(*DB).Put:60", "malloc": "runtime.mallocgc:1010",
                     "unknown": "0x4005d0"]
        func locationID(_ n: String) -> EntryID { t.locations.first { Self.locationName($0, dict) == names[n]! }! }
        /// Plain location ref (rank in L) of a base location.
        func L(_ n: String) -> UInt64 { UInt64(t.locations.firstIndex(of: locationID(n))!) }
        /// Plain function ref (rank in F).
        func F(_ n: String) -> UInt64 { UInt64(t.functions.firstIndex { dict.strings[dict.functions[$0]!.name] == n }!) }
        /// String ref (1 + rank in T).
        func T(_ s: String) -> UInt64 { UInt64(t.strings.firstIndex { dict.strings[$0] == s }! + 1) }
        /// Stack ref (rank in S) of the base stack with these locations.
        func S(_ path: [String]) -> UInt64 {
            UInt64(t.stacks.firstIndex { dict.stacks[$0]!.locations == path.map(locationID) }!)
        }
        func start(_ n: String) -> Int64 { dict.functions[t.functions[Int(F(n))]]!.startLine }
        let z = ZigZag.encode
        func delta() -> Flamewire_Wire_Window {
            var w = Flamewire_Wire_Window()
            w.stream = 1
            w.seq = 2
            w.baseSeq = 1
            w.epoch = 1
            w.timeNanos = Self.t0 + Self.tenSeconds
            w.durationNanos = Self.tenSeconds
            return w
        }
        let getL = "{handler=/get}", putL = "{bytes=#512[bytes],handler=/put}"
        let sBase = UInt64(t.stacks.count)

        // (a) frame_context with child codes: demo-2 sets it but uses only fresh and plain codes.
        var w = delta()
        w.frameContext = true
        func child(_ parent: String?, _ c: String) -> UInt64 {
            UInt64(2 * Self.children(parent.map(locationID), t.stacks, dict).firstIndex(of: locationID(c))! + 1)
        }
        w.stacks = [3 << 3 | 0, child(nil, "main"), child("main", "serve"), child("serve", "handle"), 0]  // no template, no labels
        w.stacks += [2 << 3 | 4 | 2, S(["main", "serve", "handle", "get"]), 3, child("handle", "put"), child("put", "malloc")]
        w.stacks += [1 << 3 | 4 | 1, 5, 2 * (L("get") + 1)]  // previous stack, keep 5, then get as a plain (even) code
        w.values = [1, p, 2, 2 * p, 3, 3 * p]
        try addHand("context-1", w, expect: [
            "main;serve;handle {}": [1, p],
            "main;serve;handle;put;malloc \(getL)": [2, 2 * p],
            "main;serve;handle;put;malloc;get \(getL)": [3, 3 * p],
        ], note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 with frame_context whose stacks name locations as children in the base's calling context (odd codes: a root, then children of the previous location, also after a kept template prefix) and as a plain ref (even code)")

        // (b) Locations defined in the window whose lines name base functions by rank.
        w = delta()
        w.locations = [(F("main.main") + 1) << 1 | 1, z(99 - start("main.main"))]  // one line, no address
        w.locations += [2 << 2, F("demo/store.(*DB).Get") + 1, z(31 - start("demo/store.(*DB).Get")),
                        F("demo/server.(*Server).handle") + 1, z(95 - start("demo/server.(*Server).handle"))]  // 2 lines
        w.stacks = [1 << 3 | 2, S(["main", "unknown"]), 1, 0, 0]  // [main, new location 0], no labels
        w.stacks += [1 << 3 | 4 | 2, S(["main", "serve", "handle", "get"]), 2, 0]  // [main, serve, new location 1], its labels
        w.values = [2, 2 * p, 3, 3 * p]
        try addHand("baseref-1", w, expect: [
            "main.main:14;main.main:99 {}": [2, 2 * p],
            "main.main:14;demo/server.(*Server).Serve:47;demo/server.(*Server).handle:95 \(getL)": [3, 3 * p],
        ], note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 defining two locations whose lines name base functions by their rank in F (fresh code rank + 1): main.main at line 99, and demo/store.(*DB).Get line 31 inlined into demo/server.(*Server).handle line 95")
        // (c) Template kind 2 naming an earlier definition of this window (not the previous one).
        w = delta()
        w.stacks = [3 << 3 | 0, L("main") + 1, L("serve") + 1, L("handleInlined") + 1, 1, T("handler"), 0, T("/put")]
        w.stacks += [0 << 3 | 2, S(["main", "unknown"]), 2, 1, T("handler"), 0, T("/get")]
        w.stacks += [1 << 3 | 4 | 2, sBase + 0, 2, L("get") + 1]  // template: definition 0; keep [main, serve]
        w.values = [1, p, 2, 2 * p, 3, 3 * p]
        try addHand("template-1", w, expect: [
            "main;serve;handleInlined {handler=/put}": [1, p],
            "main;unknown {handler=/get}": [2, 2 * p],
            "main;serve;get {handler=/put}": [3, 3 * p],
        ], note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 whose third stack has template kind 2 with the ref |S| + 0 of the window's first stack definition (keep 2, its labels)")
        // template-1 with frame_context sent as a 10-byte varint whose only set bit is bit 64:
        // bits beyond the 64th are dropped, so it is false and nothing changes.
        var bytes: [UInt8] = try w.serializedBytes()
        bytes += Self.varint(19 << 3) + [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]
        try addHand("varint-bits-1", bytes, expectSameAs: "template-1",
                    note: "template-1.window.hex followed by frame_context as a 10-byte varint (80 x 9, 02) whose only set bit is bit 64: a varint keeps its low 64 bits, so the value is 0 (false) and the window decodes as template-1 (read as true, its location codes would name other locations)")

        // A template ref may not name the stack being defined or a later one.
        var bad = w
        bad.stacks = [0 << 3 | 2, S(["main", "unknown"]), 2, 0]
        bad.stacks += [0 << 3 | 4 | 2, sBase + 1, 1]  // names itself
        bad.values = [1, p, 2, 2 * p]
        try addHand("template-2", try bad.serializedBytes(), rejected: true,
                    note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 whose second stack definition names itself (stack ref |S| + 1) as its template: only earlier definitions may be named, the window must be refused (badReference)")

        // (d) A definition of a stack the state already holds adds its row to that stack's
        // values; so does a second definition of the same new stack. Predictor 1: for a
        // definition row the pair is never the base values, even for a base stack.
        let x = ["main", "serve", "handle", "put", "malloc"]
        w = delta()
        w.changed = [S(x)]
        w.predictors = [0, 1]
        w.stacks = [0 << 3 | 4 | 2, S(x), 5]  // definition 0: the base stack x again
        w.stacks += [0 << 3 | 4 | 2, S(x), 4]  // definition 1: y = x without its leaf, x's labels
        w.stacks += [0 << 3 | 4 | 1, 4]  // definition 2: y again
        // Residuals of column 1 (§5.6): delta − delta[0] · y / x, truncated toward zero.
        func residual(_ d0: Int64, _ d1: Int64, _ px: Int64, _ py: Int64) -> Int64 { d1 - d0 * py / px }
        let xBase: [Int64] = [2, 2 * p + 1234]
        w.values = [2, residual(2, 2 * p, xBase[0], xBase[1])]  // changed x: pair = x's base values
        w.values += [1, residual(1, p, 4, 4 * p + 1234)]  // definition 0 (x): pair = the latest row, x after its changed row
        w.values += [3, residual(3, 3 * p, 5, 5 * p + 1234)]  // definition 1 (y): pair = x after definition 0
        w.values += [1, residual(1, p, 3, 3 * p)]  // definition 2 (y): pair = y after definition 1
        try addHand("redefine-1", w, expect: [
            "main;serve;handleInlined \(getL)": [3, 3 * p],
            "main;serve;handle;get \(getL)": [5, 5 * p],
            "main;serve;handle;put;malloc \(putL)": [5, 5 * p + 1234],
            "main;serve;handle;put \(putL)": [4, 4 * p],
            "main;unknown {}": [1, p],
        ], note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 that changes base stack main;serve;handle;put;malloc and defines it again (template kind 2, keep all, same labels): both rows add to its values; then defines a new stack twice (the second a template kind 1 copy): both rows add. Predictor 1 on column 1; a definition row never takes its pair from base values")
        #expect(w.values[3] == -308, "the definition row of x must not use x's base pair (which would give -617)")

        // §5.4: a base stack removed and defined again in the same window starts from 0.
        w = delta()
        w.removed = [S(["main", "unknown"])]
        w.stacks = [0 << 3 | 4 | 2, S(["main", "unknown"]), 2]
        w.values = [5, 5 * p]
        try addHand("redefine-2", w, expect: [
            "main;serve;handleInlined \(getL)": [3, 3 * p],
            "main;serve;handle;get \(getL)": [5, 5 * p],
            "main;serve;handle;put;malloc \(putL)": [2, 2 * p + 1234],
            "main;unknown {}": [5, 5 * p],
        ], note: "stream 1 \"demo\", window 2 built by hand: a delta against demo-1 that removes base stack main;unknown and defines the same stack again: it stays in the state with the definition row's values alone (its value before the row is 0, not its base value)")

        // (e) Datagrams whose header address differs from the window inside (§6.5).
        let info = StreamInfo(service: "addr", profileType: "cpu", columns: [FoldedReader.valueType], columnKinds: [.counter])
        var tx = StreamEncoder(stream: 5, info: info)
        try tx.ingest(try foldedProfile("main;a 1\nmain;b 2\n"), mode: .snapshot)
        let small = tx.nextWindow(timeNanos: Self.t0, durationNanos: Self.tenSeconds).payload
        // seq is a uint32 field: write its varint as 2^32 + 1 by hand (stream 5, then seq).
        #expect(Array(small.prefix(4)) == [0x08, 0x05, 0x10, 0x01])
        let wrapped = [0x08, 0x05, 0x10, 0x81, 0x80, 0x80, 0x80, 0x10] + small.dropFirst(4)
        try addAddressed("address-1", wrapped, WindowAddress(stream: 5, seq: 1),
                         note: "a keyframe of stream 5 with seq 4294967297 (2^32 + 1) in datagrams addressed to stream 5, seq 1: seq is a uint32 field, so the window is seq 1, the address matches and the window is decoded")
        try addAddressed("address-2", small, WindowAddress(stream: 6, seq: 1),
                         note: "a keyframe of stream 5, seq 1, in datagrams addressed to stream 6, seq 1: the rebuilt window names another stream, so the receiver drops it (addressMismatch)")
        try addAddressed("address-3", small, WindowAddress(stream: 5, seq: 2),
                         note: "a keyframe of stream 5, seq 1, in datagrams addressed to stream 5, seq 2: the rebuilt window has another seq, so the receiver drops it (addressMismatch)")
    }

    /// A hand-built delta decoded after demo-1 with a fresh receiver; `expect` holds every
    /// stack of the new state (`locations {labels}` → values, see `stackKey`).
    mutating func addHand(_ name: String, _ w: Flamewire_Wire_Window, expect: [String: [Int64]], note: String) throws {
        let payload: [UInt8] = try w.serializedBytes()
        var rx = StreamDecoder()
        _ = try rx.decode(windows["demo-1"]!)
        let d = try rx.decode(payload)
        var got: [String: [Int64]] = [:]
        for (id, values) in d.state.byStack { got[Self.stackKey(id, rx.dictionary)] = Array(values) }
        // Base stacks that `expect` does not list keep their base values.
        var want = expect
        for (id, values) in Self.d1State(rx) where want[Self.stackKey(id, rx.dictionary)] == nil {
            want[Self.stackKey(id, rx.dictionary)] = values
        }
        #expect(got == want, "\(name): decoded \(got)")
        try add(name, payload, after: ["demo-1"], decoded: d, rx: rx, note: note)
    }

    /// A hand-built window given as bytes: its expected file is the one of `expectSameAs`,
    /// or "rejected".
    mutating func addHand(_ name: String, _ payload: [UInt8], expectSameAs: String? = nil,
                          rejected: Bool = false, note: String) throws {
        var rx = StreamDecoder()
        _ = try rx.decode(windows["demo-1"]!)
        var text = "# FlameWire v1 test vector: \(name).window.hex\n"
        for line in Self.wrap(note + ".", width: 88) { text += "# \(line)\n" }
        text += "# \(payload.count) bytes; decode demo-1.window.hex, \(name).window.hex in order with one receiver; expected: \(name).expected.txt.\n"
        text += Self.hexLines(payload)
        let expected: String
        do { expected = Self.render(try rx.decode(payload), rx.dictionary) } catch { expected = "rejected\n" }
        if rejected { #expect(expected == "rejected\n", "\(name) must be refused") }
        if let other = expectSameAs { #expect(expected == files.first { $0.name == "\(other).expected.txt" }?.text, "\(name) decodes as \(other)") }
        windows[name] = payload
        files.append(("\(name).window.hex", text))
        files.append(("\(name).expected.txt", expected))
    }

    /// demo-1's state as a receiver that decoded it holds it.
    static func d1State(_ rx: StreamDecoder) -> [(EntryID, [Int64])] {
        guard let s = rx.state(seq: 1) else { return [] }
        return s.byStack.map { ($0.0, Array($0.1)) }
    }

    /// The datagrams of one window sent to `address` (NullProtection, MAX_DATAGRAM 576,
    /// parity for loss 0.12). The expected file is bulk-1's form; when the rebuilt window's
    /// stream or seq differ from the address, it ends with the drop instead
    /// of a decoded state.
    mutating func addAddressed(_ name: String, _ payload: [UInt8], _ address: WindowAddress, note: String) throws {
        let compressed = Snappy.compress(payload)
        let config = try FrameConfig(maxDatagram: 576)
        var out = try OutgoingWindow(address: address, compressed: compressed, config: config)
        var pn: UInt64 = 0
        let datagrams = out.initialDatagrams(lossRate: 0.12, config: config, connectionID: 0x0102_0304, packetNumber: &pn,
                                             protection: NullProtection())
        // The receive path the collector uses decides: reassembly, unsnappy, the address check, decoding.
        var rx = WindowReceiver()
        var last: ReceiveEvent?
        for d in datagrams {
            let h = try DatagramHeader.parse(d)
            let event = rx.receive(h, symbol: try #require(NullProtection().openData(d, header: h)), at: .zero)
            switch event {
            case .decoded, .rejected: last = event  // what the window's completion did
            case .progress, .duplicate, .dropped: break
            }
        }
        var hex = "# FlameWire v1 test vector: \(name).datagrams.hex\n"
        for line in Self.wrap("The DATA datagrams of one window: " + note + ". NullProtection (symbol in clear, 16 zero tag bytes), connection id 0x01020304, MAX_DATAGRAM 576, parity for loss 0.12; one datagram per non-comment line, none to drop. The compressed window (\(compressed.count) bytes) is snappy-compressed \(payload.count) bytes of Window protobuf. Expected: \(name).datagrams.expected.txt.", width: 100) {
            hex += "# \(line)\n"
        }
        var expected = ""
        for (i, d) in datagrams.enumerated() {
            let h = try DatagramHeader.parse(d)
            let role = Int(h.symbolIndex) < Int(h.k) ? "source" : "parity"
            hex += "# datagram \(i): block \(h.blockIndex) of \(h.blockCount), symbol \(h.symbolIndex) (\(role)), packet \(h.packetNumber), \(d.count) bytes\n"
            hex += Self.hex(d) + "\n"
            expected += "datagram \(i) version=1 type=1 connection=\(Self.hex64(UInt64(h.connectionID))) packet=\(h.packetNumber) stream=\(h.stream) seq=\(h.seq) block=\(h.blockIndex) blocks=\(h.blockCount) k=\(h.k) index=\(h.symbolIndex) symbol_size=\(h.symbolSize) length=\(h.windowLength)\n"
        }
        expected += "compressed \(compressed.count)\n"
        expected += Self.hexLines(compressed)
        // §6.5: the rebuilt window is decompressed and parsed, then its address is checked.
        switch last {
        case .rejected(_, .decode(.addressMismatch(let stream, let seq)), _):
            expected += "dropped addressMismatch: window stream=\(stream) seq=\(seq), datagrams stream=\(address.stream) seq=\(address.seq)\n"
        case .decoded(let w, _, _):
            expected += Self.render(w, try #require(rx.decoder(address.stream)).dictionary)
        default:
            Issue.record("\(name): \(String(describing: last))")
        }
        files.append(("\(name).datagrams.hex", hex))
        files.append(("\(name).datagrams.expected.txt", expected))
    }

    /// A location's short name: its outermost line as function:line, or 0x + its address.
    static func locationName(_ l: EntryID, _ d: WireDictionary) -> String {
        let loc = d.locations[l]!
        guard let outer = loc.lines.last else { return "0x" + String(loc.address, radix: 16) }
        return "\(d.strings[d.functions[outer.function]!.name]!):\(outer.line)"
    }

    /// A stack as `location;location… {labels}`, locations by `locationName`, with demo-1's
    /// location names shortened as in `handBuilt`, labels as the vectors print them.
    static func stackKey(_ id: EntryID, _ d: WireDictionary) -> String {
        let short = ["main.main:14": "main", "demo/server.(*Server).Serve:47": "serve", "demo/server.(*Server).handle:92": "handleInlined",
                     "demo/server.(*Server).handle:101": "handle", "demo/store.(*DB).Get:33": "get", "demo/store.(*DB).Put:60": "put",
                     "runtime.mallocgc:1010": "malloc", "0x4005d0": "unknown"]
        let s = d.stacks[id]!
        let names = s.locations.map { locationName($0, d) }
        // Stacks with a location outside demo-1 keep every name long.
        let path = names.allSatisfy { short[$0] != nil } ? names.map { short[$0]! } : names
        let labels = s.labels.map { l -> String in
            switch l.value {
            case .string(let v): return "\(d.strings[l.key]!)=\(d.strings[v]!)"
            case .number(let n, let unit): return "\(d.strings[l.key]!)=#\(n)[\(d.strings[unit]!)]"
            }
        }
        return path.joined(separator: ";") + " {" + labels.joined(separator: ",") + "}"
    }

    /// children(P) of SPEC.md §5.3 (the roots when `parent` is nil), ascending by id.
    static func children(_ parent: EntryID?, _ stacks: [EntryID], _ d: WireDictionary) -> [EntryID] {
        var out = Set<EntryID>()
        for s in stacks {
            let ls = d.stacks[s]!.locations
            guard let parent else { if let f = ls.first { out.insert(f) }; continue }
            for i in ls.indices.dropFirst() where ls[i - 1] == parent { out.insert(ls[i]) }
        }
        return out.sorted()
    }
}
