import SansIO

/// A token bucket for the `--max-rate` budget (bits per second of UDP payload): datagrams
/// go out while tokens last, and `nextSend` says when the next one may (SPEC.md §11.6).
/// Without a rate every datagram may go at once.
public struct Pacer: Sendable, Equatable {
    /// Bits per second; nil: no budget.
    public var rate: Int?
    /// Bytes that may go out back to back.
    public var burst: Int
    private var tokens: Double
    private var last: Instant?

    public init(rate: Int?, burst: Int = 4 * 1400) {
        self.rate = rate
        self.burst = burst
        tokens = Double(burst)
    }

    private mutating func refill(_ now: Instant) {
        guard let rate else { return }
        if let last, now > last { tokens = min(Double(burst), tokens + (now - last).seconds * Double(rate) / 8) }
        last = now
    }

    /// Whether a datagram of `bytes` may go now.
    public mutating func canSend(_ bytes: Int, at now: Instant) -> Bool {
        guard rate != nil else { return true }
        refill(now)
        return tokens >= Double(bytes)
    }

    /// Takes the tokens of a datagram sent now.
    public mutating func sent(_ bytes: Int, at now: Instant) {
        guard rate != nil else { return }
        refill(now)
        tokens -= Double(bytes)
    }

    /// When a datagram of `bytes` may go (nil: whenever asked). Measured from the last
    /// refill, the moment the token count was last brought up to date.
    public func nextSend(_ bytes: Int) -> Instant? {
        guard let rate, rate > 0, let last else { return nil }
        let need = Double(bytes) - tokens
        guard need > 0 else { return nil }
        return last + .nanoseconds(Int64((need * 8 / Double(rate) * 1e9).rounded(.up)))
    }

    /// How long sending `bytes` more takes at the budget.
    public func drainTime(_ bytes: Int) -> Duration {
        guard let rate, rate > 0 else { return .zero }
        return .nanoseconds(Int64(Double(bytes) * 8 / Double(rate) * 1e9))
    }
}
