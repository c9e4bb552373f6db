import Testing
import SansIO

@Suite struct InstantTests {
    @Test func arithmeticRoundTrips() {
        let t = Instant.zero + .milliseconds(320)
        #expect(t.nanoseconds == 320_000_000)
        #expect(t - Instant.zero == .milliseconds(320))
        #expect((t - .milliseconds(20)).nanoseconds == 300_000_000)
        #expect(Instant.zero < t)
        #expect(Instant.zero - t == .milliseconds(-320))
    }

    @Test func durationNanosecondsTruncateAndSaturate() {
        #expect(Duration.microseconds(1.5).nanoseconds == 1_500)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
        #expect(Duration.milliseconds(250).seconds == 0.25)
    }
}
