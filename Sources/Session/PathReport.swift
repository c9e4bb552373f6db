import SansIO

/// What an agent measures of its path and its own sending, reported to the collector in a
/// REPORT frame (SPEC.md §11.2) every `SessionTimers.report`: only the agent knows its
/// round-trip time, its sampling interval and what it spent on repair, and the collector
/// is where an operator looks (`/metrics`). Cumulative counts are over the agent process.
public struct PathReport: Equatable, Sendable, CustomStringConvertible {
    /// RFC 9002's smoothed RTT, its variation and the smallest sample, in microseconds.
    public var smoothedRTTMicros: UInt64
    public var rttVariationMicros: UInt64
    public var minRTTMicros: UInt64
    /// The sampling interval the agent uses now (SPEC.md §11.6), in microseconds.
    public var intervalMicros: UInt64
    /// The agent's loss estimate (SPEC.md §11.4), in parts per million (at most 1,000,000).
    public var lossPPM: UInt32
    /// Windows sent, decoded only after repair, and given up lost.
    public var windowsSent: UInt64
    public var windowsRepaired: UInt64
    public var windowsLost: UInt64
    /// UDP payload bytes of repair parity sent.
    public var repairBytes: UInt64

    public init(smoothedRTTMicros: UInt64, rttVariationMicros: UInt64, minRTTMicros: UInt64, intervalMicros: UInt64, lossPPM: UInt32,
                windowsSent: UInt64, windowsRepaired: UInt64, windowsLost: UInt64, repairBytes: UInt64) {
        self.smoothedRTTMicros = smoothedRTTMicros
        self.rttVariationMicros = rttVariationMicros
        self.minRTTMicros = minRTTMicros
        self.intervalMicros = intervalMicros
        self.lossPPM = lossPPM
        self.windowsSent = windowsSent
        self.windowsRepaired = windowsRepaired
        self.windowsLost = windowsLost
        self.repairBytes = repairBytes
    }

    /// Parts per million in a REPORT frame's `loss` field.
    public static let maxLossPPM: UInt32 = 1_000_000

    public var smoothedRTT: Duration { .microseconds(Int64(clamping: smoothedRTTMicros)) }
    public var interval: Duration { .microseconds(Int64(clamping: intervalMicros)) }
    public var loss: Double { Double(lossPPM) / Double(Self.maxLossPPM) }

    /// One line for a person: `RTT 321 ms (min 320 ms), interval 120 ms, loss 11.8 %,
    /// windows sent 281 (3 repaired, 0 lost), repair 1810 B`.
    public var description: String {
        func ms(_ us: UInt64) -> String { "\((us + 500) / 1000) ms" }
        return "RTT \(ms(smoothedRTTMicros)) (min \(ms(minRTTMicros))), interval \(ms(intervalMicros)), loss \(Self.percent(loss)), "
            + "windows sent \(windowsSent) (\(windowsRepaired) repaired, \(windowsLost) lost), repair \(repairBytes) B"
    }

    static func percent(_ x: Double) -> String {
        let tenths = Int((x * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }

    static func micros(_ d: Duration) -> UInt64 {
        let (s, a) = d.components
        return s < 0 ? 0 : UInt64(s) &* 1_000_000 &+ UInt64(a / 1_000_000_000_000)
    }
}

extension AgentSession {
    /// The report the agent would send now.
    public var pathReport: PathReport {
        PathReport(smoothedRTTMicros: PathReport.micros(rtt.smoothed), rttVariationMicros: PathReport.micros(rtt.variation),
                   minRTTMicros: PathReport.micros(rtt.minimum), intervalMicros: PathReport.micros(interval),
                   lossPPM: UInt32((min(max(loss.lossRate, 0), 1) * Double(PathReport.maxLossPPM)).rounded()),
                   windowsSent: UInt64(stats.windowsSent),
                   windowsRepaired: UInt64(max(0, stats.windowsDecoded - stats.windowsDecodedWithoutRepair)),
                   windowsLost: UInt64(stats.windowsLost), repairBytes: UInt64(stats.bytesRepair))
    }
}
