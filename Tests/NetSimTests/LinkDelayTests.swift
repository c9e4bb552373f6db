import Testing
import SansIO
@testable import NetSim

@Suite struct LinkDelayTests {
    @Test func fixedDelayKeepsOrder() throws {
        var link = try Link(config: LinkConfig(delay: .milliseconds(160)), seed: 1)
        let deliveries = sendAndDrain(&link, count: 1000, gap: .milliseconds(1))
        #expect(deliveries.allSatisfy { $0.arrivesAt - $0.sentAt == .milliseconds(160) })
        #expect(deliveries.map(\.sequence) == (0..<1000).map(UInt64.init))
        #expect(link.counters.deliveredOutOfOrder == 0)
    }

    @Test func uniformJitterStaysInBoundsAndReordersWhenWiderThanTheGap() throws {
        let config = LinkConfig(delay: .milliseconds(100), jitter: .uniform(.milliseconds(20)))
        var link = try Link(config: config, seed: 2)
        let deliveries = sendAndDrain(&link, count: 10_000, gap: .milliseconds(1))
        #expect(deliveries.count == 10_000)
        let delays = deliveries.map { $0.arrivesAt - $0.sentAt }
        #expect(delays.allSatisfy { $0 >= .milliseconds(80) && $0 <= .milliseconds(120) })
        // Both ends of the range are reached, roughly.
        #expect((delays.min() ?? .zero) < .milliseconds(81) && (delays.max() ?? .zero) > .milliseconds(119))
        #expect(link.counters.deliveredOutOfOrder > 1000)
        #expect(link.counters.reordered == 0)
        // Arrival order is the order popDelivery hands them out.
        #expect(zip(deliveries, deliveries.dropFirst()).allSatisfy { $0.arrivesAt <= $1.arrivesAt })
    }

    @Test func jitterNarrowerThanTheGapDoesNotReorder() throws {
        let config = LinkConfig(delay: .milliseconds(100), jitter: .uniform(.milliseconds(4)))
        var link = try Link(config: config, seed: 3)
        _ = sendAndDrain(&link, count: 5_000, gap: .milliseconds(10))
        #expect(link.counters.deliveredOutOfOrder == 0)
    }

    @Test func normalJitterNeverMakesDelayNegative() throws {
        let config = LinkConfig(delay: .milliseconds(10), jitter: .normal(standardDeviation: .milliseconds(20)))
        var link = try Link(config: config, seed: 4)
        let delays = sendAndDrain(&link, count: 20_000, gap: .milliseconds(1)).map { $0.arrivesAt - $0.sentAt }
        #expect(delays.allSatisfy { $0 >= .zero })
        #expect(delays.filter { $0 == .zero }.count > 5_000)  // about 31 % clamp to zero
        let mean = delays.map(\.seconds).reduce(0, +) / Double(delays.count)
        #expect(mean > 0.010 && mean < 0.020)  // the clamp raises the mean above 10 ms
    }

    @Test func reorderingDelaysTheConfiguredShareAndIsOvertaken() throws {
        let config = LinkConfig(delay: .milliseconds(50), reorderProbability: 0.05, reorderDelay: .milliseconds(30))
        var link = try Link(config: config, seed: 5)
        let deliveries = sendAndDrain(&link, count: 20_000, gap: .milliseconds(1))
        let c = link.counters
        #expect(abs(Double(c.reordered) / 20_000 - 0.05) < 0.01)
        #expect(deliveries.filter(\.isReordered).allSatisfy { $0.arrivesAt - $0.sentAt == .milliseconds(80) })
        #expect(c.deliveredOutOfOrder > 0 && c.deliveredOutOfOrder <= c.reordered)
    }
}
