import Testing
import Pprof

/// The memo `PprofSnapshot.tables(known:)` looks strings up in by their bytes.
@Suite struct PprofStringMemoTests {
    func lookup(_ memo: PprofStringMemo, _ s: String) -> UInt64? {
        Array(s.utf8).withUnsafeBytes { memo.value(for: $0) }
    }

    @Test func findsWhatWasInsertedAndNothingElse() {
        var memo = PprofStringMemo()
        #expect(lookup(memo, "") == nil)
        // Lengths around the hash's 8-byte words, shared prefixes, the empty string.
        let strings = [""] + (0..<5_000).map { "runtime.func\($0)" } + (1..<40).map { String(repeating: "é", count: $0) }
        for (k, s) in strings.enumerated() { memo.insert(s, UInt64(k)) }
        #expect(memo.count == strings.count)
        for (k, s) in strings.enumerated() { #expect(lookup(memo, s) == UInt64(k), "\(s)") }
        for s in ["runtime.func5000", "runtime.func", "runtime.func00", "x"] { #expect(lookup(memo, s) == nil, "\(s)") }
        memo.insert("runtime.func7", 7_000_000)  // a second insert replaces the value
        #expect(lookup(memo, "runtime.func7") == 7_000_000)
        #expect(memo.count == strings.count)
    }

    @Test func startsAgainAtItsLimits() {
        var memo = PprofStringMemo(limit: 100, byteLimit: 1 << 20)
        for k in 0..<100 { memo.insert("s\(k)", UInt64(k)) }
        #expect(memo.count == 100)
        memo.insert("one more", 1)
        #expect(memo.count == 1)
        #expect(lookup(memo, "s5") == nil)
        #expect(lookup(memo, "one more") == 1)
        var small = PprofStringMemo(limit: 1_000, byteLimit: 64)
        for k in 0..<10 { small.insert(String(repeating: "a", count: 10) + "\(k)", UInt64(k)) }
        #expect(small.count < 10)
    }
}
