/// Formatting values in the unit of their sample type, the way a person reads them.
public enum UnitFormatter {
    /// Kinds of unit that pprof profiles use.
    public enum Kind: Sendable, Equatable {
        case nanoseconds, microseconds, milliseconds, seconds
        case bytes, kilobytes, megabytes
        case count(noun: String)
    }

    /// Classifies a value type by its unit (and, for counts, picks a noun from the type).
    public static func kind(of valueType: ValueType) -> Kind {
        switch valueType.unit.lowercased() {
        case "nanoseconds", "nanosecond", "ns": return .nanoseconds
        case "microseconds", "microsecond", "us": return .microseconds
        case "milliseconds", "millisecond", "ms": return .milliseconds
        case "seconds", "second", "s": return .seconds
        case "bytes", "byte", "b": return .bytes
        case "kilobytes", "kb": return .kilobytes
        case "megabytes", "mb": return .megabytes
        default:
            let t = valueType.type.lowercased()
            let noun: String
            if t == "samples" || t == "sample" || t.isEmpty { noun = "samples" }
            else if t.hasSuffix("_objects") || t == "objects" { noun = "objects" }
            else if t == "contentions" { noun = "contentions" }
            else if t == "goroutine" || t == "goroutines" { noun = "goroutines" }
            else if t == "threadcreate" { noun = "threads" }
            else if valueType.unit.isEmpty || valueType.unit == "count" { noun = t }
            else { noun = valueType.unit }
            return .count(noun: noun)
        }
    }

    /// Formats `value` of `valueType`: `1.23 s`, `45.6 MB`, `1,234 samples`.
    public static func format(_ value: Int64, as valueType: ValueType) -> String {
        format(Double(value), kind: kind(of: valueType))
    }

    public static func format(_ value: Double, kind: Kind) -> String {
        switch kind {
        case .nanoseconds: return time(value)
        case .microseconds: return time(value * 1e3)
        case .milliseconds: return time(value * 1e6)
        case .seconds: return time(value * 1e9)
        case .bytes: return bytes(value)
        case .kilobytes: return bytes(value * 1e3)
        case .megabytes: return bytes(value * 1e6)
        case .count(let noun):
            let n = grouped(value)
            if noun.isEmpty { return n }
            // "1 sample", "1 goroutine": one of anything is singular.
            if n == "1", noun.hasSuffix("s"), noun.count > 1 { return "1 \(noun.dropLast())" }
            return "\(n) \(noun)"
        }
    }

    /// Time with three significant digits: `950 ns`, `12.3 µs`, `1.23 s`, `2.5 min`.
    public static func time(_ ns: Double) -> String {
        let a = abs(ns)
        if a < 1e3 { return "\(significant(ns)) ns" }
        if a < 1e6 { return "\(significant(ns / 1e3)) µs" }
        if a < 1e9 { return "\(significant(ns / 1e6)) ms" }
        if a < 60e9 { return "\(significant(ns / 1e9)) s" }
        if a < 3600e9 { return "\(significant(ns / 60e9)) min" }
        return "\(significant(ns / 3600e9)) h"
    }

    /// Bytes in decimal units with three significant digits: `512 B`, `45.6 MB`.
    public static func bytes(_ b: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var v = b
        var i = 0
        while abs(v) >= 1000, i < units.count - 1 {
            v /= 1000
            i += 1
        }
        return i == 0 ? "\(grouped(b)) B" : "\(significant(v)) \(units[i])"
    }

    /// An integer with thousands separators: `1,234,567`.
    public static func grouped(_ value: Double) -> String {
        let r = value.rounded()
        guard abs(r) < 9.2e18 else { return String(format3(r)) }
        let n = Int64(r)
        let digits = String(n.magnitude)
        var out = ""
        out.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// Three significant digits without trailing zeros: 1.23, 12.3, 123, 1.2.
    public static func significant(_ v: Double) -> String {
        let a = abs(v)
        let decimals = a >= 100 ? 0 : (a >= 10 ? 1 : 2)
        return format3(v, decimals: decimals)
    }

    /// Fixed-point formatting without Foundation; trims trailing zeros and a bare point.
    public static func format3(_ v: Double, decimals: Int = 0) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9.2e18 else { return v < 0 ? "-\(abs(v))" : "\(v)" }
        let n = UInt64(scaled)
        let s = UInt64(scale)
        var out = String(n / s)
        if decimals > 0 {
            var frac = String(n % s)
            while frac.count < decimals { frac = "0" + frac }
            while frac.hasSuffix("0") { frac.removeLast() }
            if !frac.isEmpty { out += "." + frac }
        }
        return (v < 0 && n != 0) ? "-" + out : out
    }

    /// A percentage with two decimals: `12.34%`.
    public static func percent(_ part: Double, of total: Double) -> String {
        guard total != 0 else { return "0%" }
        return format3(part / total * 100, decimals: 2) + "%"
    }
}
