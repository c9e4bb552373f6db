import SansIO

/// How one direction of a simulated link treats the datagrams sent into it.
///
/// A datagram meets the impairments in this order, so each is easy to reason about alone:
/// 1. longer than `mtu`: dropped (`overMTU`);
/// 2. sent during an outage: dropped (`outage`);
/// 3. the bottleneck (`bandwidth`): dropped when the drop-tail queue has no room
///    (`queueOverflow`), else it waits for the datagrams ahead and is serialised at the rate;
/// 4. loss past the bottleneck (so a lost datagram has still used its serialisation time):
///    Gilbert–Elliott burst loss (`burstLoss`), then independent loss (`randomLoss`);
/// 5. duplication (also past the bottleneck, so a duplicate costs no bandwidth);
/// 6. per copy: bit corruption, then propagation `delay` ± `jitter` (+ `reorderDelay` for
///    a reordered copy).
///
/// The default value is a perfect link: no loss, no delay, no limit.
public struct LinkConfig: Sendable, Equatable {
    /// Probability in [0, 1] that a datagram is lost, independently of every other.
    public var lossProbability: Double
    /// Correlated (bursty) loss, or nil for none. Applied before `lossProbability`.
    public var burstLoss: GilbertElliott?
    /// Fixed one-way propagation delay (≥ 0), added to every copy after serialisation.
    public var delay: Duration
    /// Random variation of the propagation delay of each copy; the sum `delay + jitter`
    /// is clamped at zero, so a copy never arrives before it left the bottleneck.
    public var jitter: Jitter
    /// Probability in [0, 1] that a copy is held back by `reorderDelay` on top of its delay,
    /// so datagrams sent after it overtake it.
    public var reorderProbability: Double
    /// The extra delay (≥ 0) of a reordered copy.
    public var reorderDelay: Duration
    /// Probability in [0, 1] that a datagram that survives loss is delivered twice (the
    /// second copy gets its own delay, jitter and corruption draw).
    public var duplicateProbability: Double
    /// Probability in [0, 1] that a delivered copy has exactly one bit flipped, chosen
    /// uniformly among all its bits (empty datagrams are never corrupted).
    public var corruptProbability: Double
    /// The bottleneck rate and its queue, or nil for an unlimited link.
    public var bandwidth: Bandwidth?
    /// Largest datagram in bytes (the UDP payload) the link carries; longer ones are
    /// dropped, as a path with "don't fragment" would. Nil: no limit.
    public var mtu: Int?
    /// Intervals during which every datagram sent is dropped (may overlap, any order).
    public var outages: [Outage]

    public init(
        lossProbability: Double = 0, burstLoss: GilbertElliott? = nil,
        delay: Duration = .zero, jitter: Jitter = .none,
        reorderProbability: Double = 0, reorderDelay: Duration = .zero,
        duplicateProbability: Double = 0, corruptProbability: Double = 0,
        bandwidth: Bandwidth? = nil, mtu: Int? = nil, outages: [Outage] = []
    ) {
        self.lossProbability = lossProbability
        self.burstLoss = burstLoss
        self.delay = delay
        self.jitter = jitter
        self.reorderProbability = reorderProbability
        self.reorderDelay = reorderDelay
        self.duplicateProbability = duplicateProbability
        self.corruptProbability = corruptProbability
        self.bandwidth = bandwidth
        self.mtu = mtu
        self.outages = outages
    }

    /// A link that delivers everything at once, unchanged.
    public static let perfect = LinkConfig()

    /// Whether `t` falls inside one of the outages.
    public func isInOutage(at t: Instant) -> Bool {
        outages.contains { $0.contains(t) }
    }

    /// Checks every field is in range, naming the first that is not.
    public func validate() throws(LinkConfigError) {
        for (field, p) in [(Field.lossProbability, lossProbability), (.reorderProbability, reorderProbability),
                           (.duplicateProbability, duplicateProbability), (.corruptProbability, corruptProbability)]
        where !(0...1).contains(p) {
            throw .probabilityOutOfRange(field, p)
        }
        if let burstLoss { try burstLoss.validate() }
        if delay < .zero { throw .negativeDuration(.delay, delay) }
        if reorderDelay < .zero { throw .negativeDuration(.reorderDelay, reorderDelay) }
        switch jitter {
        case .none: break
        case .uniform(let d), .normal(let d):
            if d < .zero { throw .negativeDuration(.jitter, d) }
        }
        if let bandwidth { try bandwidth.validate() }
        if let mtu, mtu < 0 { throw .negativeSize(.mtu, mtu) }
        for o in outages where o.duration < .zero { throw .negativeDuration(.outages, o.duration) }
    }

    /// Names a field of `LinkConfig`, for errors.
    public enum Field: String, Sendable, Equatable {
        case lossProbability, burstLoss, delay, jitter, reorderProbability, reorderDelay
        case duplicateProbability, corruptProbability, bandwidth, queueBytes, mtu, outages
    }
}

/// A value of `LinkConfig` out of range (the link cannot be built from it).
public enum LinkConfigError: Error, Sendable, Equatable {
    /// A probability outside [0, 1] (or NaN).
    case probabilityOutOfRange(LinkConfig.Field, Double)
    /// A negative duration.
    case negativeDuration(LinkConfig.Field, Duration)
    /// A negative byte count.
    case negativeSize(LinkConfig.Field, Int)
    /// A bandwidth that is not a positive number of bits per second.
    case nonPositiveRate(Int64)
    /// A mean burst length below one packet (or NaN).
    case burstLengthBelowOne(Double)
    /// A mean loss rate that a burst length cannot reach: staying in the good state for a
    /// single packet between bursts gives the highest, B / (B + 1) for mean burst B.
    case burstLossUnreachable(meanLossRate: Double, meanBurstLength: Double)
}
