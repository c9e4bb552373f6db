import SansIO

/// The agent's sampling interval (how often it snapshots and sends), adapted between
/// `minimum` and `maximum` from acknowledgement-delay feedback (SPEC.md §11.6).
///
/// The control law, applied at most once per smoothed RTT:
/// - **grow** (× `growth`) when the queuing delay (the smallest of the last four samples of
///   latest RTT − minimum RTT − ack delay) is above `targetQueuingDelay`, or when windows
///   pile up unacknowledged (per stream, more than `maxUndecodedPerStream` beyond the
///   smoothed RTT / interval that a path of that RTT holds in flight anyway), or
///   when the pacing budget's backlog is longer than one interval;
/// - **shrink** (− `step`) when the queuing delay is below half the target, at most one
///   window per stream beyond RTT / interval is in flight and the backlog is empty;
/// - otherwise hold.
/// Multiplicative growth and additive shrink (AIMD turned around: the interval is the
/// inverse of a rate) make a congested path back off fast and a clear path recover
/// smoothly. Random loss does not move it.
public struct IntervalController: Sendable, Equatable {
    public var minimum: Duration
    public var maximum: Duration
    public var targetQueuingDelay: Duration = .milliseconds(100)
    public var growth = 1.25
    public var step: Duration = .milliseconds(10)
    public var maxUndecodedPerStream = 4.0

    public private(set) var current: Duration
    private var lastChange: Instant?

    public init(minimum: Duration = .milliseconds(120), maximum: Duration = .milliseconds(480), initial: Duration? = nil) {
        self.minimum = min(minimum, maximum)
        self.maximum = max(minimum, maximum)
        current = min(max(initial ?? .milliseconds(240), self.minimum), self.maximum)
    }

    /// What the controller saw.
    public struct Signal: Sendable {
        public var queuingDelay: Duration
        public var smoothedRtt: Duration
        public var undecodedWindows: Int
        public var streams: Int
        /// Time the pacer needs to send what is queued (zero without a rate budget).
        public var backlog: Duration

        public init(queuingDelay: Duration, smoothedRtt: Duration, undecodedWindows: Int, streams: Int, backlog: Duration = .zero) {
            self.queuingDelay = queuingDelay
            self.smoothedRtt = smoothedRtt
            self.undecodedWindows = undecodedWindows
            self.streams = streams
            self.backlog = backlog
        }
    }

    /// Applies the law; returns true when the interval changed.
    @discardableResult
    public mutating func update(_ s: Signal, at now: Instant) -> Bool {
        if let last = lastChange, now - last < s.smoothedRtt { return false }
        // A path of RTT R naturally holds about R / interval windows per stream in flight.
        let natural = s.smoothedRtt / current
        let perStream = Double(s.undecodedWindows) / Double(max(1, s.streams))
        let piled = perStream > natural + maxUndecodedPerStream
        let old = current
        if s.queuingDelay > targetQueuingDelay || piled || s.backlog > current {
            current = min(maximum, current * growth)
        } else if s.queuingDelay < targetQueuingDelay / 2 && s.backlog == .zero && perStream <= natural + 1 {
            current = max(minimum, current - step)
        }
        guard current != old else { return false }
        lastChange = now
        return true
    }
}
