/// A point in monotonic time, in nanoseconds from an origin the driver chooses.
///
/// Protocol state machines never read a clock: every call that ages something takes the
/// current `Instant`. The UDP runtime derives it from a monotonic clock; the network
/// simulator from its virtual time, so 30 minutes of a lossy link run in seconds and the
/// same seed gives the same run.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the driver's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The driver's origin.
    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds) }
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &- d.nanoseconds) }
    /// The time from `b` to `a` (negative when `a` is earlier).
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds &- b.nanoseconds) }

    public var description: String { "\(Double(nanoseconds) / 1e6) ms" }
}

extension Duration {
    /// The duration in whole nanoseconds (truncated toward zero, saturating at Int64's range).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, o1) = s.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = ns.addingReportingOverflow(atto / 1_000_000_000)
        if o1 || o2 { return s < 0 ? .min : .max }
        return sum
    }

    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
