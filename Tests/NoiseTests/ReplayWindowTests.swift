import Testing
@testable import Noise

struct ReplayWindowTests {
    func accept(_ w: inout ReplayWindow, _ pn: UInt64) -> Bool {
        guard w.check(pn) else { return false }
        w.commit(pn)
        return true
    }

    @Test func inOrderFromZero() {
        var w = ReplayWindow()
        for pn in 0..<5000 as Range<UInt64> { #expect(accept(&w, pn)) }
        #expect(w.highest == 4999)
    }

    @Test func duplicatesAreRefused() {
        var w = ReplayWindow()
        #expect(accept(&w, 0))
        #expect(!accept(&w, 0))
        #expect(accept(&w, 10))
        #expect(!accept(&w, 10))
        #expect(accept(&w, 5))
        #expect(!accept(&w, 5))
    }

    @Test func outOfOrderWithinTheWindow() {
        var w = ReplayWindow()
        #expect(accept(&w, 3000))
        for pn in stride(from: UInt64(2999), to: 953, by: -1) { #expect(accept(&w, pn), "\(pn)") }
        #expect(accept(&w, 3000 - 2047), "the oldest in the window")
        #expect(!accept(&w, 3000 - 2048), "just too old")
        #expect(!accept(&w, 0))
    }

    @Test func checkDoesNotCommit() {
        var w = ReplayWindow()
        #expect(w.check(7) && w.check(7))
        w.commit(7)
        #expect(!w.check(7))
        w.commit(7)  // a second commit changes nothing
        #expect(w.highest == 7)
    }

    @Test func jumpsLargerThanTheWindowClearEverything() {
        var w = ReplayWindow()
        for pn in 0..<100 as Range<UInt64> { w.commit(pn) }
        #expect(accept(&w, 100 + 10_000))
        // Everything in the new window except the highest is fresh, including slots that
        // held old bits at the same ring positions.
        for pn in (100 + 10_000 - 2047)..<(100 + 10_000) as Range<UInt64> { #expect(w.check(pn), "\(pn)") }
        #expect(!w.check(99))
        // A jump of exactly one window and a bit.
        #expect(accept(&w, 10_100 + 2048 + 64))
        #expect(w.check(10_100 + 2048 + 64 - 1))
        #expect(!w.check(10_100))
    }

    @Test func slidingReusesRingWordsCorrectly() {
        var w = ReplayWindow()
        // Every other packet, then the gaps: all fresh within the window.
        for pn in stride(from: UInt64(0), to: 8000, by: 2) { #expect(accept(&w, pn)) }
        for pn in stride(from: UInt64(8000 - 2047), to: 8000, by: 2) { #expect(accept(&w, pn), "\(pn)") }
        for pn in stride(from: UInt64(8000 - 2048), to: 8000, by: 2) { #expect(!w.check(pn), "\(pn)") }
    }

    @Test func nearTheTopOfTheRange() {
        var w = ReplayWindow()
        #expect(accept(&w, .max - 3000))
        #expect(accept(&w, .max))
        #expect(!accept(&w, .max))
        #expect(accept(&w, .max - 1))
        #expect(accept(&w, .max - 2047))
        #expect(!accept(&w, .max - 2048))
        #expect(!accept(&w, .max - 3000))
    }
}
