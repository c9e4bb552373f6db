/// Durations as people type them on a command line or in a query: a non-negative decimal
/// and a unit, "320ms", "1.5s", "30m", "2h", "7d", "250us", "10ns". One reader for every
/// flag and parameter, so `--delay`, `--retention` and `from=now-7d` agree.
public enum DurationText {
    /// The units, longest suffix first where two share an ending.
    static let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9),
                                            ("m", 60e9), ("h", 3600e9), ("d", 86_400e9)]

    /// The duration `text` names, or nil when it is not a decimal with one of the units
    /// (or does not fit in 64-bit nanoseconds).
    public static func parse(_ text: String) -> Duration? {
        for (unit, scale) in units where text.hasSuffix(unit) {
            guard let number = decimal(String(text.dropLast(unit.count))) else { continue }
            let ns = (number * scale).rounded()
            guard ns < 9.2e18 else { return nil }
            return .nanoseconds(Int64(ns))
        }
        return nil
    }

    /// Digits with at most one decimal point ("1.5", "320"; not "", ".", "1e3" or "-2").
    public static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "." else { return nil }
        return Double(text)
    }
}
