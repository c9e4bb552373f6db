import NIOCore
import SansIO

/// Monotonic time as the sans-IO machines take it: an `Instant` in nanoseconds since
/// `origin` (when the runtime object was made).
public struct MonotonicClock: Sendable {
    public let origin: NIODeadline

    public init() { origin = .now() }

    public func now() -> Instant {
        Instant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds &- origin.uptimeNanoseconds))
    }
}

/// One event-loop timer kept at a moving deadline (a session's `nextWakeup`, a link's next
/// delivery): re-arming at the same instant keeps the scheduled task, a new instant
/// replaces it, nil cancels it. Use it on its event loop only.
public struct WakeupTimer {
    private var task: Scheduled<Void>?
    private var at: Instant?

    public init() {}

    /// Fires `action` on `loop` at `deadline` (at once when it is past), replacing any
    /// earlier arming; nil cancels.
    public mutating func arm(at deadline: Instant?, now: Instant, on loop: EventLoop, _ action: @escaping @Sendable () -> Void) {
        guard let deadline else {
            cancel()
            return
        }
        if at == deadline, task != nil { return }
        task?.cancel()
        at = deadline
        task = loop.scheduleTask(in: .nanoseconds(max(0, deadline.nanoseconds - now.nanoseconds)), action)
    }

    /// Called first thing by the fired action: the timer is no longer armed.
    public mutating func fired() {
        task = nil
        at = nil
    }

    public mutating func cancel() {
        task?.cancel()
        task = nil
        at = nil
    }
}
