import WireFrame

/// Why a session dropped a datagram without acting on it: every reason of the datagram
/// layer (`DropReason`, SPEC.md §6.5) and those of the handshake and CONTROL (§10.7, §11.1).
/// The raw value is the metric label (`/metrics` counts drops by it); `allCases` lets a
/// runtime export every reason from zero.
public enum SessionDropReason: String, CaseIterable, Sendable, Hashable, Comparable {
    // The datagram layer.
    case tooShort = "too_short"
    case tooLong = "too_long"
    case unknownVersion = "unknown_version"
    case unknownType = "unknown_type"
    case inconsistentLayout = "inconsistent_layout"
    case bundleTooLarge = "bundle_too_large"
    case badDirectory = "bad_directory"
    case authenticationFailed = "authentication_failed"
    case replayed = "replayed"
    case unknownConnection = "unknown_connection"
    case conflictsWithEarlier = "conflicts_with_earlier"
    case overMemoryBound = "over_memory_bound"
    case evictedPartialBundle = "evicted_partial_bundle"
    case configuration = "configuration"
    // Sessions.
    /// A datagram type this end never receives (a response at the collector, say).
    case unexpectedType = "unexpected_type"
    /// An initiation whose mac1 does not prove knowledge of the collector's public key.
    case badMac1 = "bad_mac1"
    /// A handshake datagram of the wrong length or with a bad mac2 when one is required.
    case badHandshake = "bad_handshake"
    /// An initiation that does not decrypt (wrong collector key, corrupted).
    case badInitiation = "bad_initiation"
    /// An initiation from an agent key not on the allow list.
    case unknownAgent = "unknown_agent"
    /// An initiation whose timestamp is not newer than the last accepted for its key.
    case replayedInitiation = "replayed_initiation"
    /// An initiation from a new agent when `maxPeers` sessions are live.
    case tooManyPeers = "too_many_peers"
    /// An initiation another shard of this collector forwarded, for an agent that shard
    /// found owned elsewhere and this shard does not own either (the allow list was reloaded
    /// meanwhile); the agent's next initiation finds its owner.
    case misrouted = "misrouted"
    /// An authenticated CONTROL datagram whose frames do not parse.
    case malformedControl = "malformed_control"
    /// A cookie reply that does not open or answers no initiation of ours.
    case badCookieReply = "bad_cookie_reply"
    /// The agent could not build an initiation (it counts this rather than send garbage).
    case handshakeBuildFailed = "handshake_build_failed"
    /// A response when no handshake is in progress, or to another initiation.
    case unexpectedResponse = "unexpected_response"
    /// A response that does not decrypt or verify.
    case badResponse = "bad_response"

    /// The session reason of a datagram-layer drop.
    public init(_ r: DropReason) {
        switch r {
        case .tooShort: self = .tooShort
        case .tooLong: self = .tooLong
        case .unknownVersion: self = .unknownVersion
        case .unknownType: self = .unknownType
        case .inconsistentLayout: self = .inconsistentLayout
        case .bundleTooLarge: self = .bundleTooLarge
        case .badDirectory: self = .badDirectory
        case .authenticationFailed: self = .authenticationFailed
        case .replayed: self = .replayed
        case .unknownConnection: self = .unknownConnection
        case .conflictsWithEarlier: self = .conflictsWithEarlier
        case .overMemoryBound: self = .overMemoryBound
        case .evictedPartialBundle: self = .evictedPartialBundle
        case .configuration: self = .configuration
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
