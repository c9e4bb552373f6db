import SansIO

/// The collector's side of overload control (SPEC.md §11.6): from what it sees of its own
/// load, the interval it asks its agents for in PACE frames, or none.
///
/// Fed once a second with whether the collector was overloaded in that second (its
/// sockets dropped datagrams at full receive buffers, or its store fell behind and
/// coalesced windows). Overload starts the request at twice `maxInterval` (what the agents
/// would at most choose themselves, doubled) and raises it ×1.5 each overloaded second, up
/// to `maxPace`; after `clearFor` without overload it lowers it ×0.75, again after each
/// further `clearFor`, and lifts it once it would fall below `maxInterval`. Multiplicative
/// both ways, fast up and slow down, like the agents' own law turned around: a collector
/// past its capacity sheds load within seconds instead of dropping datagrams that agents
/// then repair (which only adds load), and comes back in steps it can watch.
public struct PaceController: Sendable, Equatable {
    public var maxInterval: Duration
    public var maxPace: Duration
    public var clearFor: Duration = .seconds(5)
    public var raise = 1.5
    public var lower = 0.75

    /// The interval asked for; nil while the collector keeps up.
    public private(set) var pace: Duration?
    private var clearSince: Instant?

    public init(maxInterval: Duration = .milliseconds(480), maxPace: Duration = SessionTimers().maxPace) {
        self.maxInterval = maxInterval
        self.maxPace = max(maxPace, maxInterval)
    }

    /// Applies one second's observation; returns true when the request changed.
    @discardableResult
    public mutating func update(overloaded: Bool, at now: Instant) -> Bool {
        let old = pace
        if overloaded {
            clearSince = nil
            pace = min(maxPace, pace.map { $0 * raise } ?? maxInterval * 2)
        } else if let p = pace {
            guard let since = clearSince else {
                clearSince = now
                return false
            }
            guard now - since >= clearFor else { return false }
            clearSince = now
            let next = p * lower
            pace = next < maxInterval ? nil : next
        }
        return pace != old
    }
}
