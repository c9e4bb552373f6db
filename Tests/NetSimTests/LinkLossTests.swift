import Testing
import SansIO
@testable import NetSim

@Suite struct LinkLossTests {
    @Test func independentLossRateIsNearConfigured() throws {
        var link = try Link(config: LinkConfig(lossProbability: 0.12), seed: 11)
        let deliveries = sendAndDrain(&link, count: 100_000, gap: .microseconds(100), length: 16)
        let c = link.counters
        #expect(c.sentDatagrams == 100_000)
        #expect(abs(Double(c.droppedRandomLoss) / 100_000 - 0.12) < 0.01)
        #expect(c.droppedTotal == c.droppedRandomLoss)
        #expect(deliveries.count == 100_000 - c.droppedRandomLoss)
        #expect(c.deliveredBytes == deliveries.count * 16)
        #expect(balances(c) && c.inFlight == 0)
    }

    @Test(arguments: [(0.12, 4.0), (0.05, 1.5), (0.3, 10.0)])
    func burstLossHasTheConfiguredMeanRateAndBurstLength(rate: Double, burst: Double) throws {
        let config = LinkConfig(burstLoss: GilbertElliott(meanLossRate: rate, meanBurstLength: burst))
        var link = try Link(config: config, seed: 12)
        let n = 200_000
        let deliveries = sendAndDrain(&link, count: n, gap: .microseconds(100), length: 16)
        var received = [Bool](repeating: false, count: n)
        for d in deliveries { received[Int(d.sequence)] = true }
        // Runs of consecutive lost datagrams.
        var bursts: [Int] = []
        var run = 0
        for got in received {
            if got {
                if run > 0 { bursts.append(run) }
                run = 0
            } else {
                run += 1
            }
        }
        if run > 0 { bursts.append(run) }
        let lost = bursts.reduce(0, +)
        #expect(lost == link.counters.droppedBurstLoss)
        #expect(abs(Double(lost) / Double(n) - rate) < rate * 0.15)
        let meanBurst = Double(lost) / Double(bursts.count)
        #expect(abs(meanBurst - burst) < burst * 0.1, "mean burst \(meanBurst)")
    }

    @Test func burstLossIsBurstierThanIndependentLossOfTheSameRate() throws {
        func longestRun(_ config: LinkConfig) throws -> Int {
            var link = try Link(config: config, seed: 13)
            let seqs = sendAndDrain(&link, count: 50_000, gap: .milliseconds(1), length: 16).map(\.sequence)
            return zip(seqs, seqs.dropFirst()).map { Int($1 - $0) - 1 }.max() ?? 0
        }
        let bursty = try longestRun(LinkConfig(burstLoss: GilbertElliott(meanLossRate: 0.1, meanBurstLength: 8)))
        let iid = try longestRun(LinkConfig(lossProbability: 0.1))
        #expect(bursty > 2 * iid)
    }
}
