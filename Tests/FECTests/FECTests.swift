import Testing
import TestSupport
@testable import FEC

/// Schoolbook carry-less multiply mod 0x11D, independent of the C tables.
func slowMul(_ a: UInt8, _ b: UInt8) -> UInt8 {
    var r: UInt16 = 0, x = UInt16(a), y = b
    while y != 0 {
        if y & 1 != 0 { r ^= x }
        x <<= 1
        if x & 0x100 != 0 { x ^= 0x11D }
        y >>= 1
    }
    return UInt8(r)
}

@Suite struct GF256Tests {
    @Test func fieldAxioms() {
        for a in 0...255 {
            for b in stride(from: 0, through: 255, by: 7) {
                #expect(GF256.mul(UInt8(a), UInt8(b)) == slowMul(UInt8(a), UInt8(b)))
            }
            if a != 0 { #expect(GF256.mul(UInt8(a), GF256.inv(UInt8(a))) == 1) }
        }
        #expect(GF256.mul(2, 128) == 0x1D)
    }

    @Test func bulkKernelsAgree() {
        var rng = SplitMix64(state: 9)
        let n = 1000 + 37  // not a multiple of the vector width
        let src = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let start = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let original = GF256.kernel
        defer { GF256.force(original) }
        for c: UInt8 in [0, 1, 2, 0x53, 0xff] {
            let expected = zip(src, start).map { slowMul(c, $0) ^ $1 }
            for k in [GF256.Kernel.portable, .ssse3, .avx2] {
                GF256.force(k)
                var dst = start
                src.withUnsafeBytes { s in dst.withUnsafeMutableBytes { d in GF256.mulAdd(c, s.baseAddress!, d.baseAddress!, count: n) } }
                #expect(dst == expected, "kernel \(k) c=\(c)")
                var set = start
                src.withUnsafeBytes { s in set.withUnsafeMutableBytes { d in GF256.mulSet(c, s.baseAddress!, d.baseAddress!, count: n) } }
                #expect(set == src.map { slowMul(c, $0) }, "kernel \(k) c=\(c) set")
            }
        }
    }
}

@Suite struct ReedSolomonTests {
    /// Random k, m and erasure patterns: decoding succeeds exactly when at least k distinct
    /// symbols arrive, and then gives back the source bytes.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func anyKOfNDecodes(seed: UInt64) throws {
        var rng = SplitMix64(state: seed)
        for _ in 0..<40 {
            let k = Int.random(in: 1...24, using: &rng)
            let m = Int.random(in: 0...12, using: &rng)
            let size = Int.random(in: 1...300, using: &rng)
            let code = try ReedSolomon(sourceCount: k)
            let source = (0..<(k * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Parity indices need not be contiguous: repair sends fresh ones later.
            let parityIndices = Array((k..<256).shuffled(using: &rng).prefix(m))
            let parity = try code.encodeParity(indices: parityIndices, source: source, symbolSize: size)
            var all: [Int: [UInt8]] = [:]
            for j in 0..<k { all[j] = Array(source[(j * size)..<((j + 1) * size)]) }
            for (i, p) in zip(parityIndices, parity) { all[i] = p }
            let keep = Int.random(in: 0...(k + m), using: &rng)
            let received = Dictionary(uniqueKeysWithValues: all.shuffled(using: &rng).prefix(keep).map { ($0.key, $0.value) })
            if keep >= k {
                #expect(try code.decode(received, symbolSize: size) == source, "k=\(k) m=\(m) kept=\(keep)")
            } else {
                #expect(throws: FECError.notEnoughSymbols(have: keep, need: k)) { try code.decode(received, symbolSize: size) }
            }
        }
    }

    @Test func everyErasurePatternOfASmallBlock() throws {
        let k = 4, m = 3, size = 5
        let code = try ReedSolomon(sourceCount: k)
        let source = (0..<(k * size)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let parity = try code.encodeParity(indices: k..<(k + m), source: source, symbolSize: size)
        for mask in 0..<(1 << (k + m)) {
            var received: [Int: [UInt8]] = [:]
            for i in 0..<(k + m) where mask & (1 << i) != 0 {
                received[i] = i < k ? Array(source[(i * size)..<((i + 1) * size)]) : parity[i - k]
            }
            if received.count >= k {
                #expect(try code.decode(received, symbolSize: size) == source)
            } else {
                #expect(throws: FECError.self) { try code.decode(received, symbolSize: size) }
            }
        }
    }

    @Test func rejectsBadParameters() throws {
        #expect(throws: FECError.invalidSourceCount(0)) { try ReedSolomon(sourceCount: 0) }
        #expect(throws: FECError.invalidSourceCount(256)) { try ReedSolomon(sourceCount: 256) }
        let code = try ReedSolomon(sourceCount: 2)
        #expect(throws: FECError.indexOutOfRange(index: 1, k: 2)) { try code.encodeParity(indices: [1], source: [1, 2], symbolSize: 1) }
        #expect(throws: FECError.indexOutOfRange(index: 256, k: 2)) { try code.decode([0: [1], 256: [2]], symbolSize: 1) }
        #expect(throws: FECError.sizeMismatch) { try code.decode([0: [1], 1: [2, 3]], symbolSize: 1) }
    }
}

@Suite struct ParityPolicyTests {
    @Test func matchesTheBinomialOrientation() {
        #expect(ParityPolicy.parityCount(sourceCount: 1, lossRate: 0.12) == 2)
        #expect(ParityPolicy.parityCount(sourceCount: 2, lossRate: 0.12) == 2)
        #expect(ParityPolicy.parityCount(sourceCount: 4, lossRate: 0.12) == 3)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.12) == 4)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0) == 0)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.0005) == 0)
    }

    @Test func burstsAndTargetsAskForMore() {
        let iid = ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.12)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.12, meanBurstLength: 2) > iid)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.12, target: 0.001) > iid)
        #expect(ParityPolicy.parityCount(sourceCount: 8, lossRate: 0.9, maxParity: 20) == 20)
    }

    @Test func tailIsAProbability() {
        #expect(abs(ParityPolicy.binomialTail(n: 2, p: 0.12, moreThan: 1) - 0.0144) < 1e-12)
        #expect(ParityPolicy.binomialTail(n: 5, p: 0.5, moreThan: 5) == 0)
        #expect(abs(ParityPolicy.binomialTail(n: 10, p: 0.5, moreThan: -1) - 1) < 1e-12)
    }
}

@Suite struct BurstParityTests {
    /// The exact Gilbert–Elliott tail against a direct count over every loss pattern.
    @Test func burstTailMatchesEnumeration() {
        let p = 0.12, beta = 3.0
        let r = 1 / beta, g = r * p / (1 - p)
        for n in 1...10 {
            for t in 0..<n {
                var total = 0.0
                for pattern in 0..<(1 << n) {
                    var prob = 1.0
                    var lost = 0
                    var bad = false
                    for i in 0..<n {
                        let isBad = pattern & (1 << i) != 0
                        if i == 0 { prob *= isBad ? p : 1 - p } else {
                            prob *= bad ? (isBad ? 1 - r : r) : (isBad ? g : 1 - g)
                        }
                        bad = isBad
                        if isBad { lost += 1 }
                    }
                    if lost > t { total += prob }
                }
                #expect(abs(ParityPolicy.burstTail(n: n, lossRate: p, meanBurstLength: beta, moreThan: t) - total) < 1e-12, "n \(n) t \(t)")
            }
        }
    }

    /// The counts from one forward pass of the chain equal the plain search that asks
    /// `burstTail` for each m in turn, over losses, burst lengths, targets and caps.
    @Test func onePassCountsEqualTheSearchOverBurstTail() {
        func search(_ k: Int, _ p: Double, _ beta: Double, _ target: Double, _ maxParity: Int) -> Int {
            let cap = max(0, min(maxParity, 255 - k))
            var m = 0
            while m < cap, ParityPolicy.burstTail(n: k + m, lossRate: min(max(p, 0), 0.95), meanBurstLength: beta, moreThan: m) >= target { m += 1 }
            return m
        }
        for p in [0.0, 0.003, 0.05, 0.12, 0.3, 0.97] {
            for beta in [1.5, 3, 8] {
                for (target, maxParity) in [(0.003, 64), (0.01, 64), (0.01, 5)] {
                    let table = ParityPolicy.parityTable(maxSourceCount: 64, lossRate: p, meanBurstLength: beta, target: target, maxParity: maxParity)
                    for k in [1, 2, 3, 5, 8, 13, 21, 34, 55, 64] {
                        let expected = search(k, p, beta, target, maxParity)
                        #expect(ParityPolicy.parityCount(sourceCount: k, lossRate: p, meanBurstLength: beta, target: target, maxParity: maxParity) == expected,
                                "k \(k) p \(p) β \(beta) target \(target) cap \(maxParity)")
                        #expect(table[k - 1] == expected, "table: k \(k) p \(p) β \(beta) target \(target) cap \(maxParity)")
                    }
                }
            }
        }
    }

    @Test func burstsNeedMoreParityForSmallBlocksThanLargeOnes() {
        // k = 1 at 12 % in bursts of 3: all k + m datagrams must be lost to fail, and
        // geometric bursts make that likely: 0.12 × (2/3)^m < 0.003 needs m = 10.
        #expect(ParityPolicy.parityCount(sourceCount: 1, lossRate: 0.12, meanBurstLength: 3, target: 0.003) == 10)
        let small = Double(ParityPolicy.parityCount(sourceCount: 2, lossRate: 0.12, meanBurstLength: 3, target: 0.003)) / 2
        let large = Double(ParityPolicy.parityCount(sourceCount: 64, lossRate: 0.12, meanBurstLength: 3, target: 0.003)) / 64
        #expect(large < small / 4)
    }
}
