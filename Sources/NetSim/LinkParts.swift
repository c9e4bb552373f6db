import SansIO

/// Random variation of a copy's propagation delay.
public enum Jitter: Sendable, Equatable {
    /// No variation.
    case none
    /// Uniform in [−d, +d].
    case uniform(Duration)
    /// Normal with mean zero and standard deviation `d` (unbounded but for the clamp at
    /// zero total delay).
    case normal(standardDeviation: Duration)
}

/// A bottleneck: a serialisation rate and the drop-tail queue in front of it.
///
/// A datagram waits for those ahead of it, then takes `bytes × 8 / bitsPerSecond` to leave
/// (rounded up to the nanosecond, so the link never beats its rate). The queue counts the
/// bytes not yet serialised, the one being sent included; a datagram that would take it
/// past `queueBytes` is dropped.
public struct Bandwidth: Sendable, Equatable {
    /// The bottleneck rate in bits per second (> 0).
    public var bitsPerSecond: Int64
    /// The queue's capacity in bytes (≥ 0; below one datagram's length drops it always).
    public var queueBytes: Int

    public init(bitsPerSecond: Int64, queueBytes: Int) {
        self.bitsPerSecond = bitsPerSecond
        self.queueBytes = queueBytes
    }

    /// Checks the rate is positive and the queue not negative.
    public func validate() throws(LinkConfigError) {
        guard bitsPerSecond > 0 else { throw .nonPositiveRate(bitsPerSecond) }
        guard queueBytes >= 0 else { throw .negativeSize(.queueBytes, queueBytes) }
    }
}

/// An interval of virtual time during which the link drops everything sent into it.
public struct Outage: Sendable, Equatable {
    /// When the link goes down.
    public var start: Instant
    /// How long it stays down; it is up again at `start + duration`.
    public var duration: Duration

    public init(start: Instant, duration: Duration) {
        self.start = start
        self.duration = duration
    }

    /// Whether `t` is in [start, start + duration).
    public func contains(_ t: Instant) -> Bool {
        t >= start && t < start + duration
    }
}
