import Testing
import TestSupport
import FEC
@testable import WireFrame

func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// A one-window bundle of `data` (what a receiver rebuilds: directory and window).
func bundle(_ id: UInt32, _ data: [UInt8], config: FrameConfig) throws -> (OutgoingBundle, [UInt8]) {
    let a = WindowAddress(stream: 2, seq: id)
    return (try OutgoingBundle(id: id, windows: [(a, data)], config: config), BundleDirectory.bundle([(a, data)]))
}

@Suite struct FramingTests {
    @Test(arguments: [576, 1000, 1400, 1472])
    func datagramsNeverExceedTheLimitAndRoundTrip(maxDatagram: Int) throws {
        let config = try FrameConfig(maxDatagram: maxDatagram)
        for (i, length) in [1, 7, config.maxSymbol, config.maxSymbol + 1, 64 * config.maxSymbol + 3, 150_000].enumerated() {
            let data = randomBytes(length, seed: UInt64(length))
            var (w, bytes) = try bundle(UInt32(i + 1), data, config: config)
            var pn: UInt64 = 0
            let datagrams = w.initialDatagrams(lossRate: 0.12, config: config, packetNumber: &pn, protection: NullProtection())
            #expect(datagrams.allSatisfy { $0.count <= maxDatagram })
            // Equal-size symbols: every datagram of a bundle has the same length.
            #expect(Set(datagrams.map(\.count)).count == 1)
            var r = Reassembler()
            var got: [UInt8]?
            for d in datagrams.reversed() {
                if case .bundle(_, let bytes, _) = r.receive(datagram: d, protection: NullProtection()) { got = bytes }
            }
            #expect(got == bytes, "length \(length)")
            #expect(try BundleDirectory.parse(try #require(got)).1 == [data[...]])
            #expect(r.bufferedBytes == 0)
        }
    }

    @Test func layoutFollowsTheSpec() throws {
        let l = try BundleLayout(bundleLength: 10_000, maxSymbol: 1349)
        #expect(l.sourceSymbols == 8)
        #expect(l.symbolSize == 1250)
        #expect(l.blockCount == 1)
        let big = try BundleLayout(bundleLength: 200_000, maxSymbol: 1349)
        #expect(big.blockCount == 3)
        #expect(big.sourceCount(block: 2) == big.sourceSymbols - 128)
        #expect(throws: FrameError.self) { try BundleLayout(bundleLength: 255 * 64 * 1349 + 1, maxSymbol: 1349) }
        // The header is 23 bytes, big-endian, in the order of SPEC.md §6.3.
        let h = try DatagramHeader(connectionID: 0x0102_0304, packetNumber: 0x1122_3344_5566_7788, bundle: 0xAABB_CCDD, blockIndex: 0,
                                   symbolIndex: 9, layout: try BundleLayout(bundleLength: 0x0102, symbolSize: 0x0102))
        var out: [UInt8] = []
        h.write(into: &out)
        #expect(out == [0x21, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xAA, 0xBB, 0xCC, 0xDD, 0, 9, 0, 0, 1, 2])
        #expect(throws: FrameError.self) { try FrameConfig(maxDatagram: 575) }
        #expect(throws: FrameError.self) { try FrameConfig(maxDatagram: 1473) }
    }

    @Test func badDatagramsAreDroppedAndCounted() throws {
        let config = try FrameConfig()
        var (w, _) = try bundle(1, randomBytes(2995, seed: 1), config: config)
        var pn: UInt64 = 0
        let good = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())[0]
        var r = Reassembler()
        func mutate(_ f: (inout [UInt8]) -> Void) -> [UInt8] { var d = good; f(&d); return d }
        let cases: [([UInt8], String)] = [
            (Array(good.prefix(39)), "too_short"),
            (mutate { $0[0] = 0x11 }, "unknown_version"),
            (mutate { $0[0] = 0x2F }, "unknown_type"),
            (good + Array(repeating: 0, count: 1473 - good.count), "too_long"),
            (mutate { $0[17] = 1 }, "inconsistent_layout"),  // block 1 of a one-block bundle
            (mutate { $0.replaceSubrange(19..<23, with: [0, 0, 0, 0]) }, "inconsistent_layout"),  // empty bundle
            (mutate { $0.replaceSubrange(19..<23, with: [0xFF, 0xFF, 0xFF, 0xFF]) }, "bundle_too_large"),
            (mutate { $0[$0.count - 1] = 1 }, "authentication_failed"),
        ]
        for (d, reason) in cases {
            guard case .dropped(let e) = r.receive(datagram: d, protection: NullProtection()) else { Issue.record("accepted: \(reason)"); continue }
            #expect(e.reason.rawValue == reason)
        }
        #expect(r.dropped.values.reduce(0, +) == cases.count)
        // A symbol seen twice is a duplicate, not a second copy.
        #expect(w.layout.bundleLength == 3000 && w.layout.sourceSymbols == 3)
        #expect(r.receive(datagram: good, protection: NullProtection()) == .progress(1, missing: 2, packetNumber: 1))
        #expect(r.receive(datagram: good, protection: NullProtection()) == .duplicate(1, packetNumber: 1))
        // The same bundle with another length (null protection does not cover the header).
        let other = mutate { $0.replaceSubrange(19..<23, with: [0, 0, 0x0B, 0xB7]) }  // 2999 bytes: same layout shape
        #expect(r.receive(datagram: other, protection: NullProtection()) == .dropped(.conflictsWithEarlier("bundle length 2999 / symbol size 1000 differ from earlier symbols")))
    }

    /// A receiver holds at most `maxBufferedBytes`, including the window being received:
    /// one huge window cannot take more.
    @Test func oneWindowCannotExceedTheMemoryBound() throws {
        let config = try FrameConfig()
        var r = Reassembler()
        r.maxBufferedBytes = 20_000
        var (w, _) = try bundle(1, randomBytes(100_000, seed: 3), config: config)
        var pn: UInt64 = 0
        let d = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
        var events: [ReassemblyEvent] = []
        for x in d.dropFirst() { events.append(r.receive(datagram: x, protection: NullProtection())) }  // the first is lost: the window never completes
        #expect(events.contains(.dropped(.overMemoryBound(bundleLength: w.layout.bundleLength))))
        #expect(r.bufferedBytes <= 20_000)
        #expect(r.dropped[.overMemoryBound, default: 0] > 0)
    }

    @Test func memoryIsBoundedByEvictingTheOldestWindow() throws {
        let config = try FrameConfig()
        var r = Reassembler()
        r.maxPartialBundles = 10
        var pn: UInt64 = 0
        for seq in 1...50 {
            var (w, _) = try bundle(UInt32(seq), randomBytes(4995, seed: UInt64(seq)), config: config)
            let d = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
            _ = r.receive(datagram: d[0], protection: NullProtection())  // never complete
        }
        #expect(r.partialBundles == 10)
        #expect(r.partialIDs == Array(41...50))
        #expect(r.dropped[.evictedPartialBundle] == 40)
        #expect(r.bufferedBytes == 10 * 1250)
    }

    @Test func repairSendsFreshParityUntilTheBlockDecodes() throws {
        let config = try FrameConfig()
        let data = randomBytes(100_000, seed: 5)  // 75 symbols: two blocks
        var (w, bytes) = try bundle(1, data, config: config)
        var pn: UInt64 = 0
        let first = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
        var r = Reassembler()
        // Lose every fifth datagram; parity from repair fills the gaps whatever was lost.
        for (i, d) in first.enumerated() where i % 5 != 0 { _ = r.receive(datagram: d, protection: NullProtection()) }
        let missing = try #require(r.missing(1))
        #expect(missing.reduce(0, +) == first.count / 5 + (first.count % 5 == 0 ? 0 : 1))
        var result: [UInt8]?
        for (b, n) in missing.enumerated() where n > 0 {
            for d in w.parity(block: b, count: n, packetNumber: &pn, protection: NullProtection()) {
                if case .bundle(_, let got, _) = r.receive(datagram: d, protection: NullProtection()) { result = got }
            }
        }
        #expect(result == bytes)
    }
}

@Suite struct BundleDirectoryTests {
    @Test func directoryRoundTripsAndDescribesTheBundleExactly() throws {
        let windows: [(WindowAddress, [UInt8])] = [(WindowAddress(stream: 1, seq: 300), [1, 2, 3]),
                                                   (WindowAddress(stream: 0xFFFF_FFFF, seq: 1), Array(repeating: 7, count: 200))]
        let bytes = BundleDirectory.bundle(windows)
        // count 2; stream 1, seq 300 (ac 02), length 3; stream 2^32-1 (5 bytes), seq 1, length 200 (c8 01)
        #expect(Array(bytes.prefix(15)) == [2, 1, 0xAC, 0x02, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 0xC8, 0x01, 1, 2])
        let (dir, parts) = try BundleDirectory.parse(bytes)
        #expect(dir.entries.map(\.address) == windows.map(\.0))
        #expect(parts.map(Array.init) == windows.map(\.1))
        // Every truncation and every extra byte is a bad directory, never a crash.
        for n in 0..<bytes.count {
            #expect(throws: FrameError.self) { try BundleDirectory.parse(Array(bytes.prefix(n))) }
        }
        #expect(throws: FrameError.self) { try BundleDirectory.parse(bytes + [0]) }
        // No windows, an empty window, a stream above 32 bits, a varint of 11 bytes.
        for bad: [UInt8] in [[0], [1, 1, 1, 0], [1, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 1, 9],
                             [1] + Array(repeating: 0x80, count: 10) + [0, 1, 1, 9]] {
            #expect(throws: FrameError.self) { try BundleDirectory.parse(bad) }
        }
    }
}
