// Writes the seed corpora of the wire fuzzers: Tools/fuzz/corpus/{datagram,bundle,fec,window}/, and
// of the session fuzzers: corpus/{control,handshake}/.
//
//   wire-seeds CORPUS_DIR SAMPLES_DIR [VECTORS_DIR]
//
// Run by Tools/fuzz/corpus/make-wire-seeds.sh. Seeds are real encoded windows and their
// datagrams: the fixed stream of WireFuzzSupport, a few Go sample profiles (small ones,
// so seeds stay a few KB), and the protocol test vectors when present; and what crossed
// between the sessions of SessionFuzzSupport (CONTROL payloads, handshake datagrams). Every seed is
// written only when its bytes changed, so re-running leaves git clean; files in the
// directories that it no longer makes are removed.
import Compression
import FEC
import Foundation
import Pprof
import Noise
import Profile
import Session
import SessionFuzzSupport
import WireCodec
import WireFrame
import WireFuzzSupport
import WireLimits

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write("usage: wire-seeds CORPUS_DIR SAMPLES_DIR [VECTORS_DIR]\n".data(using: .utf8)!)
    exit(2)
}
let corpus = URL(fileURLWithPath: args[1])
let samples = URL(fileURLWithPath: args[2])
let vectors = args.count > 3 ? URL(fileURLWithPath: args[3]) : nil
var written = 0, unchanged = 0
var names: [String: Set<String>] = [:]

@MainActor func write(_ dir: String, _ name: String, _ bytes: [UInt8]) throws {
    let d = corpus.appendingPathComponent(dir)
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    names[dir, default: []].insert(name)
    let f = d.appendingPathComponent(name)
    if let old = try? Data(contentsOf: f), [UInt8](old) == bytes { unchanged += 1; return }
    try Data(bytes).write(to: f)
    written += 1
}

/// A deterministic generator for shuffles and payload bytes (xorshift64*).
struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27
        return s &* 0x2545_F491_4F6C_DD1D
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}
var rng = Rng(s: 0x9E37_79B9_7F4A_7C15)

func profile(_ name: String) throws -> Profile {
    try PprofDecoder.decode([UInt8](try Data(contentsOf: samples.appendingPathComponent(name))))
}

/// Keyframe and first delta of a real sample sequence.
func sampleWindows(_ files: [String], type: String) throws -> [[UInt8]] {
    let first = try profile(files[0])
    let info = StreamInfo(service: "sample", profileType: type, columns: first.sampleTypes,
                          columnKinds: StreamInfo.goColumnKinds(first.sampleTypes), periodType: first.periodType,
                          period: first.period, defaultSampleType: first.defaultSampleType ?? "")
    var tx = StreamEncoder(stream: 3, info: info)
    var out: [[UInt8]] = []
    for f in files {
        try tx.ingest(try profile(f), mode: type == "cpu" ? .delta : .snapshot)
        let (h, payload) = tx.nextWindow()
        out.append(payload)
        tx.acknowledge(seq: h.seq)
    }
    return out
}

let fixed = FixedStream.windows()
// The fixed stream's windows must decode as the fuzzers expect, or the seeds are useless.
do {
    var rx = StreamDecoder()
    for (seq, payload) in [(UInt32(1), fixed.keyframe), (2, fixed.deltaOn1), (3, fixed.deltaOn2)] {
        let w = try rx.decode(payload)
        precondition(w.state == fixed.states[seq], "fixed window \(seq) decodes to another state")
    }
    var rx1 = StreamDecoder()
    _ = try rx1.decode(fixed.keyframe)
    let check = try rx1.decode(fixed.check)
    precondition(check.state == fixed.checkState, "the check window decodes to another state")
}
let block = try sampleWindows(["block-001.pb.gz", "block-002.pb.gz"], type: "block")
let mutex = try sampleWindows(["mutex-001.pb.gz"], type: "mutex")
let goroutine = try sampleWindows(["goroutine-001.pb.gz"], type: "goroutine")
let cpu = try sampleWindows(["cpu-01.pb.gz"], type: "cpu")

// MARK: window: mode byte + payload (WindowInput).
try write("window", "fixed-keyframe", WindowInput.bytes(mode: 0, payload: fixed.keyframe))
try write("window", "fixed-delta-on-1", WindowInput.bytes(mode: 1, payload: fixed.deltaOn1))
try write("window", "fixed-delta-on-2", WindowInput.bytes(mode: 2, payload: fixed.deltaOn2))
try write("window", "fixed-delta-on-2-twice", WindowInput.bytes(mode: 3, payload: fixed.deltaOn2))
try write("window", "fixed-check-on-1", WindowInput.bytes(mode: 2, payload: fixed.check))
try write("window", "fixed-keyframe-again", WindowInput.bytes(mode: 1, payload: fixed.keyframe))
try write("window", "fixed-delta-on-1-snappy", WindowInput.bytes(mode: 5, payload: Snappy.compress(fixed.deltaOn1)))
try write("window", "block-keyframe", WindowInput.bytes(mode: 0, payload: block[0]))
try write("window", "block-keyframe-snappy", WindowInput.bytes(mode: 4, payload: Snappy.compress(block[0])))
try write("window", "mutex-keyframe", WindowInput.bytes(mode: 0, payload: mutex[0]))
try write("window", "goroutine-keyframe", WindowInput.bytes(mode: 0, payload: goroutine[0]))
try write("window", "cpu-keyframe", WindowInput.bytes(mode: 0, payload: cpu[0]))
if let vectors {
    for (name, mode) in [("demo-1", UInt8(0)), ("heap-1", 0), ("collision-1", 8)] {
        let f = vectors.appendingPathComponent("\(name).window.hex")
        guard let text = try? String(contentsOf: f, encoding: .utf8) else { continue }
        var hex = ""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") { hex += line.filter(\.isHexDigit) }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        try write("window", "vector-\(name)", WindowInput.bytes(mode: mode, payload: bytes))
    }
}

// MARK: datagram: control byte + datagrams (DatagramInput).
let config = try FrameConfig()
let small = try FrameConfig(maxDatagram: 576)
var pn: UInt64 = 0
var bundleID: UInt32 = 0x5EED_0000
/// The first transmission of a bundle of `windows` (payloads, snappy-compressed here) of
/// stream 7 from seq `seq` on, in the fewest symbols that fit.
@MainActor func datagrams(_ payloads: [[UInt8]], seq: UInt32, loss: Double, config: FrameConfig) throws -> [[UInt8]] {
    bundleID += 1
    let windows = payloads.enumerated().map { (WindowAddress(stream: 7, seq: seq + UInt32($0.offset)), Snappy.compress($0.element)) }
    var b = try OutgoingBundle(id: bundleID, windows: windows, config: config)
    return b.initialDatagrams(lossRate: loss, config: config, connectionID: 0xC0FFEE, packetNumber: &pn, protection: NullProtection())
}
// The fixed stream's three windows, one bundle each, with parity, in order: every bundle completes.
var fixedDatagrams: [[UInt8]] = []
for (i, p) in [fixed.keyframe, fixed.deltaOn1, fixed.deltaOn2].enumerated() {
    fixedDatagrams += try datagrams([p], seq: UInt32(i + 1), loss: 0.12, config: config)
}
try write("datagram", "fixed-in-order", DatagramInput(control: 0x0F, datagrams: fixedDatagrams).bytes)
// The same three windows as one bundle (one tick's windows share a code), shuffled.
var fixedBundle = try datagrams([fixed.keyframe, fixed.deltaOn1, fixed.deltaOn2], seq: 1, loss: 0.05, config: small)
rng.shuffle(&fixedBundle)
try write("datagram", "fixed-one-bundle-shuffled", DatagramInput(control: 0x0F, datagrams: fixedBundle).bytes)
// A real keyframe in 576-byte datagrams with parity, shuffled, every fourth lost: parity rebuilds it.
var blockDatagrams = try datagrams([block[0]], seq: 1, loss: 0.12, config: small)
rng.shuffle(&blockDatagrams)
let lossy = blockDatagrams.enumerated().filter { $0.offset % 4 != 3 }.map(\.element)
try write("datagram", "block-keyframe-lossy", DatagramInput(control: 0x0F, datagrams: lossy).bytes)
try write("datagram", "block-keyframe-lossy-self-delimiting", DatagramInput(control: 0x4F, datagrams: lossy).bytes)
/// A real bundle (directory and windows) of `n` random windows of `length` bytes each.
@MainActor func randomBundle(windows n: Int, length: Int, stream: UInt32) -> [UInt8] {
    BundleDirectory.bundle((0..<n).map { i in
        (WindowAddress(stream: stream, seq: UInt32(i + 1)), (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    })
}
// Two blocks of tiny symbols (81 source symbols of 8 bytes), sources lost, replayed.
var bundle = randomBundle(windows: 5, length: 126, stream: 1)
var tiny = try TinyFrames.datagrams(bundle: bundle, symbolSize: 8, parity: 6, id: 9, packetNumber: &pn)
tiny = tiny.enumerated().filter { $0.offset % 9 != 2 }.map(\.element)
try write("datagram", "tiny-two-blocks-replayed", DatagramInput(control: 0x6F, datagrams: tiny).bytes)
// Several interleaved partial bundles with tight bounds: evictions.
bundle = randomBundle(windows: 2, length: 40, stream: 2)
var interleaved: [[UInt8]] = []
for id in 1...4 { interleaved += try TinyFrames.datagrams(bundle: bundle, symbolSize: 10, parity: 2, id: UInt32(id), packetNumber: &pn) }
rng.shuffle(&interleaved)
try write("datagram", "interleaved-evicting", DatagramInput(control: 0x01 | 0x10, datagrams: interleaved).bytes)
try write("datagram", "interleaved-small-buffer", DatagramInput(control: 0x03, datagrams: interleaved).bytes)
// Malformed datagrams next to good ones: each drop reason and a conflicting layout. Header
// (SPEC.md §6.3): 0 version/type, 1–4 connection, 5–12 packet number, 13–16 bundle,
// 17 block, 18 symbol, 19–22 bundle length; the symbol from byte 23.
let good = fixedDatagrams[0]
func mutated(_ f: (inout [UInt8]) -> Void) -> [UInt8] { var d = good; f(&d); return d }
let bad: [[UInt8]] = [
    Array(good.prefix(WireLimits.dataHeaderLength + WireLimits.tagLength)),  // too short
    mutated { $0[0] = 0x31 }, mutated { $0[0] = 0x11 }, mutated { $0[0] = 0x2F },  // version 3, version 1, unknown type
    mutated { $0.removeLast() },  // another symbol size: another layout, and the tag is cut
    mutated { $0[23] = 9 }, mutated { $0[22] = 4 }, mutated { $0[$0.count - 1] = 1 },  // symbol, bundle length, tag
    mutated { $0[17] = 200 },  // a block outside the bundle
    mutated { $0[19...22] = [0xFF, 0xFF, 0xFF, 0xFF]; $0.removeSubrange(24..<($0.count - 16)) },  // 4 GiB in 1-byte symbols
    good, good,
]
// Two symbols of one partial bundle that disagree about its length.
var conflicting = blockDatagrams[1]
let length = UInt32(conflicting[19]) << 24 | UInt32(conflicting[20]) << 16 | UInt32(conflicting[21]) << 8 | UInt32(conflicting[22])
conflicting[22] = UInt8((length - 1) & 0xFF)
conflicting[21] = UInt8((length - 1) >> 8 & 0xFF)
try write("datagram", "malformed", DatagramInput(control: 0x0F, datagrams: bad + [blockDatagrams[0], conflicting]).bytes)

// MARK: bundle: rebuilt bundles (fuzz-bundle reads them as is, and as windows to bundle).
let fixedWindows = [fixed.keyframe, fixed.deltaOn1, fixed.deltaOn2].enumerated().map {
    (WindowAddress(stream: 1, seq: UInt32($0.offset + 1)), Snappy.compress($0.element))
}
try write("bundle", "fixed-three-windows", BundleDirectory.bundle(fixedWindows))
try write("bundle", "fixed-keyframe", BundleDirectory.bundle([fixedWindows[0]]))
try write("bundle", "samples-four-streams", BundleDirectory.bundle([block[0], mutex[0], goroutine[0], cpu[0]].enumerated().map {
    (WindowAddress(stream: UInt32($0.offset + 1), seq: 1), Snappy.compress($0.element))
}))
// The most windows a bundle may carry, 1 byte each, and the largest stream and seq.
try write("bundle", "255-one-byte-windows", BundleDirectory.bundle((0..<255).map { (WindowAddress(stream: UInt32($0 % 3), seq: UInt32($0)), [UInt8($0)]) }))
try write("bundle", "largest-address", BundleDirectory.bundle([(WindowAddress(stream: .max, seq: .max), [1, 2, 3])]))
// Directories that do not describe their bundle: no windows, 256 windows, an empty
// window, lengths one short and one over, a varint of 11 bytes, nothing at all.
let one = BundleDirectory.bundle([(WindowAddress(stream: 1, seq: 1), [7, 7, 7])])
try write("bundle", "no-windows", [0])
try write("bundle", "256-windows", [0x80, 0x02] + [UInt8](repeating: 0, count: 30))
try write("bundle", "empty-window", [1, 1, 1, 0])
try write("bundle", "one-byte-short", Array(one.dropLast()))
try write("bundle", "one-byte-over", one + [0])
try write("bundle", "varint-11-bytes", [1] + [UInt8](repeating: 0xFF, count: 10) + [0x01, 1, 1, 9])
try write("bundle", "empty", [])
// A CI finding (fuzz-bundle, kept as a seed): a directory written with non-minimal varints
// (its count and a stream longer than they need be); its windows start where it ends, not
// at its minimal length.
try write("bundle", "overlong-varint-count-and-stream", [0x01, 0xFF, 0x80, 0x00, 0x03, 0x01, 0x02])
// As windows to bundle: byte 0 (0x80: 4-byte symbols), then per window a length byte, stream, seq, bytes.
var spec: [UInt8] = [0x83]
for i in 0..<6 { spec += [UInt8(20 * i + 5), 0, 0, 0, UInt8(i % 2 + 1), 0, 0, 0, UInt8(i + 1)] + (0...(20 * i + 5)).map { UInt8($0 & 0xFF) } }
try write("bundle", "six-windows-tiny-symbols", spec)

// MARK: fec: FECInput.
// Their own generator state, so that seeds above do not move these.
rng = Rng(s: 0xFEC0_FEC0_FEC0_FEC0)
@MainActor func fec(_ name: String, k: Int, size: Int, kernel: Int, indices: [Int], corrupt: [FECInput.Op]? = nil) throws {
    let source = (0..<(k * size)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let ops = corrupt ?? Array(repeating: .keep, count: indices.count)
    let input = FECInput(k: k, symbolSize: size, kernel: kernel, corrupt: corrupt != nil,
                         entries: zip(indices, ops).map { ($0, $1) }, source: source)
    try write("fec", name, input.bytes)
}
try fec("k8-4-erased-all-kernels", k: 8, size: 64, kernel: 3, indices: [0, 2, 5, 7, 8, 9, 10, 11])
try fec("k1-parity-only", k: 1, size: 1, kernel: 2, indices: [200])
try fec("k64-half-parity", k: 64, size: 33, kernel: 2, indices: Array(0..<32) + Array(64..<96))
try fec("k12-tail-sizes", k: 12, size: 47, kernel: 1, indices: Array(3..<12) + [12, 40, 255])
try fec("k20-size0", k: 20, size: 0, kernel: 0, indices: Array(0..<20))
try fec("k10-not-enough", k: 10, size: 16, kernel: 3, indices: [1, 3, 10, 11, 12])
try fec("k4-corrupt", k: 4, size: 16, kernel: 3, indices: [0, 1, 4, 5, 6, 2],
        corrupt: [.keep, .flip(3), .keep, .wrongSize, .badIndex, .keep])
try fec("k200-wide", k: 200, size: 3, kernel: 2, indices: Array(55..<255))
try fec("k3-size1023", k: 3, size: 1023, kernel: 3, indices: [2, 3, 4])

// MARK: control: CONTROL payloads (fuzz-control), the frames inside the seal.
let est = SessionFixture.established
let acks = est.fromCollector.filter { $0.first == SessionFixture.controlByte0 }.compactMap { SessionFixture.openControl($0, key: est.keys.receive) }
precondition(!acks.isEmpty, "the collector sent no acknowledgement")
for (i, p) in acks.enumerated() { try write("control", "collector-ack-\(i + 1)", p) }
let keepalive = est.fromAgent.filter { $0.first == SessionFixture.controlByte0 }.compactMap { SessionFixture.openControl($0, key: est.keys.send) }
precondition(keepalive.first == ControlFrame.encode([.keepalive]), "the agent's first CONTROL is not a keepalive")
try write("control", "keepalive", keepalive[0])
var someRanges = PacketRanges()
for pn: UInt64 in [1, 2, 3, 5, 9, 10, 11, 40, 1000, 1002] { someRanges.insert(pn) }
let everyFrame: [ControlFrame] = [
    .ack(someRanges, ackDelayMicros: 1234), .decoded(stream: 1, highest: 3, earlier: 0b11), .durable(stream: 1, seq: 2),
    .missing(bundle: est.bundles[2], perBlock: [2, 0, 64]), .rejected(stream: 1, seq: 2, reason: 3, base: 1), .keepalive,
]
try write("control", "every-frame", ControlFrame.encode(everyFrame))
try write("control", "every-frame-truncated", Array(ControlFrame.encode(everyFrame).dropLast()))
// Frames about the agent's windows in flight (2 and 3, each in its own bundle): acknowledged,
// decoded, missing, rejected.
var allSent = PacketRanges()
for pn: UInt64 in 1...200 { allSent.insert(pn) }
try write("control", "ack-everything", ControlFrame.encode([.ack(allSent, ackDelayMicros: 0)]))
try write("control", "decoded-in-flight", ControlFrame.encode([.decoded(stream: 1, highest: 3, earlier: 1)]))
try write("control", "missing-and-rejected", ControlFrame.encode([.missing(bundle: est.bundles[1], perBlock: [1]), .rejected(stream: 1, seq: 3, reason: 2, base: 2)]))
var wideRanges = PacketRanges()
for pn in stride(from: UInt64(1), through: 400, by: 3) { wideRanges.insert(pn) }
try write("control", "ack-64-ranges", ControlFrame.encode([.ack(wideRanges, ackDelayMicros: 25_000)]))
// Non-shortest varints (0 as 0x80 0x00) and a gap below packet 0.
try write("control", "long-varints", [3, 0x81, 0x00, 0x80, 0x80, 0x00])
try write("control", "ack-gap-below-zero", [1, 10, 0, 1, 2, 9, 0])
// The agent's REPORT (SPEC §11.2): multi-byte varints, the largest loss a receiver accepts.
try write("control", "report", ControlFrame.encode([.report(PathReport(smoothedRTTMicros: 320_512, rttVariationMicros: 41_000, minRTTMicros: 301_250,
    intervalMicros: 240_000, lossPPM: 1_000_000, windowsSent: 1 << 40, windowsRepaired: 17, windowsLost: 1, repairBytes: 1_234_567))]))
// For the PacketRanges model: limit 3 (byte 0), then dense packet numbers that join and split ranges.
var ops: [UInt8] = [3]
for pn: UInt16 in [5, 7, 6, 1, 3, 20, 2, 4, 30, 25, 26, 0, 40, 0xC000, 0xC001, 0x8001, 8, 9] { ops += [UInt8(pn >> 8), UInt8(pn & 0xFF)] }
try write("control", "ranges-limit-3", ops)

// MARK: handshake: flag byte + datagram (fuzz-handshake).
let initiation = SessionFixture.waiting.initiation, response = SessionFixture.response, cookieReply = SessionFixture.cookieReply
func flipped(_ d: [UInt8], _ at: Int) -> [UInt8] { var d = d; d[at] ^= 0x20; return d }
try write("handshake", "initiation", [0] + initiation)
try write("handshake", "initiation-under-load", [4] + initiation)
try write("handshake", "initiation-bad-mac1", [0] + flipped(initiation, initiation.count - 20))
try write("handshake", "initiation-restamped-flipped-ephemeral", [1] + flipped(initiation, 10))
try write("handshake", "initiation-restamped-flipped-static", [1] + flipped(initiation, 60))
try write("handshake", "initiation-restamped-flipped-timestamp", [1] + flipped(initiation, 100))
try write("handshake", "initiation-other-mac2", [0] + flipped(initiation, initiation.count - 1))
try write("handshake", "initiation-truncated", [1] + initiation.dropLast())
try write("handshake", "response", [0] + response)
try write("handshake", "response-bad-mac1", [0] + flipped(response, response.count - 20))
try write("handshake", "response-restamped-flipped-ephemeral", [2] + flipped(response, 20))
try write("handshake", "response-restamped-flipped-payload", [2] + flipped(response, 60))
try write("handshake", "response-restamped-other-receiver", [2] + flipped(response, 6))
try write("handshake", "cookie-reply", [0] + cookieReply)
try write("handshake", "cookie-reply-flipped", [0] + flipped(cookieReply, 30))
try write("handshake", "cookie-reply-as-initiation-length", [0] + cookieReply + [UInt8](repeating: 0, count: 96))
try write("handshake", "empty", [3])
// Found by fuzz-handshake: a response whose sender index was changed (mac1 recomputed) is
// accepted, since only mac1 covers the index. The agent then sends under an index the
// collector does not know.
var otherSender = response
otherSender[2] ^= 0xF9
try write("handshake", "regression-response-other-sender-index", [6] + SessionFixture.restamped(otherSender, receiver: SessionFixture.agentKey.publicKey))

// Seeds this generator no longer makes.
var removed = 0
for (dir, keep) in names {
    let d = corpus.appendingPathComponent(dir)
    for f in try FileManager.default.contentsOfDirectory(atPath: d.path) where !keep.contains(f) {
        try FileManager.default.removeItem(at: d.appendingPathComponent(f))
        removed += 1
    }
}
print("wire-seeds: \(written) written, \(unchanged) unchanged, \(removed) removed in \(corpus.path)")
