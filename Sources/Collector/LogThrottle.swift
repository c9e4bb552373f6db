import SansIO

/// Holds a repeated log line back: the first event of a key is logged, later ones within
/// `period` are only counted, and the next one after it is logged with how many were held
/// back. One agent stream whose chain broke rejects every window until its keyframe; a
/// line per window (tens of thousands a second in a flood) cost the collector a fifth of
/// its CPU, which is what made it fall further behind. The counters in `/metrics` still
/// count every event.
public struct LogThrottle<Key: Hashable & Sendable>: Sendable {
    public let period: Duration
    /// The most keys it remembers; past it, keys whose period ended are forgotten, and
    /// when none has, all are (their next event is logged as a first one).
    public let capacity: Int
    private var held: [Key: (since: Instant, suppressed: Int)] = [:]

    public init(period: Duration = .seconds(10), capacity: Int = 4096) {
        self.period = period
        self.capacity = max(1, capacity)
    }

    /// Whether to log an event of `key` at `now`; when it is logged after some were held
    /// back, `suppressed` says how many (0 otherwise).
    public mutating func admit(_ key: Key, at now: Instant) -> (log: Bool, suppressed: Int) {
        if let h = held[key], now < h.since + period {
            held[key]!.suppressed += 1
            return (false, 0)
        }
        let suppressed = held[key]?.suppressed ?? 0
        if held[key] == nil, held.count >= capacity {
            held = held.filter { now < $0.value.since + period }
            if held.count >= capacity { held.removeAll(keepingCapacity: true) }
        }
        held[key] = (now, 0)
        return (true, suppressed)
    }

    /// Keys it remembers (for tests: bounded by `capacity`).
    public var count: Int { held.count }
}
