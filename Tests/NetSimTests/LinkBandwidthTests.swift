import Testing
import SansIO
@testable import NetSim

@Suite struct LinkBandwidthTests {
    static let rate: Int64 = 64_000

    @Test func anOverloadedLinkDeliversAtMostItsRateAndBoundsItsQueue() throws {
        let config = LinkConfig(bandwidth: Bandwidth(bitsPerSecond: Self.rate, queueBytes: 16_000))
        var link = try Link(config: config, seed: 31)
        // 1000 bytes every 50 ms: 160 kbit/s offered, 2.5 times the cap, for 60 s.
        let deliveries = sendAndDrain(&link, count: 1_200, gap: .milliseconds(50), length: 1_000)
        let c = link.counters
        var bytes = 0
        for d in deliveries {
            bytes += d.datagram.count
            let allowed = Double(Self.rate) / 8 * (d.arrivesAt - .zero).seconds + 1_000
            #expect(Double(bytes) <= allowed, "\(bytes) bytes by \(d.arrivesAt)")
        }
        #expect(c.maxQueueBytes <= 16_000 && c.maxQueueBytes > 15_000)
        #expect(c.droppedQueueOverflow > 600)
        // 125 ms a datagram: about 480 in 60 s, plus the 16 left in the queue.
        #expect(abs(deliveries.count - 496) <= 3)
        #expect(balances(c) && c.droppedTotal == c.droppedQueueOverflow)
    }

    @Test func aLinkUnderItsRateDropsNothingAndAddsTheSerialisationDelay() throws {
        let config = LinkConfig(delay: .milliseconds(100), bandwidth: Bandwidth(bitsPerSecond: Self.rate, queueBytes: 4_000))
        var link = try Link(config: config, seed: 32)
        let deliveries = sendAndDrain(&link, count: 300, gap: .milliseconds(200), length: 1_000)
        #expect(deliveries.count == 300)
        #expect(deliveries.allSatisfy { $0.arrivesAt - $0.sentAt == .milliseconds(225) })
        #expect(link.counters.maxQueueBytes == 1_000)
    }

    @Test func aBurstQueuesBehindTheFirstDatagram() throws {
        let config = LinkConfig(bandwidth: Bandwidth(bitsPerSecond: 8_000_000, queueBytes: 3_000))
        var link = try Link(config: config, seed: 33)
        for _ in 0..<4 { link.send([UInt8](repeating: 1, count: 1_000), to: bob, from: alice, at: .zero) }
        #expect(link.counters.droppedQueueOverflow == 1)
        #expect(link.counters.maxQueueBytes == 3_000)
        var arrivals: [Instant] = []
        while let d = link.popDelivery(upTo: ms(10)) { arrivals.append(d.arrivesAt) }
        #expect(arrivals == [ms(1), ms(2), ms(3)])
        // A datagram sent half-way through its predecessor finds 500 bytes ahead of it:
        // two more fit (1500, 2500 bytes queued), the third (3500) does not.
        link.send([UInt8](repeating: 1, count: 1_000), to: bob, from: alice, at: ms(3))
        for _ in 0..<3 {
            link.send([UInt8](repeating: 1, count: 1_000), to: bob, from: alice, at: Instant(nanoseconds: 3_500_000))
        }
        #expect(link.counters.droppedQueueOverflow == 2)
        #expect(link.counters.maxQueueBytes == 3_000)
    }

    @Test func serialisationArithmeticRoundsUp() {
        #expect(Link.serialisationTime(of: 1_000, at: 64_000) == .milliseconds(125))
        #expect(Link.serialisationTime(of: 1, at: 3) == .nanoseconds(2_666_666_667))
        #expect(Link.bytes(in: .milliseconds(125), at: 64_000) == 1_000)
        #expect(Link.bytes(in: .nanoseconds(1), at: 64_000) == 1)
        #expect(Link.bytes(in: .zero, at: 64_000) == 0)
    }
}
