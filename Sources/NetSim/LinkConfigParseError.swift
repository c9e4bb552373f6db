/// A link description that `LinkConfig.parse` and its helpers cannot read; each case
/// carries the offending text.
public enum LinkConfigParseError: Error, Sendable, Equatable {
    /// Not a probability: a number in [0, 1] or a percentage in [0 %, 100 %] ("12%", "0.12").
    case badProbability(String)
    /// Not a duration: a non-negative decimal with a unit ns, us, ms, s, m or h ("320ms", "30m").
    case badDuration(String)
    /// Not a bit rate: a positive decimal with a unit bit, kbit, mbit or gbit, "/s" optional ("64kbit").
    case badBitRate(String)
    /// Not a byte count: a non-negative integer with an optional unit B, KB, KiB, MB or MiB ("16KB").
    case badByteCount(String)
    /// Not an outage: a duration, "@", a start time ("60s@10m": down 60 s from 10 minutes on).
    case badOutage(String)
    /// Not burst loss: a mean loss rate, "/", a mean burst length in datagrams ("12%/4").
    case badBurstLoss(String)
    /// Not reordering: a probability, "/", the extra delay ("1%/30ms").
    case badReorder(String)
    /// A key `LinkConfig.parse` does not know.
    case unknownKey(String)
    /// An item without "=value".
    case missingValue(String)
    /// `queue=` without `rate=` (a queue with nothing to wait for; likely a typo).
    case queueWithoutRate(String)
    /// A key given twice (only `outage` may repeat).
    case repeatedKey(String)
    /// Every value reads, but together they are out of range.
    case invalid(LinkConfigError)
}

extension LinkConfigParseError: CustomStringConvertible {
    /// One line naming the bad text and what was expected, for a command line error.
    public var description: String {
        switch self {
        case .badProbability(let t): return "'\(t)' is not a probability (a number in 0…1 or a percentage such as 12%)"
        case .badDuration(let t): return "'\(t)' is not a duration (a number with ns, us, ms, s, m or h, such as 320ms)"
        case .badBitRate(let t): return "'\(t)' is not a bit rate (a number with bit, kbit, mbit or gbit, such as 64kbit)"
        case .badByteCount(let t): return "'\(t)' is not a byte count (a number with B, KB, KiB, MB or MiB, such as 16KB)"
        case .badOutage(let t): return "'\(t)' is not an outage (DURATION@START, such as 60s@10m)"
        case .badBurstLoss(let t): return "'\(t)' is not burst loss (RATE/LENGTH, such as 12%/4)"
        case .badReorder(let t): return "'\(t)' is not reordering (PROBABILITY/DELAY, such as 1%/30ms)"
        case .unknownKey(let k): return "unknown link key '\(k)'"
        case .missingValue(let t): return "'\(t)' has no =value"
        case .queueWithoutRate(let t): return "queue=\(t) needs a rate="
        case .repeatedKey(let k): return "'\(k)' is given twice"
        case .invalid(let e): return "\(e)"
        }
    }
}
