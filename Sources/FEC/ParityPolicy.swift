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
        for k in 1...maxSourceCount {
            m = smallestParity(k, from: m, lossRate: lossRate, meanBurstLength: meanBurstLength, target: target, maxParity: maxParity)
            out.append(m)
        }
        return out
    }

    /// The smallest m ≥ `start` (capped) whose block of k + m fails below `target`.
    private static func smallestParity(_ k: Int, from start: Int, lossRate: Double, meanBurstLength: Double,
                                       target: Double, maxParity: Int) -> Int {
        let p = min(max(lossRate, 0), 0.95)
        let burst = max(meanBurstLength, 1)
        let cap = max(0, min(maxParity, ReedSolomon.maxSymbols - k))
        var m = min(start, cap)
        while m < cap {
            let failure = burst <= 1.0001
                ? binomialTail(n: k + m, p: p, moreThan: m)
                : burstTail(n: k + m, lossRate: p, meanBurstLength: burst, moreThan: m)
            if failure < target { return m }
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
        let r = 1 / max(beta, 1), g = min(1, r * p / (1 - p))
        // good[i], bad[i]: probability of i losses so far and being in that state (before
        // the next datagram). Losses beyond t are folded into index t + 1. Two pairs of
        // buffers, swapped each step: the agent sizes parity for every bundle it sends, so
        // this runs thousands of times a second on a busy agent and must not allocate per step.
        let w = t + 2
        var good = [Double](repeating: 0, count: w), bad = good, ng = good, nb = good
        good[0] = 1 - p
        bad[0] = p
        for _ in 0..<n {
            for i in 0..<w { ng[i] = 0; nb[i] = 0 }
            for i in 0..<w {
                // Good: no loss, then move.
                if good[i] > 0 {
                    ng[i] += good[i] * (1 - g)
                    nb[i] += good[i] * g
                }
                // Bad: a loss, then move.
                if bad[i] > 0 {
                    let j = min(i + 1, t + 1)
                    ng[j] += bad[i] * r
                    nb[j] += bad[i] * (1 - r)
                }
            }
            swap(&good, &ng)
            swap(&bad, &nb)
        }
        return good[t + 1] + bad[t + 1]
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
