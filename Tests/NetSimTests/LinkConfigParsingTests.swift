import Testing
import SansIO
@testable import NetSim

@Suite struct LinkConfigParsingTests {
    @Test func readsEveryKey() throws {
        let config = try LinkConfig.parse(
            "loss=12% burst=5%/4 delay=160ms jitter=10ms reorder=1%/30ms dup=0.5% corrupt=0.1%,"
                + "rate=64kbit queue=16KB mtu=1472 outage=60s@10m outage=1.5s@30m")
        #expect(config.lossProbability == 0.12)
        #expect(config.burstLoss == GilbertElliott(meanLossRate: 0.05, meanBurstLength: 4))
        #expect(config.delay == .milliseconds(160))
        #expect(config.jitter == .uniform(.milliseconds(10)))
        #expect(config.reorderProbability == 0.01 && config.reorderDelay == .milliseconds(30))
        #expect(config.duplicateProbability == 0.005)
        #expect(config.corruptProbability == 0.001)
        #expect(config.bandwidth == Bandwidth(bitsPerSecond: 64_000, queueBytes: 16_000))
        #expect(config.mtu == 1472)
        #expect(config.outages == [Outage(start: ms(600_000), duration: .seconds(60)),
                                   Outage(start: ms(1_800_000), duration: .milliseconds(1_500))])
        #expect(try LinkConfig.parse("") == .perfect)
        #expect(try LinkConfig.parse("jitter-sd=5ms rate=1mbit/s").jitter == .normal(standardDeviation: .milliseconds(5)))
        #expect(try LinkConfig.parse("rate=1mbit").bandwidth?.queueBytes == LinkConfig.defaultQueueBytes)
    }

    @Test func readsUnits() throws {
        #expect(try LinkConfig.parseProbability("0.25") == 0.25)
        #expect(try LinkConfig.parseProbability("100%") == 1)
        #expect(try LinkConfig.parseDuration("30m") == .seconds(1_800))
        #expect(try LinkConfig.parseDuration("2h") == .seconds(7_200))
        #expect(try LinkConfig.parseDuration("250us") == .microseconds(250))
        #expect(try LinkConfig.parseDuration("7ns") == .nanoseconds(7))
        #expect(try LinkConfig.parseDuration("0.5s") == .milliseconds(500))
        #expect(try LinkConfig.parseBitRate("9600bit") == 9_600)
        #expect(try LinkConfig.parseBitRate("1.5mbit") == 1_500_000)
        #expect(try LinkConfig.parseBitRate("2gbit/s") == 2_000_000_000)
        #expect(try LinkConfig.parseByteCount("16KiB") == 16_384)
        #expect(try LinkConfig.parseByteCount("1MB") == 1_000_000)
        #expect(try LinkConfig.parseByteCount("1472B") == 1_472)
        #expect(try LinkConfig.parseOutage("60s@10m") == Outage(start: ms(600_000), duration: .seconds(60)))
    }

    @Test func errorsNameTheBadValue() {
        #expect(throws: LinkConfigParseError.badProbability("150%")) { try LinkConfig.parse("loss=150%") }
        #expect(throws: LinkConfigParseError.badProbability("-1%")) { try LinkConfig.parse("dup=-1%") }
        #expect(throws: LinkConfigParseError.badDuration("320")) { try LinkConfig.parse("delay=320") }
        #expect(throws: LinkConfigParseError.badDuration("1e3ms")) { try LinkConfig.parse("delay=1e3ms") }
        #expect(throws: LinkConfigParseError.badBitRate("64kbps")) { try LinkConfig.parse("rate=64kbps") }
        #expect(throws: LinkConfigParseError.badBitRate("0kbit")) { try LinkConfig.parse("rate=0kbit") }
        #expect(throws: LinkConfigParseError.badByteCount("1.5B")) { try LinkConfig.parse("mtu=1.5B") }
        #expect(throws: LinkConfigParseError.badOutage("60s")) { try LinkConfig.parse("outage=60s") }
        #expect(throws: LinkConfigParseError.badOutage("60s@ten")) { try LinkConfig.parse("outage=60s@ten") }
        #expect(throws: LinkConfigParseError.badBurstLoss("12%")) { try LinkConfig.parse("burst=12%") }
        #expect(throws: LinkConfigParseError.badReorder("1%")) { try LinkConfig.parse("reorder=1%") }
        #expect(throws: LinkConfigParseError.unknownKey("latency")) { try LinkConfig.parse("latency=5ms") }
        #expect(throws: LinkConfigParseError.missingValue("loss")) { try LinkConfig.parse("loss") }
        #expect(throws: LinkConfigParseError.repeatedKey("loss")) { try LinkConfig.parse("loss=1% loss=2%") }
        #expect(throws: LinkConfigParseError.repeatedKey("jitter-sd")) { try LinkConfig.parse("jitter=1ms jitter-sd=1ms") }
        #expect(throws: LinkConfigParseError.queueWithoutRate("1KB")) { try LinkConfig.parse("queue=1KB") }
        #expect(throws: LinkConfigParseError.invalid(.burstLossUnreachable(meanLossRate: 0.6, meanBurstLength: 1))) {
            try LinkConfig.parse("burst=60%/1")
        }
    }
}
