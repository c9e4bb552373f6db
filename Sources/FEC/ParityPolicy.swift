/// How many parity symbols to send with a block, from the loss the session measures.
public enum ParityPolicy {
    /// The smallest m such that a block of k source and m parity symbols fails to decode
    /// (more than m of its k+m datagrams lost) with probability below `target`.
    ///
    /// Loss is modelled as independent loss *events* at rate `lossRate / meanBurstLength`,
    /// each taking `meanBurstLength` consecutive datagrams (a simple Gilbert-style margin
    /// for bursty links): with a burst length of 1 this is the plain binomial tail
    /// `P(Bin(k+m, p) > m)`. At p = 12 % i.i.d. and a 1 % target it gives m = 2 for k = 1–2,
    /// m = 3 for k = 4 and m = 4 for k = 8; at p ≈ 0 it gives 0.
    public static func parityCount(sourceCount k: Int, lossRate: Double, meanBurstLength: Double = 1,
                                   target: Double = 0.01, maxParity: Int = 64) -> Int {
        guard k > 0 else { return 0 }
        let p = min(max(lossRate, 0), 0.95)
        let burst = max(meanBurstLength, 1)
        let eventRate = p / burst
        let cap = min(maxParity, ReedSolomon.maxSymbols - k)
        var m = 0
        while m < cap {
            // Fails when the number of loss events exceeds what m parity can cover.
            let coverableEvents = Int((Double(m) / burst).rounded(.down))
            if binomialTail(n: k + m, p: eventRate, moreThan: coverableEvents) < target { return m }
            m += 1
        }
        return cap
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
