#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The decoded `string_table` of a pprof message, with lookups that check every index.
///
/// pprof stores each string once and refers to it by index from everywhere else, so
/// every index read from the file is checked here before it is used; an error names the
/// field the bad index came from.
struct StringTable {
    let strings: [String]

    /// Validates the raw entries: at least one, the first empty, all valid UTF-8.
    init(_ entries: [Data]) throws(PprofError) {
        guard let first = entries.first else { throw .emptyStringTable }
        guard first.isEmpty else {
            throw .firstStringNotEmpty(String(decoding: first, as: UTF8.self))
        }
        var strings: [String] = []
        strings.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            let s: String? = entry.withUnsafeBytes { String(validating: $0, as: UTF8.self) }
            guard let s else { throw .invalidUTF8(stringIndex: i) }
            strings.append(s)
        }
        self.strings = strings
    }

    /// Strings already checked (first empty, all valid UTF-8) by the caller.
    init(validated strings: [String]) { self.strings = strings }

    var count: Int { strings.count }

    /// The string at `index`; `field` names where the index came from, for the error.
    @inline(__always)
    func string(_ index: Int64, _ field: @autoclosure () -> String) throws(PprofError) -> String {
        guard index >= 0, index < Int64(strings.count) else {
            throw .stringIndexOutOfRange(field: field(), index: index, tableSize: strings.count)
        }
        return strings[Int(index)]
    }
}
