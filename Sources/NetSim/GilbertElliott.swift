/// Gilbert–Elliott burst loss: a two-state Markov chain stepped once per datagram, where
/// every datagram in the bad state is lost and none in the good state is.
///
/// It is set by what one observes: the mean loss rate L and the mean burst length B (in
/// datagrams). With p = P(good → bad) and r = P(bad → good) per datagram:
///
///     mean burst length  B = 1 / r           (the stay in bad is geometric)
///     stationary loss    L = p / (p + r)
///
/// so r = 1 / B and p = r·L / (1 − L). p ≤ 1 limits L to B / (B + 1).
public struct GilbertElliott: Sendable, Equatable {
    /// Long-run fraction of datagrams lost, in [0, 1).
    public var meanLossRate: Double
    /// Mean number of consecutive datagrams lost in one burst, ≥ 1.
    public var meanBurstLength: Double

    public init(meanLossRate: Double, meanBurstLength: Double) {
        self.meanLossRate = meanLossRate
        self.meanBurstLength = meanBurstLength
    }

    /// r = 1 / B: the per-datagram probability of leaving the bad state.
    public var badToGood: Double { 1 / meanBurstLength }

    /// p = r·L / (1 − L): the per-datagram probability of entering the bad state.
    public var goodToBad: Double { badToGood * meanLossRate / (1 - meanLossRate) }

    /// Checks L is in [0, 1), B ≥ 1 and the pair is reachable (p ≤ 1).
    public func validate() throws(LinkConfigError) {
        guard (0..<1).contains(meanLossRate) else {
            throw .probabilityOutOfRange(.burstLoss, meanLossRate)
        }
        guard meanBurstLength >= 1 else { throw .burstLengthBelowOne(meanBurstLength) }
        guard goodToBad <= 1 else {
            throw .burstLossUnreachable(meanLossRate: meanLossRate, meanBurstLength: meanBurstLength)
        }
    }
}
