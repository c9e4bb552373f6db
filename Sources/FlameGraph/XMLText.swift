/// Text that is safe to put in XML 1.0 character data or attribute values.
enum XMLText {
    /// The replacement for characters XML 1.0 forbids (C0 and C1 controls, U+FFFE, U+FFFF).
    /// Tabs and line breaks are replaced too: a frame name is one line, and the SVG uses a
    /// line break inside each frame's `<title>` to separate the name from its numbers.
    static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// Whether `s` must be replaced before it can appear in a name.
    @inline(__always)
    static func isForbidden(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0xFFFE || v == 0xFFFF
    }

    /// `name` with forbidden characters replaced; the text a reader sees.
    static func sanitized(_ name: Substring) -> String {
        guard name.unicodeScalars.contains(where: isForbidden) else { return String(name) }
        var out = String.UnicodeScalarView()
        for s in name.unicodeScalars { out.append(isForbidden(s) ? replacement : s) }
        return String(out)
    }

    /// Appends `text` to `out` as UTF-8 with `&`, `<`, `>`, `"` and `'` escaped and
    /// forbidden characters replaced, so it is valid both as character data and inside a
    /// quoted attribute value.
    static func appendEscaped<S: StringProtocol>(_ text: S, to out: inout [UInt8]) {
        for s in text.unicodeScalars {
            switch s {
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)
            case "\"": out.append(contentsOf: "&quot;".utf8)
            case "'": out.append(contentsOf: "&#39;".utf8)
            default:
                if s.isASCII && !isForbidden(s) {
                    out.append(UInt8(s.value))
                } else {
                    out.append(contentsOf: UTF8.encode(isForbidden(s) ? replacement : s)!)
                }
            }
        }
    }

    /// `text` escaped, as a `String`.
    static func escaped<S: StringProtocol>(_ text: S) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// How many bytes `appendEscaped` writes for `text`.
    static func escapedCount<S: StringProtocol>(_ text: S) -> Int {
        var n = 0
        for s in text.unicodeScalars {
            switch s {
            case "&": n += 5
            case "<", ">": n += 4
            case "\"": n += 6
            case "'": n += 5
            default: n += isForbidden(s) ? 3 : UTF8.width(s)
            }
        }
        return n
    }
}

/// Fitting labels into frames by arithmetic, not by measuring text in a browser: every
/// character is taken as `0.59 × fontSize` wide (East Asian wide characters and emoji as
/// two). The script in the SVG does exactly the same when zooming, so a graph with
/// hundreds of thousands of frames neither measures text on load nor on zoom.
enum LabelFit {
    /// Room left and right of a label inside its frame, in pixels.
    static let padding = 3.0
    /// The fewest characters worth drawing; narrower frames get no label.
    static let minimumCharacters = 3

    /// Character cells that fit in a frame `width` pixels wide.
    @inline(__always)
    static func cells(width: Double, fontSize: Double) -> Int {
        let avail = ((width - 2 * padding) / (0.59 * fontSize)).rounded(.down)
        return avail > 1e6 ? 1_000_000 : Int(max(avail, -1))
    }

    /// Whether a character takes two cells (CJK, Hangul, full-width forms, emoji).
    @inline(__always)
    static func isWide(_ c: UInt32) -> Bool {
        (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3)
            || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60)
            || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD)
    }

    /// The label for `name` (already sanitized) in a frame `width` pixels wide: the whole
    /// name, the name cut with a `..` suffix, or nil when fewer than three characters fit.
    static func label(_ name: String, width: Double, fontSize: Double) -> String? {
        let avail = cells(width: width, fontSize: fontSize)
        guard avail >= minimumCharacters else { return nil }
        var used = 0
        var cutAt: String.Index? = nil
        let scalars = name.unicodeScalars
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let k = isWide(scalars[i].value) ? 2 : 1
            if cutAt == nil && used + k > avail - 2 { cutAt = i }
            used += k
            if used > avail {
                return String(name.unicodeScalars[..<(cutAt ?? i)]) + ".."
            }
            i = scalars.index(after: i)
        }
        return name
    }
}
