import SansIO

extension LinkConfig {
    /// The queue a `rate=` gets when no `queue=` is given, in bytes.
    public static let defaultQueueBytes = 64_000

    /// Reads a link description: items `key=value`, separated by spaces or commas.
    ///
    ///     loss=12%            lossProbability
    ///     burst=12%/4         burstLoss: mean loss rate / mean burst length (datagrams)
    ///     delay=160ms         delay (one way)
    ///     jitter=10ms         jitter: uniform ± 10 ms
    ///     jitter-sd=10ms      jitter: normal, standard deviation 10 ms
    ///     reorder=1%/30ms     reorderProbability / reorderDelay
    ///     dup=1%              duplicateProbability
    ///     corrupt=0.1%        corruptProbability
    ///     rate=64kbit         bandwidth (bits per second)
    ///     queue=16KB          its queue (default `defaultQueueBytes`)
    ///     mtu=1472            mtu (bytes)
    ///     outage=60s@10m      an outage of 60 s starting at 10 minutes (repeatable)
    ///
    /// The empty string is a perfect link. Throws naming the first bad item.
    public static func parse(_ description: String) throws(LinkConfigParseError) -> LinkConfig {
        var config = LinkConfig()
        var seen = Set<String>()
        var queueBytes: Int?
        var queueText = ""
        let items = description.split { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }
        for item in items {
            guard let equals = item.firstIndex(of: "=") else { throw .missingValue(String(item)) }
            let key = item[..<equals].lowercased()
            let value = String(item[item.index(after: equals)...])
            if key != "outage" {
                guard seen.insert(key).inserted else { throw .repeatedKey(key) }
            }
            switch key {
            case "loss": config.lossProbability = try parseProbability(value)
            case "burst": config.burstLoss = try parseBurstLoss(value)
            case "delay": config.delay = try parseDuration(value)
            case "jitter", "jitter-sd":
                guard !(seen.contains("jitter") && seen.contains("jitter-sd")) else { throw .repeatedKey(key) }
                let d = try parseDuration(value)
                config.jitter = key == "jitter" ? .uniform(d) : .normal(standardDeviation: d)
            case "reorder":
                (config.reorderProbability, config.reorderDelay) = try parseReorder(value)
            case "dup": config.duplicateProbability = try parseProbability(value)
            case "corrupt": config.corruptProbability = try parseProbability(value)
            case "rate":
                config.bandwidth = Bandwidth(bitsPerSecond: try parseBitRate(value), queueBytes: defaultQueueBytes)
            case "queue":
                queueBytes = try parseByteCount(value)
                queueText = value
            case "mtu": config.mtu = try parseByteCount(value)
            case "outage": config.outages.append(try parseOutage(value))
            default: throw .unknownKey(key)
            }
        }
        if let queueBytes {
            guard config.bandwidth != nil else { throw .queueWithoutRate(queueText) }
            config.bandwidth?.queueBytes = queueBytes
        }
        do {
            try config.validate()
        } catch {
            throw .invalid(error)
        }
        return config
    }

    /// Reads "12%" or "0.12" as 0.12; the value must be in [0, 1].
    public static func parseProbability(_ text: String) throws(LinkConfigParseError) -> Double {
        let isPercent = text.hasSuffix("%")
        guard let number = DurationText.decimal(isPercent ? String(text.dropLast()) : text) else { throw .badProbability(text) }
        let p = isPercent ? number / 100 : number
        guard p <= 1 else { throw .badProbability(text) }
        return p
    }

    /// Reads a non-negative decimal with a unit: "320ms", "1.5s", "30m", "2h", "7d", "250us", "10ns".
    public static func parseDuration(_ text: String) throws(LinkConfigParseError) -> Duration {
        guard let d = DurationText.parse(text) else { throw .badDuration(text) }
        return d
    }

    /// Reads a positive bit rate in decimal (SI) units: "64kbit", "1.5mbit", "2gbit/s", "9600bit".
    public static func parseBitRate(_ text: String) throws(LinkConfigParseError) -> Int64 {
        let bare = text.lowercased().hasSuffix("/s") ? String(text.dropLast(2)) : text
        let units: [(String, Double)] = [("kbit", 1e3), ("mbit", 1e6), ("gbit", 1e9), ("bit", 1)]
        guard let (number, scale) = split(bare.lowercased(), units: units) else { throw .badBitRate(text) }
        let rate = (number * scale).rounded()
        guard rate >= 1 && rate < 9.2e18 else { throw .badBitRate(text) }
        return Int64(rate)
    }

    /// Reads a byte count: "1472", "1472B", "16KB" (16,000), "16KiB" (16,384), "1MB", "1MiB".
    public static func parseByteCount(_ text: String) throws(LinkConfigParseError) -> Int {
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("KB", 1e3), ("MB", 1e6), ("B", 1), ("", 1)]
        guard let (number, scale) = split(text, units: units) else { throw .badByteCount(text) }
        let bytes = number * scale
        guard bytes == bytes.rounded(), bytes < 1e15 else { throw .badByteCount(text) }
        return Int(bytes)
    }

    /// Reads "60s@10m" as an outage of 60 s starting 10 minutes after the origin.
    public static func parseOutage(_ text: String) throws(LinkConfigParseError) -> Outage {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .badOutage(text) }
        do {
            let duration = try parseDuration(String(parts[0]))
            let start = try parseDuration(String(parts[1]))
            return Outage(start: .zero + start, duration: duration)
        } catch {
            throw .badOutage(text)
        }
    }

    /// Reads "12%/4" as a mean loss rate of 12 % in bursts of 4 datagrams on average.
    public static func parseBurstLoss(_ text: String) throws(LinkConfigParseError) -> GilbertElliott {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = DurationText.decimal(String(parts[1])) else { throw .badBurstLoss(text) }
        do {
            return GilbertElliott(meanLossRate: try parseProbability(String(parts[0])), meanBurstLength: length)
        } catch {
            throw .badBurstLoss(text)
        }
    }

    /// Reads "1%/30ms" as a 1 % chance of an extra 30 ms delay.
    public static func parseReorder(_ text: String) throws(LinkConfigParseError) -> (Double, Duration) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .badReorder(text) }
        do {
            return (try parseProbability(String(parts[0])), try parseDuration(String(parts[1])))
        } catch {
            throw .badReorder(text)
        }
    }

    /// A plain non-negative decimal ("12", "0.5", ".5"); no sign, exponent, "inf" or "nan".
    /// Splits "320ms" into 320 and the scale of the first unit (in the order given) it ends with.
    private static func split(_ text: String, units: [(String, Double)]) -> (Double, Double)? {
        for (unit, scale) in units where text.hasSuffix(unit) {
            if let number = DurationText.decimal(String(text.dropLast(unit.count))) { return (number, scale) }
        }
        return nil
    }
}
