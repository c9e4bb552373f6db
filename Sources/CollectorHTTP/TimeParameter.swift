import Foundation
import SansIO
import Store

/// Reads `from=`, `to=` and `diff=` values: Unix seconds (`1764740000`, `1764740000.25`),
/// RFC 3339 (`2026-12-03T06:00:00Z`), `now`, or an offset from now (`now-15m`, `-15m`,
/// `-2h`, `-7d`; units ms, s, m, h, d).
enum TimeParameter {
    static func parse(_ text: String, now: Int64) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return now }
        if t.hasPrefix("now-") { return offset(String(t.dropFirst(4))).map { now &- $0 } }
        if t.hasPrefix("-") { return offset(String(t.dropFirst())).map { now &- $0 } }
        if let seconds = Double(t), seconds.isFinite, abs(seconds) < 1e11 { return Int64((seconds * 1e9).rounded()) }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: t) { return Int64((d.timeIntervalSince1970 * 1e9).rounded()) }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: t) { return Int64((d.timeIntervalSince1970 * 1e9).rounded()) }
        return nil
    }

    /// "15m" → nanoseconds (`DurationText`: ns, us, ms, s, m, h, d).
    static func offset(_ text: String) -> Int64? {
        guard let d = DurationText.parse(text), d < .seconds(9e9) else { return nil }
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    static let hint = "give Unix seconds, RFC 3339 (2026-12-03T06:00:00Z), now, or now-15m / -2h / -7d"

    /// `from`…`to` of a query (either may be missing: the stream's start, now).
    static func range(from: String?, to: String?, now: Int64, name: (String, String) = ("from", "to")) throws(QueryError) -> TimeRange {
        var r = TimeRange.all
        if let from, !from.isEmpty {
            guard let v = parse(from, now: now) else { throw .bad(name.0, "'\(from)' is not a time: \(hint)") }
            r.from = v
        }
        if let to, !to.isEmpty {
            guard let v = parse(to, now: now) else { throw .bad(name.1, "'\(to)' is not a time: \(hint)") }
            r.to = v
        }
        guard r.from < r.to else { throw .bad(name.0, "the range is empty: \(name.0) must come before \(name.1)") }
        return r
    }
}
