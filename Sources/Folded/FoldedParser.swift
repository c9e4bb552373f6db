/// A streaming parser for folded stacks (`root;child;leaf 123`, the format of
/// flamegraph.pl, inferno and `stackcollapse-*`).
///
/// It works on raw bytes and never builds a `String` per line, so it can feed a
/// flame graph at hundreds of MB/s. It tolerates CRLF line ends, trailing spaces and
/// tabs, blank lines, and leading whitespace; counts are unsigned decimal integers
/// up to 2^63-1. Perf annotations (`_[k]`, `_[j]`, `_[i]`, `_[w]`) are part of a frame
/// name as far as the parser is concerned; see `FrameAnnotation` for reading them.
public struct FoldedParser {
    /// The deepest stack accepted; deeper ones are reported, not truncated.
    public static let maxDepth = 65_536

    /// Parses every complete line in `bytes` and calls `sink` with the stack bytes
    /// (frames separated by `;`, without the count) and the count.
    ///
    /// - Parameters:
    ///   - bytes: the input; the last line need not end in a newline when `isFinal`.
    ///   - firstLine: the 1-based line number of the first line in `bytes`, for errors.
    ///   - isFinal: when false, an unterminated last line is left unparsed and its
    ///     offset returned, so a caller reading in chunks can carry it over.
    /// - Returns: the number of bytes consumed.
    @inlinable
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, firstLine: Int = 1, isFinal: Bool = true,
        lineCount: inout Int,
        _ sink: (_ stack: UnsafeRawBufferPointer, _ count: Int64, _ line: Int) throws(FoldedError) -> Void
    ) throws(FoldedError) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let end = bytes.count
        var pos = 0
        var line = firstLine
        lineCount = 0
        while pos < end {
            // Find the end of this line.
            var eol = pos
            let nl: Int
            if let p = memchrByte(base + pos, 0x0A, end - pos) {
                eol = base.distance(to: p)
                nl = eol + 1
            } else {
                if !isFinal { return pos }
                eol = end
                nl = end
            }
            try parseLine(base, from: pos, to: eol, line: line, sink)
            lineCount += 1
            line += 1
            pos = nl
        }
        return end
    }

    @inlinable
    static func parseLine(
        _ base: UnsafeRawPointer, from start: Int, to lineEnd: Int, line: Int,
        _ sink: (_ stack: UnsafeRawBufferPointer, _ count: Int64, _ line: Int) throws(FoldedError) -> Void
    ) throws(FoldedError) {
        var s = start
        var e = lineEnd
        // Trim whitespace (space, tab, CR) at both ends.
        while e > s, isSpace(base.load(fromByteOffset: e - 1, as: UInt8.self)) { e -= 1 }
        while s < e, isSpace(base.load(fromByteOffset: s, as: UInt8.self)) { s += 1 }
        if s == e { return }  // blank line
        // The count is the last run of digits after a space.
        var d = e
        while d > s {
            let c = base.load(fromByteOffset: d - 1, as: UInt8.self)
            if c < 0x30 || c > 0x39 { break }
            d -= 1
        }
        if d == e || (d > s && !isSpace(base.load(fromByteOffset: d - 1, as: UInt8.self))) {
            // No trailing digits, or digits glued to the stack ("a;b12", "a;b 1.5").
            var tokenStart = e
            while tokenStart > s, !isSpace(base.load(fromByteOffset: tokenStart - 1, as: UInt8.self)) { tokenStart -= 1 }
            if tokenStart == s { throw .missingCount(line: line) }
            let token = UnsafeRawBufferPointer(start: base + tokenStart, count: e - tokenStart)
            throw .badCount(line: line, text: String(decoding: token.prefix(40), as: UTF8.self))
        }
        if d == s { throw .emptyStack(line: line) }
        // Parse the count.
        var value: UInt64 = 0
        var i = d
        while i < e {
            let digit = UInt64(base.load(fromByteOffset: i, as: UInt8.self) &- 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 || a > UInt64(Int64.max) {
                throw .badCount(line: line, text: String(decoding: UnsafeRawBufferPointer(start: base + d, count: min(e - d, 40)), as: UTF8.self))
            }
            value = a
            i += 1
        }
        // The stack ends before the whitespace that precedes the count.
        var stackEnd = d
        while stackEnd > s, isSpace(base.load(fromByteOffset: stackEnd - 1, as: UInt8.self)) { stackEnd -= 1 }
        if stackEnd == s { throw .emptyStack(line: line) }
        try sink(UnsafeRawBufferPointer(start: base + s, count: stackEnd - s), Int64(value), line)
    }

    @inlinable @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
}

/// `memchr` without Foundation: the position of the first `byte` in `count` bytes.
@inlinable @inline(__always)
func memchrByte(_ p: UnsafeRawPointer, _ byte: UInt8, _ count: Int) -> UnsafeRawPointer? {
    guard count > 0 else { return nil }
    return UnsafeRawPointer(memchr(p, Int32(byte), count))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
