import Testing
import SansIO

@Suite struct DurationTextTests {
    @Test func readsEveryUnit() {
        #expect(DurationText.parse("320ms") == .milliseconds(320))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("30m") == .seconds(1800))
        #expect(DurationText.parse("2h") == .seconds(7200))
        #expect(DurationText.parse("7d") == .seconds(7 * 86_400))
        #expect(DurationText.parse("250us") == .microseconds(250))
        #expect(DurationText.parse("250µs") == .microseconds(250))
        #expect(DurationText.parse("10ns") == .nanoseconds(10))
    }

    @Test func refusesWhatIsNotADuration() {
        for text in ["", "7", "d", "-2h", "1e3s", "1.2.3s", ".s", "3 days", "7D", "99999999999d"] {
            #expect(DurationText.parse(text) == nil, "\(text)")
        }
    }
}
