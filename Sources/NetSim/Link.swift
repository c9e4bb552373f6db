import SansIO

/// One direction of a simulated link: datagrams go in with `send`, and come out, delayed,
/// reordered, duplicated, corrupted or not at all, with `popDelivery`.
///
/// Every decision comes from a `SeededRandom`, so the same configuration, seed and sends
/// give the same deliveries. Pure value: no clock, no thread; the driver moves time.
public struct Link: Sendable {
    /// How this link treats datagrams.
    public private(set) var config: LinkConfig
    /// What it did so far.
    public private(set) var counters = LinkCounters()

    private var random: SeededRandom
    private var scheduled = DeliveryHeap()
    /// Gilbert–Elliott state: true while in the bad (losing) state.
    private var inBadState = false
    /// When the bottleneck finishes serialising the last datagram it accepted.
    private var busyUntil = Instant(nanoseconds: .min)
    private var nextSequence: UInt64 = 0
    private var latestDeliveredSequence: UInt64?

    /// A link with `config`, its random decisions fixed by `seed`.
    public init(config: LinkConfig, seed: UInt64) throws(LinkConfigError) {
        try config.validate()
        self.config = config
        self.random = SeededRandom(seed: seed)
    }

    /// Changes the impairments from now on (datagrams already scheduled keep their fate).
    public mutating func reconfigure(_ config: LinkConfig) throws(LinkConfigError) {
        try config.validate()
        self.config = config
    }

    /// Decides the fate of `datagram`, sent at `now` from `source` to `destination`, and
    /// schedules zero, one or two copies for delivery.
    @discardableResult
    public mutating func send(_ datagram: [UInt8], to destination: PeerAddress, from source: PeerAddress,
                              at now: Instant) -> SendOutcome {
        let sequence = nextSequence
        nextSequence += 1
        counters.sentDatagrams += 1
        counters.sentBytes += datagram.count

        if let mtu = config.mtu, datagram.count > mtu { return drop(.overMTU) }
        if config.isInOutage(at: now) { return drop(.outage) }
        guard let departure = serialise(byteCount: datagram.count, at: now) else { return drop(.queueOverflow) }
        if let burst = config.burstLoss {
            let lost = inBadState
            inBadState = random.nextBool(probability: inBadState ? 1 - burst.badToGood : burst.goodToBad)
            if lost { return drop(.burstLoss) }
        }
        if config.lossProbability > 0 && random.nextBool(probability: config.lossProbability) {
            return drop(.randomLoss)
        }
        let copies = config.duplicateProbability > 0 && random.nextBool(probability: config.duplicateProbability) ? 2 : 1
        if copies == 2 { counters.duplicated += 1 }
        for copy in 0..<copies {
            var delivery = Delivery(datagram: datagram, source: source, destination: destination, sentAt: now,
                                    arrivesAt: departure, sequence: sequence, isDuplicate: copy == 1)
            if config.corruptProbability > 0 && !datagram.isEmpty && random.nextBool(probability: config.corruptProbability) {
                let bit = random.nextInt(below: datagram.count * 8)
                delivery.datagram[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                delivery.isCorrupted = true
                counters.corrupted += 1
            }
            var propagation = config.delay + jitterSample()
            if config.reorderProbability > 0 && random.nextBool(probability: config.reorderProbability) {
                propagation += config.reorderDelay
                delivery.isReordered = true
                counters.reordered += 1
            }
            delivery.arrivesAt = departure + max(propagation, .zero)
            scheduled.insert(delivery)
            counters.inFlight += 1
        }
        return .scheduled(copies: copies)
    }

    /// When the earliest scheduled copy arrives, or nil when none is in flight.
    public func nextDelivery() -> Instant? {
        scheduled.first?.arrivesAt
    }

    /// Removes and returns the earliest copy arriving at or before `time` (at equal
    /// arrival, the one scheduled first), or nil when none is due.
    public mutating func popDelivery(upTo time: Instant) -> Delivery? {
        guard let first = scheduled.first, first.arrivesAt <= time, let delivery = scheduled.popFirst() else {
            return nil
        }
        counters.inFlight -= 1
        counters.deliveredDatagrams += 1
        counters.deliveredBytes += delivery.datagram.count
        if let latest = latestDeliveredSequence, delivery.sequence < latest {
            counters.deliveredOutOfOrder += 1
        } else {
            latestDeliveredSequence = delivery.sequence
        }
        return delivery
    }

    private mutating func drop(_ reason: DropReason) -> SendOutcome {
        counters[dropped: reason] += 1
        return .dropped(reason)
    }

    /// Passes a datagram through the bottleneck: when its last bit leaves, or nil when the
    /// queue has no room for it. Without a bandwidth cap it leaves at once.
    private mutating func serialise(byteCount: Int, at now: Instant) -> Instant? {
        guard let bandwidth = config.bandwidth else { return now }
        let backlog = busyUntil > now ? Self.bytes(in: busyUntil - now, at: bandwidth.bitsPerSecond) : 0
        guard backlog + byteCount <= bandwidth.queueBytes else { return nil }
        counters.maxQueueBytes = max(counters.maxQueueBytes, backlog + byteCount)
        let start = max(now, busyUntil)
        busyUntil = start + Self.serialisationTime(of: byteCount, at: bandwidth.bitsPerSecond)
        return busyUntil
    }

    /// The time `byteCount` bytes take at `bitsPerSecond`, rounded up to the nanosecond.
    static func serialisationTime(of byteCount: Int, at bitsPerSecond: Int64) -> Duration {
        let bits = UInt64(max(byteCount, 0)) * 8
        let product = bits.multipliedFullWidth(by: 1_000_000_000)
        let rate = UInt64(max(bitsPerSecond, 1))
        guard product.high < rate else { return .nanoseconds(Int64.max) }
        let (quotient, remainder) = rate.dividingFullWidth(product)
        return .nanoseconds(Int64(clamping: quotient) + (remainder > 0 && quotient < UInt64(Int64.max) ? 1 : 0))
    }

    /// The bytes the bottleneck still has to serialise when it is busy for `time` more,
    /// rounded up (the partly sent datagram counts whole bytes).
    static func bytes(in time: Duration, at bitsPerSecond: Int64) -> Int {
        let product = UInt64(max(time.nanoseconds, 0)).multipliedFullWidth(by: UInt64(max(bitsPerSecond, 0)))
        guard product.high < 1_000_000_000 else { return .max }
        let (bits, remainder) = UInt64(1_000_000_000).dividingFullWidth(product)
        let wholeBytes = bits / 8 + (bits % 8 > 0 || remainder > 0 ? 1 : 0)
        return Int(clamping: wholeBytes)
    }

    private mutating func jitterSample() -> Duration {
        switch config.jitter {
        case .none:
            return .zero
        case .uniform(let width):
            let w = Double(width.nanoseconds)
            return .nanoseconds(Int64((random.nextUniform() * 2 - 1) * w))
        case .normal(let sd):
            let ns = random.nextNormal(standardDeviation: Double(sd.nanoseconds))
            return .nanoseconds(Int64(max(min(ns, 1e18), -1e18)))
        }
    }
}
