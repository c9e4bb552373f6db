import Foundation
import SansIO
import Testing
@testable import Noise
@testable import Session

/// `Protocol/vectors/control-1.txt` and `control-1.expected.txt`: sealed CONTROL datagrams
/// (SPEC.md §11.1–§11.2) under the transport keys of handshake-1.txt's `[ik]` case, and what
/// a receiver makes of each: its frames in a fixed text form, or why it is refused. The
/// C decoder (`Tools/wire-c-decoder`, `control` command) must print the same text.
/// Every run regenerates both files and compares them with the committed ones byte for
/// byte; `FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter ControlVectorTests` rewrites them.
struct ControlVectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let inputFile = root.appendingPathComponent("Protocol/vectors/control-1.txt")
    static let expectedFile = root.appendingPathComponent("Protocol/vectors/control-1.expected.txt")

    /// handshake-1.txt, [ik]: agent_send_key, collector_send_key and the two indices.
    static let agentSendKey = unhex("26861b6692655bcfbbee52633719c2dc4c886b0527ad13dfbf3850e5536c658b")
    static let collectorSendKey = unhex("536d94271dfb0128df490aff9db06ba8e56fb57570b559e7b78749b6deb5c0ae")
    static let agentIndex: UInt32 = 0x0A0B_0C0D
    static let collectorIndex: UInt32 = 0x0102_0304

    static func hex(_ b: some Sequence<UInt8>) -> String { b.map { String(format: "%02x", $0) }.joined() }

    static func unhex(_ s: String) -> [UInt8] {
        var out: [UInt8] = [], chars = Array(s.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }

    /// One vector: who sends, the packet number, and the plaintext payload (frame bytes,
    /// which may be deliberately malformed); `tamper` flips a bit of the sealed datagram.
    struct Case {
        var name: String
        var comment: String
        var fromCollector: Bool
        var packetNumber: UInt64
        var payload: [UInt8]
        var tamper: Int? = nil
    }

    static func ranges(_ pns: [ClosedRange<UInt64>]) -> PacketRanges {
        var r = PacketRanges()
        for range in pns { for pn in range { r.insert(pn) } }
        return r
    }

    static let cases: [Case] = [
        Case(name: "ack-1", comment: "collector -> agent: one ACK range (packets 1-4, ack delay 0) and one stream decoded",
             fromCollector: true, packetNumber: 1,
             payload: ControlFrame.encode([.ack(ranges([1...4]), ackDelayMicros: 0), .decoded(stream: 1, highest: 1, earlier: 0)])),
        Case(name: "ack-2", comment: "collector -> agent: every collector frame; three ACK ranges, multi-byte varints, a 64-bit earlier mask",
             fromCollector: true, packetNumber: 300,
             payload: ControlFrame.encode([
                .ack(ranges([1...100, 287...287, 290...300]), ackDelayMicros: 25_000),
                .decoded(stream: 2, highest: 70_000, earlier: 0x8000_0000_0000_0001),
                .decoded(stream: 1, highest: 5, earlier: 0b1011),
                .durable(stream: 1, seq: 5),
                .missing(bundle: 0xDEAD_BEEF, perBlock: [0, 3, 64]),
                .rejected(stream: 2, seq: 9, reason: 2, base: 7),
             ])),
        Case(name: "keepalive-1", comment: "agent -> collector: a keepalive",
             fromCollector: false, packetNumber: 9, payload: ControlFrame.encode([.keepalive])),
        Case(name: "report-1", comment: "agent -> collector: a REPORT (320 ms smoothed RTT, 240 ms interval, 12 % loss estimate, counts over the agent process)",
             fromCollector: false, packetNumber: 4242,
             payload: ControlFrame.encode([.report(PathReport(smoothedRTTMicros: 320_512, rttVariationMicros: 41_000, minRTTMicros: 301_250,
                                                               intervalMicros: 240_000, lossPPM: 120_000, windowsSent: 9_876_543_210,
                                                               windowsRepaired: 17, windowsLost: 0, repairBytes: 1_234_567))])),
        Case(name: "pace-1", comment: "collector -> agent: PACE alone, an interval of at least 1,440 ms (the collector is overloaded)",
             fromCollector: true, packetNumber: 310, payload: ControlFrame.encode([.pace(intervalMillis: 1_440)])),
        Case(name: "pace-2", comment: "collector -> agent: PACE 0, the request lifted",
             fromCollector: true, packetNumber: 311, payload: ControlFrame.encode([.pace(intervalMillis: 0)])),
        Case(name: "refused-unknown-frame", comment: "collector -> agent: an ACK then frame type 9, which does not exist: the whole payload is refused",
             fromCollector: true, packetNumber: 301, payload: ControlFrame.encode([.ack(ranges([1...4]), ackDelayMicros: 0)]) + [9]),
        Case(name: "refused-pace-u32", comment: "collector -> agent: a PACE whose interval needs 33 bits",
             fromCollector: true, packetNumber: 312, payload: [8, 0x80, 0x80, 0x80, 0x80, 0x10]),
        Case(name: "refused-report-loss", comment: "agent -> collector: a REPORT whose loss is 1,000,001 parts per million (at most 1,000,000)",
             fromCollector: false, packetNumber: 4243, payload: [7, 1, 1, 1, 1, 0xC1, 0x84, 0x3D, 0, 0, 0, 0]),
        Case(name: "refused-missing-65", comment: "collector -> agent: a MISSING frame whose block lacks 65 symbols (at most 64)",
             fromCollector: true, packetNumber: 302, payload: [4, 1, 1, 65]),
        Case(name: "refused-ack-gap", comment: "collector -> agent: an ACK whose second range would end below packet 0",
             fromCollector: true, packetNumber: 303, payload: [1, 5, 0, 1, 1, 9, 0]),
        Case(name: "refused-u32-overflow", comment: "collector -> agent: a DURABLE frame whose stream needs 33 bits",
             fromCollector: true, packetNumber: 304, payload: [3, 0x80, 0x80, 0x80, 0x80, 0x10, 1]),
        Case(name: "refused-truncated", comment: "collector -> agent: a REJECTED frame that ends before its reason byte",
             fromCollector: true, packetNumber: 305, payload: [5, 2, 9]),
        Case(name: "refused-tag", comment: "collector -> agent: ack-1's frames with one bit of the tag flipped: it does not authenticate",
             fromCollector: true, packetNumber: 306,
             payload: ControlFrame.encode([.ack(ranges([1...4]), ackDelayMicros: 0), .decoded(stream: 1, highest: 1, earlier: 0)]), tamper: -1),
        Case(name: "refused-header", comment: "agent -> collector: a keepalive whose packet number (associated data) was changed after sealing",
             fromCollector: false, packetNumber: 10, payload: ControlFrame.encode([.keepalive]), tamper: 12),
    ]

    static func keys(fromCollector: Bool) -> (sender: TransportKeys, receiver: TransportKeys) {
        let a = TransportKeys(sendKey: agentSendKey, receiveKey: collectorSendKey, localIndex: agentIndex, remoteIndex: collectorIndex)
        let c = TransportKeys(sendKey: collectorSendKey, receiveKey: agentSendKey, localIndex: collectorIndex, remoteIndex: agentIndex)
        return fromCollector ? (c, a) : (a, c)
    }

    static func sealed(_ c: Case) -> [UInt8] {
        let (sender, _) = keys(fromCollector: c.fromCollector)
        var d: [UInt8] = [DatagramType.ack.byte0]
        d.appendBigEndian(sender.remoteIndex)
        d.appendBigEndian(c.packetNumber)
        d += c.payload
        try! sender.seal(datagram: &d, headerLength: ControlDatagram.headerLength, packetNumber: c.packetNumber)
        if let t = c.tamper { d[t < 0 ? d.count + t : t] ^= 0x01 }
        return d
    }

    /// A frame in the vectors' text form (Protocol/vectors/README.md).
    static func line(_ f: ControlFrame) -> String {
        switch f {
        case .ack(let r, let delay):
            return "ack largest \(r.largest) ack_delay_us \(delay) ranges " + r.ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " ")
        case .decoded(let s, let h, let e): return "decoded stream \(s) highest \(h) earlier \(String(format: "%016llx", e))"
        case .durable(let s, let q): return "durable stream \(s) seq \(q)"
        case .missing(let b, let m): return "missing bundle \(b) lacking " + m.map(String.init).joined(separator: " ")
        case .rejected(let s, let q, let r, let b): return "rejected stream \(s) seq \(q) reason \(r) base \(b)"
        case .keepalive: return "keepalive"
        case .pace(let ms): return "pace interval_ms \(ms)"
        case .report(let r):
            return "report srtt_us \(r.smoothedRTTMicros) rttvar_us \(r.rttVariationMicros) min_rtt_us \(r.minRTTMicros) interval_us \(r.intervalMicros) "
                + "loss_ppm \(r.lossPPM) windows_sent \(r.windowsSent) windows_repaired \(r.windowsRepaired) windows_lost \(r.windowsLost) repair_bytes \(r.repairBytes)"
        }
    }

    /// What a receiver makes of `d`: the header, then its frames or why it is refused.
    static func receive(_ name: String, _ d: [UInt8], fromCollector: Bool) -> [String] {
        guard let (connection, pn) = ControlDatagram.header(d) else { return ["[\(name)] refused: truncated"] }
        let head = "[\(name)] connection \(String(format: "%08x", connection)) packet \(pn)"
        let (_, receiver) = keys(fromCollector: fromCollector)
        guard connection == receiver.localIndex, let payload = ControlDatagram.open(d, packetNumber: pn, keys: receiver) else {
            return ["\(head) refused: unauthenticated"]
        }
        guard let frames = try? ControlFrame.decode(payload) else { return ["\(head) refused: malformed"] }
        return ["\(head) frames \(frames.count)"] + frames.map(line)
    }

    static func texts() -> (input: String, expected: String) {
        var input = [
            "# FlameWire CONTROL datagram test vectors (Protocol/SPEC.md §11.1-§11.2). Generated by",
            "# Tests/SessionTests/ControlVectorTests.swift; regenerate with",
            "# FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter ControlVectorTests",
            "# Keys and indices: the [ik] case of handshake-1.txt. A datagram from the collector is",
            "# sealed with collector_send_key and names agent_index; one from the agent, agent_send_key",
            "# and collector_index. control-1.expected.txt is what a receiver makes of each.",
            "# All values are hex; payload is the plaintext of the frames, before sealing.",
            "",
        ]
        var expected: [String] = []
        for c in cases {
            let d = sealed(c)
            input += [
                "[\(c.name)]",
                "# \(c.comment)",
                "from = \(c.fromCollector ? "collector" : "agent")",
                "key = \(hex(c.fromCollector ? collectorSendKey : agentSendKey))",
                "payload = \(hex(c.payload))",
                "datagram = \(hex(d))",
                "",
            ]
            expected += receive(c.name, d, fromCollector: c.fromCollector)
        }
        return (input.dropLast().joined(separator: "\n") + "\n", expected.joined(separator: "\n") + "\n")
    }

    @Test func vectorFilesMatch() throws {
        let (input, expected) = Self.texts()
        if ProcessInfo.processInfo.environment["FLAMEWIRE_UPDATE_VECTORS"] == "1" {
            try Data(input.utf8).write(to: Self.inputFile)
            try Data(expected.utf8).write(to: Self.expectedFile)
            return
        }
        #expect(try String(contentsOf: Self.inputFile, encoding: .utf8) == input,
                "control-1.txt differs from a fresh run; if intended, regenerate with FLAMEWIRE_UPDATE_VECTORS=1")
        #expect(try String(contentsOf: Self.expectedFile, encoding: .utf8) == expected,
                "control-1.expected.txt differs from a fresh run; if intended, regenerate with FLAMEWIRE_UPDATE_VECTORS=1")
    }

    /// The vectors say what their comments say: accepted ones decode to what was encoded,
    /// each refused one for the stated reason, and the collector session itself refuses them.
    @Test func vectorsAreWhatTheySay() throws {
        for c in Self.cases {
            let out = Self.receive(c.name, Self.sealed(c), fromCollector: c.fromCollector)
            if c.name.hasPrefix("refused-tag") || c.name.hasPrefix("refused-header") {
                #expect(out.first?.hasSuffix("refused: unauthenticated") == true, "\(c.name)")
            } else if c.name.hasPrefix("refused-") {
                #expect(out.first?.hasSuffix("refused: malformed") == true, "\(c.name)")
                #expect(throws: ControlError.self) { try ControlFrame.decode(c.payload) }
            } else {
                #expect(out.count == 1 + (try ControlFrame.decode(c.payload)).count, "\(c.name)")
                #expect(ControlFrame.encode(try ControlFrame.decode(c.payload)) == c.payload, "\(c.name) re-encodes")
            }
        }
    }
}
