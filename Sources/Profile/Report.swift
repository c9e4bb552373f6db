/// The text `flamewire inspect` prints: what a profile holds and where its value goes.
public struct ProfileReport: Sendable {
    public var profile: Profile
    public var sampleIndex: Int
    public var top: Int

    public init(profile: Profile, sampleIndex: Int, top: Int = 10) {
        self.profile = profile
        self.sampleIndex = sampleIndex
        self.top = top
    }

    public var text: String {
        var out = ""
        let p = profile
        out += "sample types:\n"
        for (i, t) in p.sampleTypes.enumerated() {
            let mark = i == sampleIndex ? "  *" : "   "
            let total = UnitFormatter.format(p.total(sampleIndex: i), as: t)
            out += "\(mark) \(i): \(t.type) [\(t.unit)]  total \(total)\n"
        }
        out += "samples: \(p.samples.count)   locations: \(p.locations.count)   functions: \(p.functions.count)   mappings: \(p.mappings.count)\n"
        if p.durationNanos > 0 { out += "duration: \(UnitFormatter.time(Double(p.durationNanos)))\n" }
        if let pt = p.periodType, p.period != 0 {
            out += "period: \(UnitFormatter.format(p.period, as: pt)) of \(pt.type)\n"
        }
        if p.timeNanos > 0 { out += "time: \(Self.utc(p.timeNanos))\n" }
        guard top > 0, !p.sampleTypes.isEmpty else { return out }
        let t = p.sampleTypes[sampleIndex]
        let total = Double(p.total(sampleIndex: sampleIndex))
        for byCum in [false, true] {
            let costs = p.functionCosts(sampleIndex: sampleIndex, byCumulative: byCum).prefix(top)
            out += "\ntop \(costs.count) by \(byCum ? "cumulative" : "flat") \(t.type):\n"
            out += pad("flat", 12) + pad("flat%", 8) + pad("cum", 12) + pad("cum%", 8) + "  function\n"
            for c in costs {
                out += pad(UnitFormatter.format(c.flat, as: t), 12) + pad(UnitFormatter.percent(Double(c.flat), of: total), 8)
                out += pad(UnitFormatter.format(c.cumulative, as: t), 12) + pad(UnitFormatter.percent(Double(c.cumulative), of: total), 8)
                out += "  \(c.name)\n"
            }
        }
        return out
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : String(repeating: " ", count: n - s.count) + s
    }

    /// `2026-11-25 06:17:27 UTC` from nanoseconds since the epoch (civil-from-days).
    static func utc(_ nanos: Int64) -> String {
        let secs = nanos / 1_000_000_000
        var days = secs / 86_400
        let rem = secs - days * 86_400
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60)) UTC"
    }
}
