import Testing
import SansIO
@testable import NetSim

@Suite struct LinkImpairmentTests {
    @Test func duplicationRateIsNearConfigured() throws {
        var link = try Link(config: LinkConfig(delay: .milliseconds(5), duplicateProbability: 0.05), seed: 21)
        let deliveries = sendAndDrain(&link, count: 100_000, gap: .microseconds(100))
        let c = link.counters
        #expect(abs(Double(c.duplicated) / 100_000 - 0.05) < 0.005)
        #expect(deliveries.count == 100_000 + c.duplicated)
        #expect(deliveries.filter(\.isDuplicate).count == c.duplicated)
        // A duplicate carries its original's bytes.
        #expect(deliveries.allSatisfy { $0.datagram == payload($0.sequence) })
        #expect(balances(c))
    }

    @Test func corruptionFlipsExactlyOneBitAtTheConfiguredRate() throws {
        var link = try Link(config: LinkConfig(corruptProbability: 0.02), seed: 22)
        let deliveries = sendAndDrain(&link, count: 100_000, gap: .microseconds(100), length: 40)
        let c = link.counters
        #expect(abs(Double(c.corrupted) / 100_000 - 0.02) < 0.003)
        var corrupted = 0
        var bitPositions = Set<Int>()
        for d in deliveries {
            let original = payload(d.sequence, length: 40)
            let flipped = zip(d.datagram, original).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
            #expect(flipped == (d.isCorrupted ? 1 : 0))
            if d.isCorrupted {
                corrupted += 1
                if let byte = zip(d.datagram, original).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                    bitPositions.insert(byte.offset * 8 + (byte.element.0 ^ byte.element.1).trailingZeroBitCount)
                }
            }
        }
        #expect(corrupted == c.corrupted)
        #expect(bitPositions.count > 250)  // of 320 bits, ~2000 flips reach nearly all
    }

    @Test func datagramsOverTheMTUAreDropped() throws {
        var link = try Link(config: LinkConfig(mtu: 1400), seed: 23)
        for length in [0, 1, 1399, 1400, 1401, 9000] {
            link.send([UInt8](repeating: 7, count: length), to: bob, from: alice, at: .zero)
        }
        #expect(link.counters.droppedOverMTU == 2)
        var lengths: [Int] = []
        while let d = link.popDelivery(upTo: .zero) { lengths.append(d.datagram.count) }
        #expect(lengths == [0, 1, 1399, 1400])
    }

    @Test func outagesDropExactlyWhatIsSentInsideThem() throws {
        let outages = [Outage(start: ms(10_000), duration: .seconds(5)), Outage(start: ms(30_000), duration: .seconds(1)),
                       Outage(start: ms(30_500), duration: .seconds(1))]
        var link = try Link(config: LinkConfig(delay: .milliseconds(200), outages: outages), seed: 24)
        let deliveries = sendAndDrain(&link, count: 6_000, gap: .milliseconds(10))
        let inside = (0..<6_000).filter { i in outages.contains { $0.contains(ms(Int64(i) * 10)) } }
        #expect(inside.count == 500 + 150)
        #expect(link.counters.droppedOutage == inside.count)
        let delivered = Set(deliveries.map { Int($0.sequence) })
        #expect(delivered.isDisjoint(with: inside))
        #expect(delivered.count + inside.count == 6_000)
        // Copies sent just before an outage still arrive during it.
        #expect(delivered.contains(999) && !delivered.contains(1000) && delivered.contains(1500))
    }

    @Test func sendReportsTheFate() throws {
        var link = try Link(config: LinkConfig(mtu: 10, outages: [Outage(start: ms(5), duration: .milliseconds(5))]), seed: 25)
        #expect(link.send([1, 2, 3], to: bob, from: alice, at: .zero) == .scheduled(copies: 1))
        #expect(link.send([UInt8](repeating: 0, count: 11), to: bob, from: alice, at: .zero) == .dropped(.overMTU))
        #expect(link.send([1], to: bob, from: alice, at: ms(6)) == .dropped(.outage))
        let d = link.popDelivery(upTo: .zero)
        #expect(d?.source == alice && d?.destination == bob && d?.datagram == [1, 2, 3])
        #expect(link.popDelivery(upTo: .zero) == nil)
        #expect(link.nextDelivery() == nil)
    }
}
