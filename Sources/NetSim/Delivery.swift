import SansIO

/// One copy of a datagram arriving at the far end of a link.
public struct Delivery: Sendable, Equatable {
    /// The bytes as they arrive (a bit flipped when `isCorrupted`).
    public var datagram: [UInt8]
    /// The sender's address as the receiver sees it.
    public var source: PeerAddress
    /// The address the sender sent it to.
    public var destination: PeerAddress
    /// When it was sent.
    public var sentAt: Instant
    /// When it arrives.
    public var arrivesAt: Instant
    /// The index of its `send` on this link, from 0 (a duplicate shares its original's).
    public var sequence: UInt64
    /// Whether this is the second copy of a duplicated datagram.
    public var isDuplicate: Bool
    /// Whether one bit was flipped.
    public var isCorrupted: Bool
    /// Whether it was given the extra reordering delay.
    public var isReordered: Bool

    public init(datagram: [UInt8], source: PeerAddress, destination: PeerAddress, sentAt: Instant,
                arrivesAt: Instant, sequence: UInt64, isDuplicate: Bool = false,
                isCorrupted: Bool = false, isReordered: Bool = false) {
        self.datagram = datagram
        self.source = source
        self.destination = destination
        self.sentAt = sentAt
        self.arrivesAt = arrivesAt
        self.sequence = sequence
        self.isDuplicate = isDuplicate
        self.isCorrupted = isCorrupted
        self.isReordered = isReordered
    }
}

/// What `Link.send` did with a datagram.
public enum SendOutcome: Sendable, Equatable {
    /// Dropped, for this reason.
    case dropped(DropReason)
    /// Scheduled as this many copies (1, or 2 when duplicated).
    case scheduled(copies: Int)
}
