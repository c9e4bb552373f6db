/// The two Noise handshake patterns FlameWire uses, with the 25519/ChaChaPoly/SHA256 suite.
///
///     IK:                   IKpsk2:
///       <- s                  <- s
///       ...                   ...
///       -> e, es, s, ss       -> e, es, s, ss
///       <- e, ee, se          <- e, ee, se, psk
public enum HandshakePattern: Sendable, Equatable {
    case IK
    case IKpsk2

    /// The full protocol name, which is hashed into h first (so both sides must agree).
    public var protocolName: String {
        switch self {
        case .IK: return "Noise_IK_25519_ChaChaPoly_SHA256"
        case .IKpsk2: return "Noise_IKpsk2_25519_ChaChaPoly_SHA256"
        }
    }

    /// Whether the pattern has a psk token (then every "e" also runs MixKey).
    public var usesPSK: Bool { self == .IKpsk2 }

    enum Token { case e, s, ee, es, se, ss, psk }

    /// The message patterns, initiator first.
    var messages: [[Token]] {
        switch self {
        case .IK: return [[.e, .es, .s, .ss], [.e, .ee, .se]]
        case .IKpsk2: return [[.e, .es, .s, .ss], [.e, .ee, .se, .psk]]
        }
    }
}

/// Which side of the handshake this state plays. FlameWire: the agent initiates, the
/// collector responds.
public enum HandshakeRole: Sendable, Equatable {
    case initiator
    case responder
}
