import Testing
import Compression
import FEC
import Profile
import WireCodec
import WireFrame
import WireLimits
import WirePipeline

/// The send and receive paths as library types: what a session relies on.
@Suite struct WindowPathTests {
    static func profile(_ text: String) throws -> Profile { try foldedProfile(text) }
    static let info = StreamInfo(service: "t", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")],
                                 columnKinds: [.counter])
    static let h = WireLimits.dataHeaderLength

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

    /// The window outcomes of every bundle that completed.
    static func outcomes(_ events: [ReceiveEvent]) -> [WindowOutcome] {
        events.flatMap { e -> [WindowOutcome] in
            if case .bundle(_, let w, _) = e { return w }
            return []
        }
    }

    @Test func senderNumbersNothingItself() throws {
        var tx = WindowSender(config: try FrameConfig(), firstBundleID: 4_000_000_000)
        try tx.addStream(1, info: Self.info)
        try tx.ingest(try Self.profile("a;b 3\n"), stream: 1, mode: .delta)
        let w = try tx.encodeWindow(stream: 1)
        #expect(w.isKeyframe)
        #expect(tx.queuedCount == 0 && tx.openWindows == [w.address])
        let b = try #require(tx.closeBundle(lossRate: 0.12).first)
        #expect(b.id == 4_000_000_000 && b.windows == [w.address] && tx.nextBundleID == 4_000_000_001)
        #expect(tx.queuedCount == b.datagrams)
        // The packet number and connection id are the caller's.
        let polled = tx.pollDatagram(connectionID: 77, packetNumber: 12345, protection: NullProtection())
        let d = try #require(polled)
        let h = try DatagramHeader.parse(d.bytes)
        #expect(h.packetNumber == 12345 && h.connectionID == 77 && h.bundle == b.id)
    }

    /// The windows encoded together travel in one bundle under one code, and each decodes
    /// on its own, in directory order (SPEC.md §6.2).
    @Test func aTicksWindowsShareOneBundle() throws {
        var tx = WindowSender(config: try FrameConfig())
        var rx = WindowReceiver()
        for s: UInt32 in 1...3 {
            try tx.addStream(s, info: Self.info)
            try tx.ingest(try Self.profile("main;s\(s) \(s)\n"), stream: s, mode: .delta)
            _ = try tx.encodeWindow(stream: s)
        }
        let bundles = tx.closeBundle(lossRate: 0.12)
        #expect(bundles.count == 1)
        let b = try #require(bundles.first)
        #expect(b.windows.map(\.stream) == [1, 2, 3])
        // Small windows at 12 % loss: cut into several symbols, so parity is shared.
        #expect(b.layout.sourceSymbols > 1)
        var pn: UInt64 = 0
        // The first two datagrams are lost; the bundle's parity rebuilds all three windows.
        let out = Self.outcomes(Self.deliver(&tx, to: &rx, pn: &pn) { $0 >= 2 })
        #expect(out.map(\.address) == b.windows)
        for case .decoded(let w, let a) in out { #expect(w.state == tx.encoder(a.stream)?.state) }
        #expect(out.allSatisfy { if case .decoded = $0 { true } else { false } })
    }

    @Test func forgottenBundlesAreNotSent() throws {
        var tx = WindowSender(config: try FrameConfig())
        try tx.addStream(1, info: Self.info)
        try tx.ingest(try Self.profile("a;b 3\n"), stream: 1, mode: .delta)
        _ = try tx.encodeWindow(stream: 1)
        let b1 = try #require(tx.closeBundle(lossRate: 0.12).first)
        try tx.ingest(try Self.profile("a;c 3\n"), stream: 1, mode: .delta)
        _ = try tx.encodeWindow(stream: 1)
        let b2 = try #require(tx.closeBundle(lossRate: 0.12).first)
        tx.forget(b1.id)
        var sent: Set<UInt32> = []
        while let d = tx.pollDatagram(connectionID: 1, packetNumber: 1, protection: NullProtection()) { sent.insert(d.bundle) }
        #expect(sent == [b2.id])
        #expect(tx.inFlight == [b2.id])
    }

    @Test func repairSendsFreshParityUntilTheBundleDecodes() throws {
        var tx = WindowSender(config: try FrameConfig())
        var rx = WindowReceiver()
        try tx.addStream(1, info: Self.info)
        var text = ""
        for i in 0..<4000 { text += "main;f\(i % 97);g\(i) \(i + 1)\n" }
        try tx.ingest(try Self.profile(text), stream: 1, mode: .delta)
        _ = try tx.encodeWindow(stream: 1)
        let b = try #require(tx.closeBundle(lossRate: 0).first)
        #expect(b.layout.sourceSymbols > 3)
        var pn: UInt64 = 0
        // Every third datagram is lost and there is no parity: the bundle stays partial.
        let first = Self.deliver(&tx, to: &rx, pn: &pn) { $0 % 3 != 0 }
        #expect(Self.outcomes(first).isEmpty)
        let missing = try #require(rx.reassembler.missing(b.id))
        #expect(tx.queueRepair(b.id, missing: missing, margin: 0) == missing.reduce(0, +))
        var indices: Set<Int> = []
        var decoded = false
        while let d = tx.pollDatagram(connectionID: 5, packetNumber: pn + 1, protection: NullProtection()) {
            pn += 1
            #expect(d.isRepair && !d.isSource && d.symbol.index >= b.layout.sourceCount(block: d.symbol.block))
            #expect(indices.insert(d.symbol.block << 8 | d.symbol.index).inserted)
            let h = try DatagramHeader.parse(d.bytes)
            if case .bundle(_, let w, let p) = rx.receive(h, symbol: d.bytes[Self.h..<(Self.h + h.symbolSize)], at: .zero) {
                #expect(p == pn)
                guard case .decoded(let win, _) = w.first else { Issue.record("\(w)"); continue }
                #expect(win.state == tx.encoder(1)?.state)
                decoded = true
            }
        }
        #expect(decoded)
    }

    /// A rejected base is reported with its seq, the other windows of the bundle still
    /// decode, and the sender's keyframe recovers.
    @Test func unknownBaseIsReportedAndAKeyframeRecovers() throws {
        var tx = WindowSender(config: try FrameConfig())
        var rx = WindowReceiver()
        try tx.addStream(1, info: Self.info)
        try tx.addStream(2, info: Self.info)
        var pn: UInt64 = 0
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        let w1 = try tx.encodeWindow(stream: 1)
        _ = tx.closeBundle(lossRate: 0)
        _ = Self.deliver(&tx, to: &rx, pn: &pn) { _ in false }  // window 1 is lost...
        #expect(tx.acknowledged(w1.address) == .newBase(1))  // ...but (wrongly) acknowledged
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        _ = try tx.encodeWindow(stream: 1)
        try tx.ingest(try Self.profile("b 5\n"), stream: 2, mode: .delta)
        _ = try tx.encodeWindow(stream: 2)
        _ = tx.closeBundle(lossRate: 0)
        let out = Self.outcomes(Self.deliver(&tx, to: &rx, pn: &pn))
        guard out.count == 2, case .rejected(let a, let why) = out[0], case .decoded(let other, _) = out[1] else {
            Issue.record("\(out)")
            return
        }
        #expect(a == WindowAddress(stream: 1, seq: 2))
        #expect(why.unknownBase == 1)
        #expect(other.state.total(column: 0) == 5)
        #expect(rx.rejected[.unknownBase] == 1)
        #expect(tx.baseRejected(stream: 1, base: 1) == .keyframeNext)
        try tx.ingest(try Self.profile("a 1\n"), stream: 1, mode: .delta)
        #expect(try tx.encodeWindow(stream: 1).isKeyframe)
        _ = tx.closeBundle(lossRate: 0)
        guard case .decoded(let w3, _) = Self.outcomes(Self.deliver(&tx, to: &rx, pn: &pn)).last else { Issue.record("not decoded"); return }
        #expect(w3.state.total(column: 0) == 3)
    }

    /// Directory entries that name another window than the one they carry (SPEC.md §6.5).
    @Test func addressMismatchIsRejectedBeforeDecoding() throws {
        var enc = StreamEncoder(stream: 1, info: Self.info)
        try enc.ingest(try Self.profile("a 1\n"), mode: .delta)
        let compressed = Snappy.compress(enc.nextWindow().payload)
        var rx = WindowReceiver()
        let config = try FrameConfig()
        var out = try OutgoingBundle(id: 9, windows: [(WindowAddress(stream: 2, seq: 1), compressed),
                                                      (WindowAddress(stream: 1, seq: 9), compressed)], config: config)
        var pn: UInt64 = 0
        let ds = out.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
        let d = try #require(ds.first)
        let h = try DatagramHeader.parse(d)
        guard case .bundle(9, let w, _) = rx.receive(h, symbol: d[Self.h..<(Self.h + h.symbolSize)], at: .zero) else {
            Issue.record("bundle not rebuilt")
            return
        }
        for case .decoded(_, let a) in w { Issue.record("\(a) decoded") }
        #expect(rx.rejected[.addressMismatch] == 2)
        // Nothing was decoded into any stream.
        #expect(rx.decoder(1)?.epoch == nil && rx.decoder(2) == nil)
    }

    /// A bundle whose directory does not describe it is dropped whole and counted.
    @Test func badDirectoryIsDroppedAndCounted() throws {
        var rx = WindowReceiver()
        let config = try FrameConfig()
        // Directory says one window of 5 bytes, but 6 follow.
        let bytes: [UInt8] = [1, 1, 1, 5, 1, 2, 3, 4, 5, 6]
        #expect(throws: FrameError.self) { try OutgoingBundle(id: 3, bundle: bytes, config: config) }
        let layout = try BundleLayout(bundleLength: bytes.count, maxSymbol: config.maxSymbol)
        let header = try DatagramHeader(connectionID: 1, packetNumber: 1, bundle: 3, blockIndex: 0, symbolIndex: 0, layout: layout)
        guard case .dropped(.badDirectory) = rx.receive(header, symbol: bytes[...], at: .zero) else {
            Issue.record("not dropped")
            return
        }
        #expect(rx.dropped[.badDirectory] == 1)
    }

    /// The sender cuts a small bundle into more, smaller symbols when loss asks for parity
    /// (parity is cheap only over many symbols), and into the fewest when it does not.
    @Test func symbolSizeFollowsTheLossEstimate() throws {
        let config = try FrameConfig()
        let length = 1300
        let noLoss = try BundleLayout.cheapest(bundleLength: length, maxSymbol: config.maxSymbol,
                                               parity: ParityPolicy.parityTable(maxSourceCount: 64, lossRate: 0, target: 0.003))
        #expect(noLoss.sourceSymbols == 1)
        let table = ParityPolicy.parityTable(maxSourceCount: 64, lossRate: 0.12, target: 0.003)
        #expect(table == (1...64).map { ParityPolicy.parityCount(sourceCount: $0, lossRate: 0.12, target: 0.003) })
        let lossy = try BundleLayout.cheapest(bundleLength: length, maxSymbol: config.maxSymbol, parity: table)
        func bytes(_ l: BundleLayout) -> Int { (l.sourceSymbols + table[l.sourceSymbols - 1]) * (l.symbolSize + 39) }
        #expect(lossy.sourceSymbols > 1)
        #expect(bytes(lossy) < bytes(noLoss))
        // At 12 % and a 0.3 % target one symbol needs two parity: three times its bytes.
        #expect(Double(bytes(lossy)) / Double(length) < 2.5)
    }
}
