/// The loss the sender sizes parity for (SPEC.md §7, §11.4), measured from
/// acknowledgements: an exponentially weighted average of packet loss and of the length of
/// loss bursts (runs of consecutive lost packet numbers). Random loss is not congestion:
/// nothing here slows the sender down.
public struct LossEstimator: Sendable, Equatable {
    /// Weight of one packet's fate in the loss average (about the last 500 packets).
    public var gain = 1.0 / 512
    /// Weight of one burst in the burst-length average.
    public var burstGain = 1.0 / 16
    /// The estimate is never below this (a little parity against the unexpected) or above
    /// `ceiling`.
    public var floor = 0.0
    public var ceiling = 0.5

    /// How many packets the prior counts for at the start.
    public static let priorWeight = 32

    public private(set) var lossRate: Double
    public private(set) var meanBurstLength: Double = 1
    public private(set) var packetsJudged = 0
    public private(set) var packetsLost = 0
    private var currentBurst = 0

    /// Starts from a prior (the configured expected loss; 0 when unknown).
    public init(initialLoss: Double = 0.0) { lossRate = initialLoss }

    /// One packet judged, in packet-number order: acknowledged or declared lost.
    public mutating func record(lost: Bool) {
        packetsJudged += 1
        if lost {
            packetsLost += 1
            currentBurst += 1
        } else if currentBurst > 0 {
            meanBurstLength += burstGain * (Double(currentBurst) - meanBurstLength)
            currentBurst = 0
        }
        // Until `1 / gain` packets were judged, the weight is 1 / (packets + prior weight):
        // a running mean that starts from the prior as if it had been seen 32 times, so
        // the first minute on a clean or a bad path does not carry the prior for long.
        let weight = max(gain, 1 / Double(packetsJudged + Self.priorWeight))
        lossRate += weight * ((lost ? 1 : 0) - lossRate)
        lossRate = min(max(lossRate, floor), ceiling)
    }
}
