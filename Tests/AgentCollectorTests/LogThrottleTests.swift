import Collector
import SansIO
import Testing

@Suite struct LogThrottleTests {
    @Test func onePerPeriodPerKeyWithTheCountHeldBack() {
        var t = LogThrottle<Int>(period: .seconds(10))
        let s = { (x: Int64) in Instant(nanoseconds: x * 1_000_000_000) }
        #expect(t.admit(1, at: s(0)) == (true, 0))
        for i in 1...9 { #expect(t.admit(1, at: s(Int64(i))) == (false, 0)) }
        // Another key is its own.
        #expect(t.admit(2, at: s(5)) == (true, 0))
        // Past the period: logged, with the nine held back.
        #expect(t.admit(1, at: s(10)) == (true, 9))
        #expect(t.admit(1, at: s(11)) == (false, 0))
        #expect(t.admit(1, at: s(25)) == (true, 1))
        #expect(t.admit(2, at: s(100)) == (true, 0))
    }

    @Test func keysAreBounded() {
        var t = LogThrottle<Int>(period: .seconds(10), capacity: 100)
        for k in 0..<1_000 { #expect(t.admit(k, at: Instant(nanoseconds: Int64(k))).log) }
        #expect(t.count <= 100)
        // A key forgotten under pressure is logged again, never lost silently.
        var logged = 0
        for k in 0..<1_000 where t.admit(k, at: Instant(nanoseconds: 2_000)).log { logged += 1 }
        #expect(logged > 0 && t.count <= 100)
    }
}
