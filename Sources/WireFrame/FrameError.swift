import WireLimits

/// Why a datagram was dropped, as a counter label (`frame_dropped_total{reason="…"}`).
/// When several reasons apply, the first check of SPEC.md §6.5 that fails names it.
public enum DropReason: String, Sendable, CaseIterable, Hashable, Comparable {
    case tooShort = "too_short"
    case tooLong = "too_long"
    case unknownVersion = "unknown_version"
    case unknownType = "unknown_type"
    case inconsistentLayout = "inconsistent_layout"
    case bundleTooLarge = "bundle_too_large"
    /// A rebuilt bundle whose directory does not describe it (SPEC.md §6.2).
    case badDirectory = "bad_directory"
    case authenticationFailed = "authentication_failed"
    case replayed = "replayed"
    case unknownConnection = "unknown_connection"
    case conflictsWithEarlier = "conflicts_with_earlier"
    case overMemoryBound = "over_memory_bound"
    /// Not the datagram's fault: a partial bundle was given up to make room (§6.5).
    case evictedPartialBundle = "evicted_partial_bundle"
    case configuration = "configuration"

    public static func < (a: DropReason, b: DropReason) -> Bool { a.rawValue < b.rawValue }
}

/// Why a datagram was dropped, with what a person needs to see why. The receiver counts
/// each by its `reason`.
public enum FrameError: Error, Equatable, Hashable, CustomStringConvertible, Sendable {
    case tooShort(Int)
    case tooLong(Int)
    case overMemoryBound(bundleLength: Int)
    case unknownVersion(UInt8)
    case unknownType(UInt8)
    case inconsistentLayout(String)
    case bundleTooLarge(Int)
    case badDirectory(String)
    case authenticationFailed
    case replayed(packetNumber: UInt64)
    case unknownConnection(UInt32)
    case conflictsWithEarlier(String)
    case configuration(String)

    public var reason: DropReason {
        switch self {
        case .tooShort: return .tooShort
        case .tooLong: return .tooLong
        case .overMemoryBound: return .overMemoryBound
        case .unknownVersion: return .unknownVersion
        case .unknownType: return .unknownType
        case .inconsistentLayout: return .inconsistentLayout
        case .bundleTooLarge: return .bundleTooLarge
        case .badDirectory: return .badDirectory
        case .authenticationFailed: return .authenticationFailed
        case .replayed: return .replayed
        case .unknownConnection: return .unknownConnection
        case .conflictsWithEarlier: return .conflictsWithEarlier
        case .configuration: return .configuration
        }
    }

    public var description: String {
        switch self {
        case .tooShort(let n): return "datagram of \(n) bytes is too short for its type (a DATA datagram needs more than 39)"
        case .tooLong(let n): return "datagram of \(n) bytes is longer than this receiver accepts (at most MAX_DATAGRAM, 1472)"
        case .overMemoryBound(let l): return "a bundle of \(l) bytes does not fit the receiver's memory bound"
        case .unknownVersion(let v): return "datagram has protocol version \(v); this receiver speaks version \(WireLimits.version)"
        case .unknownType(let t): return "datagram has unknown type \(t)"
        case .inconsistentLayout(let why): return "datagram header is inconsistent: \(why)"
        case .bundleTooLarge(let l): return "a bundle of \(l) bytes needs more than 255 blocks"
        case .badDirectory(let why): return "rebuilt bundle has a bad directory: \(why)"
        case .authenticationFailed: return "datagram failed authentication"
        case .replayed(let pn): return "packet number \(pn) was already received or is older than the replay window"
        case .unknownConnection(let c): return "no session has connection id \(c)"
        case .conflictsWithEarlier(let why): return "datagram contradicts earlier datagrams of its bundle: \(why)"
        case .configuration(let why): return why
        }
    }
}
