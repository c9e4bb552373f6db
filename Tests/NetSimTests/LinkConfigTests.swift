import Testing
import SansIO
@testable import NetSim

@Suite struct LinkConfigTests {
    @Test func gilbertElliottTransitionsFollowTheFormula() {
        let ge = GilbertElliott(meanLossRate: 0.2, meanBurstLength: 4)
        #expect(ge.badToGood == 0.25)
        #expect(abs(ge.goodToBad - 0.0625) < 1e-12)
        // Stationary loss p / (p + r) gives the configured rate back.
        #expect(abs(ge.goodToBad / (ge.goodToBad + ge.badToGood) - 0.2) < 1e-12)
    }

    @Test func outOfRangeValuesAreNamed() {
        #expect(throws: LinkConfigError.probabilityOutOfRange(.lossProbability, 1.5)) {
            try LinkConfig(lossProbability: 1.5).validate()
        }
        #expect(throws: LinkConfigError.probabilityOutOfRange(.corruptProbability, -0.1)) {
            try LinkConfig(corruptProbability: -0.1).validate()
        }
        #expect(throws: LinkConfigError.negativeDuration(.delay, .milliseconds(-1))) {
            try LinkConfig(delay: .milliseconds(-1)).validate()
        }
        #expect(throws: LinkConfigError.nonPositiveRate(0)) {
            try LinkConfig(bandwidth: Bandwidth(bitsPerSecond: 0, queueBytes: 10)).validate()
        }
        #expect(throws: LinkConfigError.burstLengthBelowOne(0.5)) {
            try LinkConfig(burstLoss: GilbertElliott(meanLossRate: 0.1, meanBurstLength: 0.5)).validate()
        }
        #expect(throws: LinkConfigError.burstLossUnreachable(meanLossRate: 0.6, meanBurstLength: 1)) {
            try LinkConfig(burstLoss: GilbertElliott(meanLossRate: 0.6, meanBurstLength: 1)).validate()
        }
        #expect(throws: LinkConfigError.negativeSize(.mtu, -1)) { try LinkConfig(mtu: -1).validate() }
        #expect(throws: LinkConfigError.self) { try Link(config: LinkConfig(duplicateProbability: .nan), seed: 1) }
        #expect(throws: Never.self) { try LinkConfig.perfect.validate() }
    }

    @Test func outageIsHalfOpen() {
        let o = Outage(start: ms(1000), duration: .seconds(1))
        #expect(!o.contains(ms(999)))
        #expect(o.contains(ms(1000)))
        #expect(o.contains(ms(1999)))
        #expect(!o.contains(ms(2000)))
    }
}
