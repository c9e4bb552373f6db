/// How many parity symbols to send with a block, from the loss the session measures.
public enum ParityPolicy {
    /// The smallest m such that a block of k source and m parity symbols, sent back to
    /// back, fails to decode (more than m of its k+m datagrams lost) with probability below
    /// `target` (SPEC.md §7).
    ///
    /// With a mean burst length of 1, loss is independent: the binomial tail
    /// `P(Bin(k+m, p) > m)`. At p = 12 % and a 1 % target that gives m = 2 for k = 1–2,
    /// m = 3 for k = 4 and m = 4 for k = 8; at p ≈ 0 it gives 0. With longer bursts, loss
    /// is a Gilbert–Elliott chain (every datagram lost in the bad state, none in the good
    /// one) with stationary loss p and geometric bursts of mean β: the tail is computed
    /// exactly over the chain (`burstTail`). Geometric bursts have long tails, so small
    /// blocks need much more parity than "losses come in groups of β" suggests.
    public static func parityCount(sourceCount k: Int, lossRate: Double, meanBurstLength: Double = 1,
                                   target: Double = 0.01, maxParity: Int = 64) -> Int {
        guard k > 0 else { return 0 }
        return smallestParity(k, from: 0, lossRate: lossRate, meanBurstLength: meanBurstLength, target: target, maxParity: maxParity)
    }

    /// `parityCount` for every block size 1 … `maxSourceCount` at once (entry k − 1 is the
    /// count for k source symbols). The count never falls as k grows, so each search starts
    /// where the previous one ended: about as costly as two or three single counts.
    public static func parityTable(maxSourceCount: Int, lossRate: Double, meanBurstLength: Double = 1,
                                   target: Double = 0.01, maxParity: Int = 64) -> [Int] {
        guard maxSourceCount > 0 else { return [] }
        var out: [Int] = []
        out.reserveCapacity(maxSourceCount)
        var m = 0
        if let chain = BurstChain(lossRate: lossRate, meanBurstLength: meanBurstLength) {
            // One pass of the chain over the longest block gives every tail the search asks for.
            let width = max(0, min(maxParity, ReedSolomon.maxSymbols - 1))
            var tails: [[Double]] = [[]]
            var c = chain.start(width: width)
            for _ in 0..<(maxSourceCount + width) { c.step(); tails.append(c.tails) }
            for k in 1...maxSourceCount {
                let cap = max(0, min(maxParity, ReedSolomon.maxSymbols - k))
                m = min(m, cap)
                while m < cap, tails[k + m][m] >= target { m += 1 }
                out.append(m)
            }
            return out
        }
        for k in 1...maxSourceCount {
            m = smallestParity(k, from: m, lossRate: lossRate, meanBurstLength: meanBurstLength, target: target, maxParity: maxParity)
            out.append(m)
        }
        return out
    }

    /// The smallest m ≥ `start` (capped) whose block of k + m fails below `target`.
    private static func smallestParity(_ k: Int, from start: Int, lossRate: Double, meanBurstLength: Double,
                                       target: Double, maxParity: Int) -> Int {
        let cap = max(0, min(maxParity, ReedSolomon.maxSymbols - k))
        var m = min(start, cap)
        if let chain = BurstChain(lossRate: lossRate, meanBurstLength: meanBurstLength) {
            // One pass: after k + m datagrams, the tail beyond m is block k + m's failure.
            var c = chain.start(width: cap)
            for _ in 0..<(k + m) { c.step() }
            while m < cap {
                if c.tails[m] < target { return m }
                m += 1
                c.step()
            }
            return cap
        }
        let p = min(max(lossRate, 0), 0.95)
        while m < cap {
            if binomialTail(n: k + m, p: p, moreThan: m) < target { return m }
            m += 1
        }
        return cap
    }

    /// P(more than t of n consecutive datagrams lost) on a Gilbert–Elliott channel with
    /// stationary loss rate `lossRate` and mean burst length β: the bad state loses
    /// everything and is left with probability r = 1/β; the good state loses nothing and is
    /// left with probability g = r·p/(1−p). The first datagram's state is drawn from the
    /// stationary distribution. Dynamic programming over (state, losses so far).
    public static func burstTail(n: Int, lossRate p: Double, meanBurstLength beta: Double, moreThan t: Int) -> Double {
        if t < 0 { return 1 }
        if t >= n || p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var c = BurstChain(p: p, meanBurstLength: beta).start(width: t)
        for _ in 0..<n { c.step() }
        return c.tails[t]
    }

    /// P(X > t) for X ~ Binomial(n, p), summed in log space to stay accurate.
    public static func binomialTail(n: Int, p: Double, moreThan t: Int) -> Double {
        if t < 0 { return 1 }
        if t >= n { return 0 }
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var cdf = 0.0
        var logCoeff = 0.0  // log C(n, i)
        let lp = log(p), lq = log1p(-p)
        for i in 0...t {
            if i > 0 { logCoeff += log(Double(n - i + 1)) - log(Double(i)) }
            cdf += exp(logCoeff + Double(i) * lp + Double(n - i) * lq)
        }
        return max(0, 1 - cdf)
    }
}

/// The Gilbert–Elliott loss chain of `ParityPolicy.burstTail`, run forward one datagram at
/// a time so that one pass gives the tail after every block length: the agent sizes parity
/// for every bundle it sends, and a search over m that restarted the chain for each m took
/// a quarter of a busy sender's time.
struct BurstChain {
    let p: Double, r: Double, g: Double

    /// As `parityCount` sees the path: nil where it uses the binomial tail (bursts of about
    /// 1), the loss rate held to 0 … 95 %.
    init?(lossRate: Double, meanBurstLength: Double) {
        guard max(meanBurstLength, 1) > 1.0001 else { return nil }
        self.init(p: min(max(lossRate, 0), 0.95), meanBurstLength: meanBurstLength)
    }

    /// The chain for a loss rate p in (0, 1) and mean burst length β (at least 1).
    init(p: Double, meanBurstLength beta: Double) {
        self.p = p
        r = 1 / max(beta, 1)
        g = min(1, r * p / (1 - p))
    }

    /// The chain before any datagram, counting losses 0 … `width` and more.
    func start(width: Int) -> Run { Run(chain: self, width: width) }

    struct Run {
        let chain: BurstChain
        /// good[i], bad[i]: probability of i losses so far (index width + 1: more than
        /// `width`) and being in that state before the next datagram.
        var good: [Double], bad: [Double], ng: [Double], nb: [Double]
        /// tails[t] = P(more than t losses so far), t = 0 … width.
        var tails: [Double]

        init(chain: BurstChain, width: Int) {
            self.chain = chain
            good = [Double](repeating: 0, count: width + 2)
            bad = good; ng = good; nb = good
            tails = [Double](repeating: 0, count: width + 1)
            good[0] = 1 - chain.p
            bad[0] = chain.p
        }

        /// One more datagram: the chain emits (bad: lost) and moves; the tails follow.
        mutating func step() {
            let w = good.count, r = chain.r, g = chain.g
            for i in 0..<w { ng[i] = 0; nb[i] = 0 }
            for i in 0..<w {
                if good[i] > 0 {
                    ng[i] += good[i] * (1 - g)
                    nb[i] += good[i] * g
                }
                if bad[i] > 0 {
                    let j = min(i + 1, w - 1)
                    ng[j] += bad[i] * r
                    nb[j] += bad[i] * (1 - r)
                }
            }
            swap(&good, &ng)
            swap(&bad, &nb)
            var above = 0.0
            for t in stride(from: w - 2, through: 0, by: -1) {
                above += good[t + 1] + bad[t + 1]
                tails[t] = above
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
