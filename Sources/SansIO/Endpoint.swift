/// The sans-IO contract every protocol endpoint (agent session, collector session) keeps,
/// in the shape quinn-proto uses. The UDP runtime and the network simulator drive an
/// endpoint through the same loop:
///
///     on datagram d from address a:  endpoint.receive(d, from: a, at: now)
///     then, and on every wake-up:    endpoint.handleTimeout(at: now) when now ≥ nextWakeup
///                                    while let t = endpoint.pollTransmit(at: now) { send t }
///                                    arm a timer at endpoint.nextWakeup()
///
/// An endpoint never touches a socket, a clock, a thread or a file: bytes and time in,
/// bytes, events and the next wake-up time out. So a seeded simulated link can test loss,
/// delay, reordering and duplication deterministically.
public protocol DatagramEndpoint {
    /// Handles one datagram that arrived from `address` (an opaque peer address: the
    /// runtime's socket address, the simulator's node id).
    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant)
    /// The next datagram to send, or nil when there is nothing to send now (because there
    /// is nothing, or pacing holds it back until `nextWakeup`).
    mutating func pollTransmit(at now: Instant) -> Transmit?
    /// When the endpoint next needs `handleTimeout` (nil: only when a datagram arrives).
    func nextWakeup() -> Instant?
    /// Runs timers due at `now` (repair, acknowledgement delay, keepalive, handshake retry).
    mutating func handleTimeout(at now: Instant)
    /// A datagram that belongs to another shard of this endpoint, or nil. Only an endpoint
    /// that is one of several shards sharing one address forwards (a collector spread over
    /// cores); the driver delivers it to that shard's `receiveForwarded`. Drained like
    /// `pollTransmit`, after every receive.
    mutating func pollForward() -> ForwardedDatagram?
    /// Handles a datagram another shard forwarded: as `receive`, except that it is never
    /// forwarded again (so two shards cannot pass one datagram back and forth).
    mutating func receiveForwarded(_ datagram: [UInt8], from address: PeerAddress, at now: Instant)
}

extension DatagramEndpoint {
    /// An endpoint that is not sharded forwards nothing.
    public mutating func pollForward() -> ForwardedDatagram? { nil }
    public mutating func receiveForwarded(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
        receive(datagram, from: address, at: now)
    }
}

/// A datagram one shard of an endpoint hands to the shard that owns it, with the address it
/// came from (replies go there, as if the owner had read it itself).
public struct ForwardedDatagram: Sendable, Equatable {
    /// The shard that owns it (0 ..< shard count).
    public var shard: Int
    public var datagram: [UInt8]
    public var source: PeerAddress
    public init(shard: Int, datagram: [UInt8], source: PeerAddress) {
        self.shard = shard
        self.datagram = datagram
        self.source = source
    }
}

/// An opaque peer address, as the driver names it (so an endpoint can tell peers apart
/// and follow a peer whose address changes, without knowing what a socket address is).
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }
}

/// One datagram to send and where it goes (the runtime marks it with the configured DSCP class).
public struct Transmit: Sendable, Equatable {
    public var datagram: [UInt8]
    public var destination: PeerAddress
    public init(datagram: [UInt8], destination: PeerAddress) {
        self.datagram = datagram
        self.destination = destination
    }
}
