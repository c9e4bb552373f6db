import WireLimits

/// The low nibble of datagram byte 0 (SPEC §6.3); the high nibble is the version (`WireLimits.version`).
public enum DatagramType: UInt8, Sendable, CaseIterable {
    /// A FEC symbol of a bundle (SPEC §6.3).
    case data = 1
    /// Agent → collector: first handshake message.
    case handshakeInitiation = 2
    /// Collector → agent: second handshake message.
    case handshakeResponse = 3
    /// Collector → agent, under load: an encrypted cookie for mac2.
    case cookieReply = 4
    /// CONTROL: acknowledgements and keepalives (SPEC §11).
    case ack = 5

    /// The protocol version in the high nibble of byte 0.
    public static let version: UInt8 = WireLimits.version

    /// Byte 0 of a datagram of this type: `version << 4 | type`.
    public var byte0: UInt8 { Self.version << 4 | rawValue }

    /// The type of a datagram from its byte 0; throws for another version or an unknown type.
    public init(byte0: UInt8) throws(NoiseError) {
        guard byte0 >> 4 == Self.version else { throw .unknownVersion(byte0 >> 4) }
        guard let t = DatagramType(rawValue: byte0 & 0x0F) else { throw .unknownType(byte0 & 0x0F) }
        self = t
    }
}

/// Sizes and offsets of the handshake datagrams (Protocol/SPEC.md §10).
public enum HandshakeLayout {
    /// 1 type + 4 sender index + 32 ephemeral + 48 encrypted static + 28 encrypted
    /// timestamp + 16 mac1 + 16 mac2.
    public static let initiationLength = 145
    /// 1 type + 4 sender + 4 receiver + 32 ephemeral + 16 encrypted empty payload + 16 mac1 + 16 mac2.
    public static let responseLength = 89
    /// 1 type + 4 receiver + 12 nonce + 32 encrypted cookie.
    public static let cookieReplyLength = 49
    /// Length of mac1 and of mac2.
    public static let macLength = 16

    /// The fixed length of a handshake datagram type (nil for DATA and ACK).
    public static func length(of type: DatagramType) -> Int? {
        switch type {
        case .handshakeInitiation: return initiationLength
        case .handshakeResponse: return responseLength
        case .cookieReply: return cookieReplyLength
        case .data, .ack: return nil
        }
    }

    /// Checks byte 0 and the exact length of a handshake datagram of `type`.
    static func check(_ datagram: [UInt8], is type: DatagramType) throws(NoiseError) {
        guard let first = datagram.first else { throw .truncated(expected: 1, got: 0) }
        let found = try DatagramType(byte0: first)
        guard found == type else { throw .unknownType(found.rawValue) }
        guard let n = length(of: type) else { throw .unknownType(type.rawValue) }
        guard datagram.count == n else { throw .truncated(expected: n, got: datagram.count) }
    }
}
