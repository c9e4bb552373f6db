import Testing
import Compression
import Profile
import WireCodec
import WireFrame
import WirePipeline

/// The send and receive paths as library types: what a session relies on.
@Suite struct WindowPathTests {
    static func profile(_ text: String) throws -> Profile { try foldedProfile(text) }
    static let info = StreamInfo(service: "t", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")],
                                 columnKinds: [.counter])

    /// Every queued datagram, through the receiver.
    static func deliver(_ tx: inout WindowSender, to rx: inout WindowReceiver, pn: inout UInt64,
                        keep: (Int) -> Bool = { _ in true }) -> [ReceiveEvent] {
        var events: [ReceiveEvent] = []
        var i = 0
        while let d = tx.pollDatagram(connectionID: 5, packetNumber: pn + 1, protection: NullProtection()) {
            pn += 1
            defer { i += 1 }
            guard keep(i) else { continue }
            let h = try! DatagramHeader.parse(d.bytes)
            events.append(rx.receive(h, symbol: NullProtection().openData(d.bytes, header: h)!, at: .zero))
        }
        return events
    }

    @Test func senderNumbersNothingItself() throws {
        var tx = WindowSender(config: try FrameConfig())
        try tx.addStream(1, info: Self.info)
        try tx.ingest(try Self.profile("a;b 3\n"), stream: 1, mode: .delta)
        let w = try tx.encodeWindow(stream: 1, lossRate: 0.12)
        #expect(w.isKeyframe)
        #expect(tx.queuedCount == w.datagrams)
        // The packet number and connection id are the caller's.
        let polled = tx.pollDatagram(connectionID: 77, packetNumber: 12345, protection: NullProtection())
        let d = try #require(polled)
        let h = try DatagramHeader.parse(d.bytes)
        #expect(h.packetNumber == 12345 && h.connectionID == 77 && h.address == w.address)
    }

    @Test func forgottenWindowsAreNotSent() throws {
        var tx = WindowSender(config: try FrameConfig())
        try tx.addStream(1, info: Self.info)
        try tx.ingest(try Self.profile("a;b 3\n"), stream: 1, mode: .delta)
        let w1 = try tx.encodeWindow(stream: 1, lossRate: 0.12)
        try tx.ingest(try Self.profile("a;c 3\n"), stream: 1, mode: .delta)
        let w2 = try tx.encodeWindow(stream: 1, lossRate: 0.12)
        tx.forget(w1.address)
        var sent: [WindowAddress] = []
        while let d = tx.pollDatagram(connectionID: 1, packetNumber: 1, protection: NullProtection()) { sent.append(d.address) }
        #expect(Set(sent) == [w2.address])
        #expect(tx.inFlight == [w2.address])
    }

    @Test func repairSendsFreshParityUntilTheWindowDecodes() throws {
        var tx = WindowSender(config: try FrameConfig())
        var rx = WindowReceiver()
        try tx.addStream(1, info: Self.info)
        var text = ""
        for i in 0..<4000 { text += "main;f\(i % 97);g\(i) \(i + 1)\n" }
        try tx.ingest(try Self.profile(text), stream: 1, mode: .delta)
        let w = try tx.encodeWindow(stream: 1, lossRate: 0)
        #expect(w.layout.sourceSymbols > 3)
        var pn: UInt64 = 0
        // Every third datagram is lost and there is no parity: the window stays partial.
        let first = Self.deliver(&tx, to: &rx, pn: &pn) { $0 % 3 != 0 }
        #expect(!first.contains { if case .decoded = $0 { true } else { false } })
        let missing = try #require(rx.reassembler.missing(w.address))
        #expect(tx.queueRepair(w.address, missing: missing, margin: 0) == missing.reduce(0, +))
        var indices: Set<Int> = []
        var decoded = false
        while let d = tx.pollDatagram(connectionID: 5, packetNumber: pn + 1, protection: NullProtection()) {
            pn += 1
            #expect(d.isRepair && d.symbol.index >= w.layout.sourceCount(block: d.symbol.block))
            #expect(indices.insert(d.symbol.block << 8 | d.symbol.index).inserted)
            let h = try DatagramHeader.parse(d.bytes)
            if case .decoded(let win, _, let p) = rx.receive(h, symbol: d.bytes[27..<(27 + h.symbolSize)], at: .zero) {
                #expect(p == pn)
                #expect(win.state == tx.encoder(1)?.state)
                decoded = true
            }
        }
        #expect(decoded)
    }

    /// A rejected base is reported with its seq, and the sender's keyframe recovers.
    @Test func unknownBaseIsReportedAndAKeyframeRecovers() throws {
        var tx = WindowSender(config: try FrameConfig())
        var rx = WindowReceiver()
        try tx.addStream(1, info: Self.info)
        var pn: UInt64 = 0
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        let w1 = try tx.encodeWindow(stream: 1, lossRate: 0)
        _ = Self.deliver(&tx, to: &rx, pn: &pn) { _ in false }  // window 1 is lost...
        #expect(tx.acknowledged(w1.address) == .newBase(1))  // ...but (wrongly) acknowledged
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        _ = try tx.encodeWindow(stream: 1, lossRate: 0)
        let events = Self.deliver(&tx, to: &rx, pn: &pn)
        guard case .rejected(let a, let why, _) = events.last else { Issue.record("\(events)"); return }
        #expect(a == WindowAddress(stream: 1, seq: 2))
        #expect(why.unknownBase == 1)
        #expect(rx.rejected[.unknownBase] == 1)
        #expect(tx.baseRejected(stream: 1, base: 1) == .keyframeNext)
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        #expect(try tx.encodeWindow(stream: 1, lossRate: 0).isKeyframe)
        guard case .decoded(let w3, _, _) = Self.deliver(&tx, to: &rx, pn: &pn).last else { Issue.record("not decoded"); return }
        #expect(w3.state.total(column: 0) == 3)
    }

    /// Datagrams that name another window than the one they carry (SPEC.md §6.5).
    @Test func addressMismatchIsRejectedBeforeDecoding() throws {
        var enc = StreamEncoder(stream: 1, info: Self.info)
        try enc.ingest(try Self.profile("a 1\n"), mode: .delta)
        let payload = enc.nextWindow().payload
        var rx = WindowReceiver()
        for address in [WindowAddress(stream: 2, seq: 1), WindowAddress(stream: 1, seq: 9)] {
            var out = try OutgoingWindow(address: address, compressed: Snappy.compress(payload), config: try FrameConfig())
            var pn: UInt64 = 0
            let d = out.initialDatagrams(lossRate: 0, config: try FrameConfig(), packetNumber: &pn, protection: NullProtection())[0]
            let h = try DatagramHeader.parse(d)
            guard case .rejected(_, .decode(.addressMismatch(1, 1)), _) = rx.receive(h, symbol: d[27..<(27 + h.symbolSize)], at: .zero) else {
                Issue.record("not rejected for \(address)")
                continue
            }
        }
        #expect(rx.rejected[.addressMismatch] == 2)
        // Nothing was decoded into any stream.
        #expect(rx.decoder(1)?.epoch == nil && rx.decoder(2) == nil)
    }
}
