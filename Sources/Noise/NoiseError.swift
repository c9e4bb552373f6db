/// Everything that can go wrong in the Noise layer, with a message a user (or the log
/// reader) can act on. A collector drops a datagram that fails with any of these and
/// counts it by case; it never answers one.
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the layout needs (or, for fixed-size messages, a different count).
    case truncated(expected: Int, got: Int)
    /// The datagram's version nibble is not 1.
    case unknownVersion(UInt8)
    /// The datagram's type nibble is not a handshake type this call handles.
    case unknownType(UInt8)
    /// mac1 does not match: the sender does not know our static public key, or the
    /// datagram was damaged. Drop without a reply.
    case badMac1
    /// mac2 is missing or wrong while the responder is under load: send a cookie reply.
    case badMac2
    /// An AEAD tag did not verify: wrong key, wrong peer, tampering or corruption.
    case decryptFailed
    /// A Diffie–Hellman result was all zeros: the peer sent a low-order public key.
    case weakPublicKey
    /// A key or secret had the wrong number of bytes.
    case badKeyLength(expected: Int, got: Int)
    /// The 64-bit nonce reached 2^64−1; the session must be rekeyed or re-handshaken.
    case nonceExhausted
    /// A handshake call came in the wrong order (e.g. writing when it is our turn to read,
    /// or splitting before the last message).
    case wrongState(String)
    /// The handshake failed earlier (a decrypt or DH error) and this state may not be used again.
    case handshakeFailed
    /// The pattern needs a pre-shared key (IKpsk2) that was not given, or one was given to IK.
    case pskMismatch
    /// A response or cookie reply names a receiver index we did not send.
    case unknownReceiverIndex(UInt32)
    /// A cookie reply arrived but no initiation awaits one.
    case unexpectedCookieReply

    public var description: String {
        switch self {
        case let .truncated(expected, got):
            return "message truncated: expected \(expected) bytes, got \(got)"
        case let .unknownVersion(v):
            return "unknown protocol version \(v) (this build speaks version \(DatagramType.version)); upgrade the older side"
        case let .unknownType(t):
            return "unknown datagram type \(t)"
        case .badMac1:
            return "bad mac1: the sender does not use this collector's public key (check the pinned key) or the datagram was damaged"
        case .badMac2:
            return "missing or stale cookie (mac2) while the collector is under load: a cookie reply is due"
        case .decryptFailed:
            return "decryption failed: wrong key, wrong peer, or a damaged or forged message"
        case .weakPublicKey:
            return "the peer's public key is a low-order point (all-zero shared secret); refusing it"
        case let .badKeyLength(expected, got):
            return "key has \(got) bytes, expected \(expected)"
        case .nonceExhausted:
            return "nonce exhausted (2^64-1 messages): start a new handshake"
        case let .wrongState(what):
            return "handshake used out of order: \(what)"
        case .handshakeFailed:
            return "this handshake failed earlier and cannot be used again; start a new one"
        case .pskMismatch:
            return "pre-shared key mismatch: IKpsk2 needs a 32-byte psk on both sides, IK none"
        case let .unknownReceiverIndex(i):
            return "message for receiver index \(i), which has no pending handshake"
        case .unexpectedCookieReply:
            return "cookie reply without a pending initiation"
        }
    }
}
