import Testing
import SansIO
@testable import NetSim

@Suite struct LinkDeterminismTests {
    static let everything = LinkConfig(
        lossProbability: 0.05, burstLoss: GilbertElliott(meanLossRate: 0.07, meanBurstLength: 3),
        delay: .milliseconds(160), jitter: .normal(standardDeviation: .milliseconds(15)),
        reorderProbability: 0.02, reorderDelay: .milliseconds(40), duplicateProbability: 0.01,
        corruptProbability: 0.01, bandwidth: Bandwidth(bitsPerSecond: 2_000_000, queueBytes: 30_000),
        mtu: 1_400, outages: [Outage(start: ms(3_000), duration: .seconds(1))])

    static func trace(seed: UInt64) throws -> ([Delivery], LinkCounters) {
        var link = try Link(config: everything, seed: seed)
        let deliveries = sendAndDrain(&link, count: 5_000, gap: .milliseconds(2), length: 600)
        return (deliveries, link.counters)
    }

    @Test func theSameSeedGivesTheSameTrace() throws {
        let (first, firstCounters) = try Self.trace(seed: 99)
        let (second, secondCounters) = try Self.trace(seed: 99)
        #expect(first == second)
        #expect(firstCounters == secondCounters)
        #expect(balances(firstCounters))
        // Every impairment happened at least once, so the trace exercises all of them.
        for reason in [DropReason.randomLoss, .burstLoss, .outage, .queueOverflow] {
            #expect(firstCounters[dropped: reason] > 0, "\(reason)")
        }
        #expect(firstCounters.duplicated > 0 && firstCounters.corrupted > 0 && firstCounters.reordered > 0)
    }

    @Test func aDifferentSeedGivesADifferentTrace() throws {
        let (first, _) = try Self.trace(seed: 99)
        let (other, _) = try Self.trace(seed: 100)
        #expect(first != other)
    }

    @Test func equalArrivalTimesComeOutInSendOrder() throws {
        var link = try Link(config: LinkConfig(delay: .milliseconds(10)), seed: 1)
        for i in 0..<100 { link.send([UInt8(i)], to: bob, from: alice, at: .zero) }
        var order: [UInt8] = []
        while let d = link.popDelivery(upTo: ms(10)) { order.append(d.datagram[0]) }
        #expect(order == (0..<100).map(UInt8.init))
    }
}
