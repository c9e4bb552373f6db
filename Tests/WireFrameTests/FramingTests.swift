import Testing
import TestSupport
import FEC
@testable import WireFrame

func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

@Suite struct FramingTests {
    @Test(arguments: [576, 1000, 1400, 1472])
    func datagramsNeverExceedTheLimitAndRoundTrip(maxDatagram: Int) throws {
        let config = try FrameConfig(maxDatagram: maxDatagram)
        for (i, length) in [1, 7, config.maxSymbol, config.maxSymbol + 1, 64 * config.maxSymbol + 3, 150_000].enumerated() {
            let data = randomBytes(length, seed: UInt64(length))
            let address = WindowAddress(stream: 2, seq: UInt32(i + 1))
            var w = try OutgoingWindow(address: address, compressed: data, config: config)
            var pn: UInt64 = 0
            let datagrams = w.initialDatagrams(lossRate: 0.12, config: config, packetNumber: &pn, protection: NullProtection())
            #expect(datagrams.allSatisfy { $0.count <= maxDatagram })
            // Equal-size symbols: every datagram of a window has the same length.
            #expect(Set(datagrams.map(\.count)).count == 1)
            var r = Reassembler()
            var got: [UInt8]?
            for d in datagrams.reversed() {
                if case .window(_, let bytes, _) = r.receive(datagram: d, protection: NullProtection()) { got = bytes }
            }
            #expect(got == data, "length \(length)")
            #expect(r.bufferedBytes == 0)
        }
    }

    @Test func layoutFollowsTheSpec() throws {
        let l = try WindowLayout(windowLength: 10_000, maxSymbol: 1349)
        #expect(l.sourceSymbols == 8)
        #expect(l.symbolSize == 1250)
        #expect(l.blockCount == 1)
        let big = try WindowLayout(windowLength: 200_000, maxSymbol: 1349)
        #expect(big.blockCount == 3)
        #expect(big.sourceCount(block: 2) == big.sourceSymbols - 128)
        #expect(throws: FrameError.self) { try WindowLayout(windowLength: 255 * 64 * 1349 + 1, maxSymbol: 1349) }
        #expect(throws: FrameError.self) { try FrameConfig(maxDatagram: 575) }
        #expect(throws: FrameError.self) { try FrameConfig(maxDatagram: 1473) }
    }

    @Test func badDatagramsAreDroppedAndCounted() throws {
        let config = try FrameConfig()
        var w = try OutgoingWindow(address: WindowAddress(stream: 1, seq: 1), compressed: randomBytes(3000, seed: 1), config: config)
        var pn: UInt64 = 0
        let good = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())[0]
        var r = Reassembler()
        func mutate(_ f: (inout [UInt8]) -> Void) -> [UInt8] { var d = good; f(&d); return d }
        let cases: [([UInt8], String)] = [
            (Array(good.prefix(40)), "too_short"),
            (mutate { $0[0] = 0x21 }, "unknown_version"),
            (mutate { $0[0] = 0x1F }, "unknown_type"),
            (good + Array(repeating: 0, count: 1473 - good.count), "too_long"),
            (mutate { $0[21] = 1 }, "inconsistent_layout"),  // block 1 of a one-block window
            (mutate { $0.replaceSubrange(23..<27, with: [0, 0, 0, 0]) }, "inconsistent_layout"),  // empty window
            (mutate { $0.replaceSubrange(23..<27, with: [0xFF, 0xFF, 0xFF, 0xFF]) }, "window_too_large"),
            (mutate { $0[$0.count - 1] = 1 }, "authentication_failed"),
        ]
        for (d, reason) in cases {
            guard case .dropped(let e) = r.receive(datagram: d, protection: NullProtection()) else { Issue.record("accepted: \(reason)"); continue }
            #expect(e.reason.rawValue == reason)
        }
        #expect(r.dropped.values.reduce(0, +) == cases.count)
        // A symbol seen twice is a duplicate, not a second copy.
        #expect(r.receive(datagram: good, protection: NullProtection()) == .progress(WindowAddress(stream: 1, seq: 1), missing: 2, packetNumber: 1))
        #expect(r.receive(datagram: good, protection: NullProtection()) == .duplicate(WindowAddress(stream: 1, seq: 1), packetNumber: 1))
        // The same window with another length (null protection does not cover the header).
        let other = mutate { $0.replaceSubrange(23..<27, with: [0, 0, 0x0B, 0xB7]) }  // 2999 bytes: same layout shape
        #expect(r.receive(datagram: other, protection: NullProtection()) == .dropped(.conflictsWithEarlier("window length 2999 / symbol size 1000 differ from earlier symbols")))
    }

    /// A receiver holds at most `maxBufferedBytes`, including the window being received:
    /// one huge window cannot take more.
    @Test func oneWindowCannotExceedTheMemoryBound() throws {
        let config = try FrameConfig()
        var r = Reassembler()
        r.maxBufferedBytes = 20_000
        let a = WindowAddress(stream: 1, seq: 1)
        var w = try OutgoingWindow(address: a, compressed: randomBytes(100_000, seed: 3), config: config)
        var pn: UInt64 = 0
        let d = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
        var events: [ReassemblyEvent] = []
        for x in d.dropFirst() { events.append(r.receive(datagram: x, protection: NullProtection())) }  // the first is lost: the window never completes
        #expect(events.contains(.dropped(.overMemoryBound(windowLength: 100_000))))
        #expect(r.bufferedBytes <= 20_000)
        #expect(r.dropped[.overMemoryBound, default: 0] > 0)
    }

    @Test func memoryIsBoundedByEvictingTheOldestWindow() throws {
        let config = try FrameConfig()
        var r = Reassembler()
        r.maxPartialWindows = 10
        var pn: UInt64 = 0
        for seq in 1...50 {
            var w = try OutgoingWindow(address: WindowAddress(stream: 1, seq: UInt32(seq)), compressed: randomBytes(5000, seed: UInt64(seq)), config: config)
            let d = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
            _ = r.receive(datagram: d[0], protection: NullProtection())  // never complete
        }
        #expect(r.partialWindows == 10)
        #expect(r.dropped[.evictedPartialWindow] == 40)
        #expect(r.bufferedBytes == 10 * 1250)
    }

    @Test func repairSendsFreshParityUntilTheBlockDecodes() throws {
        let config = try FrameConfig()
        let data = randomBytes(100_000, seed: 5)  // 75 symbols: two blocks
        let a = WindowAddress(stream: 1, seq: 1)
        var w = try OutgoingWindow(address: a, compressed: data, config: config)
        var pn: UInt64 = 0
        let first = w.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
        var r = Reassembler()
        // Lose every fifth datagram; parity from repair fills the gaps whatever was lost.
        for (i, d) in first.enumerated() where i % 5 != 0 { _ = r.receive(datagram: d, protection: NullProtection()) }
        let missing = try #require(r.missing(a))
        #expect(missing.reduce(0, +) == first.count / 5 + (first.count % 5 == 0 ? 0 : 1))
        var result: [UInt8]?
        for (b, n) in missing.enumerated() where n > 0 {
            for d in w.parity(block: b, count: n, packetNumber: &pn, protection: NullProtection()) {
                if case .window(_, let bytes, _) = r.receive(datagram: d, protection: NullProtection()) { result = bytes }
            }
        }
        #expect(result == data)
    }
}
