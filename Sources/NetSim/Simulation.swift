import SansIO

/// Drives two sans-IO endpoints over a pair of simulated links in virtual time, through
/// the loop the real runtime uses, so a 30-minute session over a lossy link runs in seconds
/// and the same seed replays it exactly.
///
/// Each step takes the earliest of: the next arrival on either link, either endpoint's
/// `nextWakeup()`, the next application event. It delivers the copy (`receive`), runs the
/// timeout (`handleTimeout(at:)`) or runs the event, then drains both endpoints'
/// `pollTransmit(at:)` into their outgoing links (a's first). At equal times: arrivals
/// first (forward link first), then events, then timeouts (a first).
///
/// A sends to `addressB` on the forward link; b sends to a's current address on the
/// backward link. `rebindA(to:)` moves a to a new address, as a NAT rebinding does.
public final class Simulation<A: DatagramEndpoint, B: DatagramEndpoint> {
    /// The endpoint that sends on the forward link (e.g. the agent).
    public var a: A
    /// The endpoint that sends on the backward link (e.g. the collector).
    public var b: B
    /// Carries a's datagrams to b.
    public private(set) var forward: Link
    /// Carries b's datagrams to a.
    public private(set) var backward: Link
    /// A's address as b sees it (changes with `rebindA`).
    public private(set) var addressA: PeerAddress
    /// B's address.
    public let addressB: PeerAddress
    /// The current virtual time.
    public private(set) var now: Instant
    /// What the driver did so far.
    public private(set) var counters = SimulationCounters()
    /// Most transmits one endpoint may return in one drain before the run fails with
    /// `transmitFlood` (an endpoint that never returns nil would otherwise hang the run).
    public var transmitLimitPerStep = 100_000
    /// Called for every delivery, timeout, transmit and rebinding, if set.
    public var observer: ((TraceEvent) -> Void)?

    /// An application event; returns when to run it again, or nil for never.
    public typealias Event = (inout A, inout B, Instant) -> Instant?

    private var events = EventQueue<Event>()
    /// Addresses of a that b may still send to (the current one, and old ones kept routable).
    private var routableA: Set<PeerAddress>

    /// A simulation of `a` at `addressA` and `b` at `addressB`, starting at `start`; the two
    /// links draw from independent streams derived from `seed`.
    public init(a: A, addressA: PeerAddress, b: B, addressB: PeerAddress, forward: LinkConfig,
                backward: LinkConfig, seed: UInt64, start: Instant = .zero) throws(LinkConfigError) {
        var seeds = SeededRandom(seed: seed)
        self.forward = try Link(config: forward, seed: seeds.next())
        self.backward = try Link(config: backward, seed: seeds.next())
        self.a = a
        self.b = b
        self.addressA = addressA
        self.addressB = addressB
        self.routableA = [addressA]
        self.now = start
    }

    /// Runs `event` once at `time` (at the current time if that is already past).
    public func schedule(at time: Instant, _ event: @escaping (inout A, inout B, Instant) -> Void) {
        events.insert(at: time) { a, b, t in
            event(&a, &b, t)
            return nil
        }
    }

    /// Runs `event` at `time`, then again whenever it says (it returns the next time, or nil
    /// to stop), so a period can adapt, as the agent's profiling interval does.
    public func scheduleRepeating(firstAt time: Instant, _ event: @escaping Event) {
        events.insert(at: time, event)
    }

    /// Moves endpoint a to `address` now: datagrams it sends from now on come from there.
    /// Unless `keepOldAddressRoutable`, b's datagrams to the old address are dropped (as
    /// unroutable) from now on, as after a NAT drops the old mapping; copies already in
    /// flight still arrive.
    public func rebindA(to address: PeerAddress, keepOldAddressRoutable: Bool = false) {
        if !keepOldAddressRoutable { routableA.removeAll() }
        routableA.insert(address)
        addressA = address
        observer?(.rebound(address, now))
    }

    /// Calls `rebindA(to:keepOldAddressRoutable:)` at `time`.
    public func scheduleRebindA(at time: Instant, to address: PeerAddress, keepOldAddressRoutable: Bool = false) {
        events.insert(at: time) { [unowned self] _, _, _ in
            self.rebindA(to: address, keepOldAddressRoutable: keepOldAddressRoutable)
            return nil
        }
    }

    /// Changes a link's impairments from now on (e.g. the path gets worse mid-run).
    public func reconfigure(_ side: SimulationSide, link config: LinkConfig) throws(LinkConfigError) {
        switch side {
        case .a: try forward.reconfigure(config)
        case .b: try backward.reconfigure(config)
        }
    }

    /// Steps the simulation until virtual time would pass `end`, nothing is left to do, or
    /// `maxSteps` steps were taken in this call, and says which. Throws when `maxStalledSteps`
    /// consecutive steps make no progress (see `SimulationError.noProgress`), or an endpoint
    /// floods `pollTransmit`. Can be called again to go on (e.g. after `rebindA`).
    @discardableResult
    public func run(until end: Instant, maxSteps: Int = 10_000_000, maxStalledSteps: Int = 1_000)
        throws(SimulationError) -> StopReason
    {
        var steps = 0
        var stalled = 0
        _ = try drainTransmits()
        while true {
            guard steps < maxSteps else { return .stepLimit }
            guard let (time, action) = nextAction() else {
                now = max(now, end)
                return .idle
            }
            if time > end {
                now = max(now, end)
                return .reachedTime
            }
            steps += 1
            counters.steps += 1
            var progressed = time > now
            now = max(now, time)
            let cause: StallCause
            switch action {
            case .arrival(let side):
                deliver(to: side)
                progressed = true
                cause = .endpoint(side)
            case .event:
                progressed = runEvent() || progressed
                cause = .event
            case .timeout(let side):
                if time < now { counters.lateWakeups[side, default: 0] += 1 }
                timeout(side)
                cause = .endpoint(side)
            }
            if try drainTransmits() > 0 { progressed = true }
            if progressed {
                stalled = 0
            } else {
                stalled += 1
                if stalled >= maxStalledSteps { throw .noProgress(cause, at: now, steps: stalled) }
            }
        }
    }

    private enum Action {
        case arrival(SimulationSide)  // to this side
        case event
        case timeout(SimulationSide)
    }

    /// The earliest thing to do, by time then by the tie order in the type's documentation.
    private func nextAction() -> (Instant, Action)? {
        var best: (Instant, Action)?
        func consider(_ time: Instant?, _ action: Action) {
            guard let time else { return }
            if let current = best, current.0 <= time { return }
            best = (time, action)
        }
        consider(forward.nextDelivery(), .arrival(.b))
        consider(backward.nextDelivery(), .arrival(.a))
        consider(events.nextTime, .event)
        consider(a.nextWakeup(), .timeout(.a))
        consider(b.nextWakeup(), .timeout(.b))
        return best
    }

    private func deliver(to side: SimulationSide) {
        let popped = side == .b ? forward.popDelivery(upTo: now) : backward.popDelivery(upTo: now)
        guard let delivery = popped else { return }
        counters.received[side, default: 0] += 1
        switch side {
        case .a: a.receive(delivery.datagram, from: delivery.source, at: now)
        case .b: b.receive(delivery.datagram, from: delivery.source, at: now)
        }
        observer?(.received(side, delivery))
    }

    private func timeout(_ side: SimulationSide) {
        counters.timeouts[side, default: 0] += 1
        switch side {
        case .a: a.handleTimeout(at: now)
        case .b: b.handleTimeout(at: now)
        }
        observer?(.timeout(side, now))
    }

    /// Runs the earliest event; true when that consumed it (it ended or moved later).
    private func runEvent() -> Bool {
        guard let (event, _) = events.popFirst() else { return false }
        counters.events += 1
        guard let next = event(&a, &b, now) else { return true }
        events.insert(at: next, event)
        return next > now
    }

    /// Sends everything both endpoints have to send now; returns how many transmits.
    private func drainTransmits() throws(SimulationError) -> Int {
        var total = 0
        for side in SimulationSide.allCases {
            var count = 0
            while let transmit = (side == .a ? a.pollTransmit(at: now) : b.pollTransmit(at: now)) {
                count += 1
                guard count <= transmitLimitPerStep else { throw .transmitFlood(side, at: now, count: count) }
                send(transmit, from: side)
            }
            total += count
        }
        return total
    }

    private func send(_ transmit: Transmit, from side: SimulationSide) {
        counters.transmitted[side, default: 0] += 1
        var outcome: SendOutcome?
        switch side {
        case .a where transmit.destination == addressB:
            outcome = forward.send(transmit.datagram, to: transmit.destination, from: addressA, at: now)
        case .b where routableA.contains(transmit.destination):
            outcome = backward.send(transmit.datagram, to: transmit.destination, from: addressB, at: now)
        default:
            counters.unroutable[side, default: 0] += 1
        }
        observer?(.transmitted(side, transmit, now, outcome))
    }
}
