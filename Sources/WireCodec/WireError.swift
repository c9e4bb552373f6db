/// Why a window or datagram was rejected. Each is counted by the receiver and never
/// crashes it (SPEC.md §8).
public enum WireError: Error, Equatable, CustomStringConvertible, Sendable {
    case malformedPayload(String)
    case badReference(field: String, ref: UInt64, limit: Int)
    case truncatedStream(field: String)
    case trailingData(field: String)
    case unknownBase(seq: UInt64)
    case wrongEpoch(window: UInt32, current: UInt32)
    case missingStreamInfo
    case columnCount(got: Int, expected: Int)
    case idConflict(kind: EntryKind, id: EntryID)
    case missingEntry(kind: EntryKind, id: EntryID)
    case notAscending(field: String)
    case tooLarge(field: String, count: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformedPayload(let why): return "window payload is not a valid Window message: \(why)"
        case .badReference(let f, let r, let limit): return "\(f): reference \(r) is out of range (\(limit) entries)"
        case .truncatedStream(let f): return "\(f): the packed stream ends in the middle of an entry"
        case .trailingData(let f): return "\(f): values left over after the last entry"
        case .unknownBase(let s): return "window is a delta against window \(s), which this receiver does not hold"
        case .wrongEpoch(let w, let c): return "window belongs to epoch \(w) but the stream is in epoch \(c)"
        case .missingStreamInfo: return "keyframe without stream info"
        case .columnCount(let g, let e): return "\(g) values per stack, but the stream has \(e) columns"
        case .idConflict(let k, let id): return "\(k) id \(String(id, radix: 16)) was defined with different content"
        case .missingEntry(let k, let id): return "\(k) id \(String(id, radix: 16)) is referenced but was never defined"
        case .notAscending(let f): return "\(f): entries must be in ascending order without repeats"
        case .tooLarge(let f, let n, let limit): return "\(f): \(n) exceeds the limit of \(limit)"
        }
    }
}
