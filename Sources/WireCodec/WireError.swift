/// Why a window or datagram was rejected. Each is counted by the receiver and never
/// crashes it (SPEC.md §8).
public enum WireError: Error, Equatable, CustomStringConvertible, Sendable {
    case malformedPayload(String)
    case badReference(field: String, ref: UInt64, limit: Int)
    case truncatedStream(field: String)
    case trailingData(field: String)
    case unknownBase(seq: UInt32)
    case wrongEpoch(window: UInt32, current: UInt32)
    case missingStreamInfo
    /// A field holds another number of values than the window's rows and columns need.
    case valueCount(field: String, got: Int, expected: Int)
    case idConflict(kind: EntryKind, id: EntryID)
    case missingEntry(kind: EntryKind, id: EntryID)
    case notAscending(field: String)
    case tooLarge(field: String, count: Int, limit: Int)
    /// The window names another stream or seq than the datagrams that carried it.
    case addressMismatch(stream: UInt32, seq: UInt32)

    /// The counter label of this rejection (`window_rejected_total{reason="…"}`).
    public var reason: RejectReason {
        switch self {
        case .malformedPayload: return .malformed
        case .badReference: return .badReference
        case .truncatedStream, .trailingData, .notAscending, .valueCount: return .malformed
        case .unknownBase: return .unknownBase
        case .wrongEpoch: return .wrongEpoch
        case .missingStreamInfo: return .missingStreamInfo
        case .idConflict: return .idConflict
        case .missingEntry: return .badReference
        case .tooLarge: return .tooLarge
        case .addressMismatch: return .addressMismatch
        }
    }

    public var description: String {
        switch self {
        case .malformedPayload(let why): return "window payload is not a valid Window message: \(why)"
        case .badReference(let f, let r, let limit): return "\(f): reference \(r) is out of range (\(limit) entries)"
        case .truncatedStream(let f): return "\(f): the packed stream ends in the middle of an entry"
        case .trailingData(let f): return "\(f): values left over after the last entry"
        case .unknownBase(let s): return "window is a delta against window \(s), which this receiver does not hold"
        case .wrongEpoch(let w, let c): return "window belongs to epoch \(w) but the stream is in epoch \(c)"
        case .missingStreamInfo: return "keyframe without stream info"
        case .valueCount(let f, let g, let e): return "\(f): \(g) entries where the window's rows and columns need \(e)"
        case .idConflict(let k, let id): return "\(k) id \(String(id, radix: 16)) was defined with different content"
        case .missingEntry(let k, let id): return "\(k) id \(String(id, radix: 16)) is referenced but was never defined"
        case .notAscending(let f): return "\(f): entries must be in ascending order without repeats"
        case .tooLarge(let f, let n, let limit): return "\(f): \(n) exceeds the limit of \(limit)"
        case .addressMismatch(let st, let sq): return "window says stream \(st) window \(sq), which its datagrams do not"
        }
    }
}

/// Why a rebuilt window was not decoded, as a counter label. `unknownBase` and
/// `wrongEpoch` are what a correct sender causes after a receiver restart (it answers with
/// a keyframe); the others mean a broken or hostile sender.
public enum RejectReason: String, Sendable, CaseIterable, Hashable, Comparable {
    case malformed
    case badReference = "bad_reference"
    case unknownBase = "unknown_base"
    case wrongEpoch = "wrong_epoch"
    case missingStreamInfo = "missing_stream_info"
    case idConflict = "id_conflict"
    case tooLarge = "too_large"
    /// Framing: the snappy block does not decompress (or is over MAX_PAYLOAD).
    case badCompression = "bad_compression"
    /// Framing: the window's stream or seq differs from its datagrams' (SPEC.md §6.5).
    case addressMismatch = "address_mismatch"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}
