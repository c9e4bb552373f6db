import Testing
@testable import NetSim

@Suite struct SeededRandomTests {
    @Test func sameSeedSameSequenceAndDifferentSeedDifferent() {
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)
        var c = SeededRandom(seed: 8)
        let sa = (0..<100).map { _ in a.next() }
        #expect(sa == (0..<100).map { _ in b.next() })
        #expect(sa != (0..<100).map { _ in c.next() })
    }

    @Test func uniformIsInRangeWithMeanNearHalf() {
        var r = SeededRandom(seed: 1)
        let xs = (0..<100_000).map { _ in r.nextUniform() }
        #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = xs.reduce(0, +) / Double(xs.count)
        #expect(abs(mean - 0.5) < 0.01)
    }

    @Test func normalHasTheRequestedMeanAndDeviation() {
        var r = SeededRandom(seed: 2)
        let xs = (0..<100_000).map { _ in r.nextNormal(mean: 3, standardDeviation: 2) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
        #expect(abs(mean - 3) < 0.05)
        #expect(abs(variance.squareRoot() - 2) < 0.05)
        #expect(xs.allSatisfy { $0.isFinite })
    }

    @Test func integersCoverTheRangeEvenly() {
        var r = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[r.nextInt(below: 10)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        #expect(r.nextInt(below: 1) == 0)
        #expect(r.nextInt(below: 0) == 0)
    }
}
