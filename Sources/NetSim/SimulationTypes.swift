import SansIO

/// One of the two endpoints of a `Simulation`.
public enum SimulationSide: String, Sendable, Equatable, CaseIterable {
    /// Endpoint `a` (sends on the forward link).
    case a
    /// Endpoint `b` (sends on the backward link).
    case b
}

/// Why `Simulation.run` returned.
public enum StopReason: Sendable, Equatable {
    /// The next thing to happen is after the requested end time (virtual time is now the end).
    case reachedTime
    /// Nothing is scheduled at all: no copy in flight, no wake-up, no application event.
    case idle
    /// The step budget ran out first.
    case stepLimit
}

/// What made the simulation stall.
public enum StallCause: Sendable, Equatable {
    /// The endpoint kept asking for wake-ups at or before the current time without sending.
    case endpoint(SimulationSide)
    /// A repeating application event kept rescheduling itself at the current time.
    case event
}

/// A run that cannot go on, because an endpoint or event misbehaves.
public enum SimulationError: Error, Sendable, Equatable {
    /// `steps` consecutive steps neither advanced time, delivered, transmitted nor consumed
    /// an event (e.g. an endpoint whose `nextWakeup()` stays in the past).
    case noProgress(StallCause, at: Instant, steps: Int)
    /// An endpoint returned more than the per-step limit of transmits from `pollTransmit`.
    case transmitFlood(SimulationSide, at: Instant, count: Int)
}

/// What the driver did so far (the links keep their own `LinkCounters`).
public struct SimulationCounters: Sendable, Equatable {
    /// Steps taken (deliveries, timeouts and events; draining transmits is part of a step).
    public var steps = 0
    /// Datagrams handed to `receive`, per receiving endpoint.
    public var received: [SimulationSide: Int] = [.a: 0, .b: 0]
    /// `handleTimeout` calls, per endpoint.
    public var timeouts: [SimulationSide: Int] = [.a: 0, .b: 0]
    /// Timeouts for a wake-up already in the past when it was taken (run at the current time).
    public var lateWakeups: [SimulationSide: Int] = [.a: 0, .b: 0]
    /// Transmits taken from `pollTransmit`, per endpoint.
    public var transmitted: [SimulationSide: Int] = [.a: 0, .b: 0]
    /// Transmits not sent because their destination is not the peer's (routable) address.
    public var unroutable: [SimulationSide: Int] = [.a: 0, .b: 0]
    /// Application events run (each run of a repeating event counts).
    public var events = 0

    public init() {}
}

/// One thing the simulation did, for an observer (logs, traces, assertions).
public enum TraceEvent: Sendable, Equatable {
    /// `side` received `delivery` at its arrival time.
    case received(SimulationSide, Delivery)
    /// `side`'s `handleTimeout` ran at the given time.
    case timeout(SimulationSide, Instant)
    /// `side` transmitted at the given time; the link decided `outcome` (nil: unroutable).
    case transmitted(SimulationSide, Transmit, Instant, SendOutcome?)
    /// Endpoint `a` took a new address at the given time.
    case rebound(PeerAddress, Instant)
}
