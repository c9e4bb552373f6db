import Compression

/// Why bytes could not be read as a pprof profile.
///
/// Each case carries what a user needs to find the problem in the file (which table,
/// which id, which index), and `description` is one line that reads well after a file
/// name: `heap.pb.gz: not a valid pprof profile: function 12 name: string index 9999 out
/// of range (table has 812 strings)`.
public enum PprofError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The tables of a profile whose entries carry ids.
    public enum Table: String, Sendable, Equatable {
        case mapping, location, function
    }

    /// The gzip container could not be decompressed (truncated, corrupt, or it grew past
    /// `PprofDecoder.maxDecompressedBytes`).
    case compression(CompressionError)
    /// The (decompressed) bytes are not a protobuf message; `reason` says what the
    /// protobuf decoder stumbled on.
    case notProtobuf(reason: String)
    /// The string table has no entries; its first entry must be the empty string.
    case emptyStringTable
    /// `string_table[0]` is not the empty string (the value found is carried).
    case firstStringNotEmpty(String)
    /// String table entry `index` is not valid UTF-8.
    case invalidUTF8(stringIndex: Int)
    /// `field` (for example "function 12 name") holds a string index outside the table.
    case stringIndexOutOfRange(field: String, index: Int64, tableSize: Int)
    /// The entry at `position` (0-based) of `table` has id 0, which means "none".
    case zeroID(table: Table, position: Int)
    /// Two entries of `table` share `id`.
    case duplicateID(table: Table, id: UInt64)
    /// `referrer` (for example "sample 3" or "location 7 line 2") names an id that no
    /// entry of `table` has.
    case missingReference(referrer: String, table: Table, id: UInt64)
    /// Sample `sample` (0-based) has `values` values, but the profile declares
    /// `sampleTypes` sample types.
    case valueCountMismatch(sample: Int, values: Int, sampleTypes: Int)
    /// Location `id` has neither source lines nor an address, so there is nothing to show
    /// for it.
    case emptyLocation(id: UInt64)
    /// Sample `sample` (0-based) has a stack of more than `limit` frames (each line of
    /// each location counts as one frame); `frames` is how many were counted before
    /// giving up.
    case stackTooDeep(sample: Int, frames: Int, limit: Int)

    public var description: String {
        switch self {
        case .compression(let e):
            return "\(e)"
        case .notProtobuf(let reason):
            return "the data is not a protobuf message (\(reason)); expected a pprof profile, raw or gzip-compressed"
        case .emptyStringTable:
            return "the string table is empty; a pprof string table must start with the empty string"
        case .firstStringNotEmpty(let s):
            return "string table entry 0 is \(quoted(s)) but must be the empty string"
        case .invalidUTF8(let i):
            return "string table entry \(i) is not valid UTF-8"
        case .stringIndexOutOfRange(let field, let index, let size):
            return "\(field): string index \(index) out of range (table has \(size) string\(size == 1 ? "" : "s"))"
        case .zeroID(let table, let position):
            return "\(table.rawValue) number \(position + 1) in the \(table.rawValue) table has id 0, which is reserved for \"none\""
        case .duplicateID(let table, let id):
            return "two \(table.rawValue)s have id \(id); \(table.rawValue) ids must be unique"
        case .missingReference(let referrer, let table, let id):
            return "\(referrer) refers to \(table.rawValue) \(id), which does not exist"
        case .valueCountMismatch(let sample, let values, let types):
            return "sample \(sample) has \(values) value\(values == 1 ? "" : "s") but the profile has \(types) sample type\(types == 1 ? "" : "s")"
        case .emptyLocation(let id):
            return "location \(id) has neither source lines nor an address"
        case .stackTooDeep(let sample, let frames, let limit):
            return "sample \(sample) has a stack deeper than \(limit) frames (counted \(frames)); is the profile corrupt?"
        }
    }
}

/// `s` in double quotes, shortened to 60 characters, with control characters escaped, so
/// a description stays one line.
private func quoted(_ s: String) -> String {
    let short = s.count > 60 ? String(s.prefix(60)) + "..." : s
    var out = "\""
    for scalar in short.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7F {
            out += scalar.escaped(asASCII: true)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
