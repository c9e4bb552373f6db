/// The frames a CONTROL datagram carries (SPEC.md §11.2), in its sealed payload.
///
/// Acknowledgements flow from collector to agent; keepalives and path reports from agent
/// to collector.
/// Every field is cumulative or repeated in later acknowledgements, so a lost CONTROL
/// datagram costs time, never correctness.
public enum ControlFrame: Equatable, Sendable {
    /// Packets received: QUIC's ACK ranges (RFC 9000 §19.3), newest first, plus the time
    /// between the largest packet's arrival and this acknowledgement (µs).
    case ack(PacketRanges, ackDelayMicros: UInt64)
    /// Windows of a stream held decoded in the receiver's ring: `highest` and, in bit i of
    /// `earlier`, whether window `highest − 1 − i` is held too.
    case decoded(stream: UInt32, highest: UInt32, earlier: UInt64)
    /// The store committed the stream's windows up to `seq` (the durable watermark).
    case durable(stream: UInt32, seq: UInt32)
    /// A bundle in reassembly: how many symbols each of its blocks still lacks.
    case missing(bundle: UInt32, perBlock: [UInt32])
    /// A rebuilt window was not decoded; `base` is the base it lacked (0 if that was not why).
    case rejected(stream: UInt32, seq: UInt32, reason: UInt8, base: UInt32)
    /// Nothing but proof of life (keeps NAT bindings and the session alive).
    case keepalive
    /// What the agent measures of its path (RTT, interval, loss, repair), for the
    /// collector's metrics; it changes nothing in either end's protocol state.
    case report(PathReport)
    /// The collector is overloaded: sample no more often than every `intervalMillis` ms
    /// (0: choose freely again). Valid for `PACE_HOLD`, or twice the interval if longer,
    /// after it arrives (SPEC.md §11.6).
    case pace(intervalMillis: UInt32)

    static let codeAck: UInt8 = 1, codeDecoded: UInt8 = 2, codeDurable: UInt8 = 3, codeMissing: UInt8 = 4,
               codeRejected: UInt8 = 5, codeKeepalive: UInt8 = 6, codeReport: UInt8 = 7,
               codePace: UInt8 = 8

    /// Most ranges in one ACK frame and most blocks in one MISSING frame.
    public static let maxRanges = 64
    public static let maxBlocks = 255

    /// Appends the frame's bytes.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .ack(let r, let delay):
            out.append(Self.codeAck)
            out.appendVarint(r.largest)
            out.appendVarint(delay)
            let ranges = r.ranges.prefix(Self.maxRanges)
            out.appendVarint(ranges.count - 1)
            // First range: its length − 1 below largest; then (gap − 1, length − 1) pairs.
            var previousLow = ranges.first!.lowerBound
            out.appendVarint(ranges.first!.upperBound - ranges.first!.lowerBound)
            for range in ranges.dropFirst() {
                out.appendVarint(previousLow - range.upperBound - 2)
                out.appendVarint(range.upperBound - range.lowerBound)
                previousLow = range.lowerBound
            }
        case .decoded(let s, let h, let e):
            out.append(Self.codeDecoded)
            out.appendVarint(s); out.appendVarint(h); out.appendVarint(e)
        case .durable(let s, let q):
            out.append(Self.codeDurable)
            out.appendVarint(s); out.appendVarint(q)
        case .missing(let bundle, let blocks):
            out.append(Self.codeMissing)
            out.appendVarint(bundle)
            out.appendVarint(blocks.count)
            for m in blocks { out.appendVarint(m) }
        case .rejected(let s, let q, let reason, let base):
            out.append(Self.codeRejected)
            out.appendVarint(s); out.appendVarint(q); out.append(reason); out.appendVarint(base)
        case .keepalive:
            out.append(Self.codeKeepalive)
        case .report(let r):
            out.append(Self.codeReport)
            for v in [r.smoothedRTTMicros, r.rttVariationMicros, r.minRTTMicros, r.intervalMicros, UInt64(r.lossPPM),
                      r.windowsSent, r.windowsRepaired, r.windowsLost, r.repairBytes] { out.appendVarint(v) }
        case .pace(let ms):
            out.append(Self.codePace)
            out.appendVarint(ms)
        }
    }

    /// Serialises frames back to back.
    public static func encode(_ frames: [ControlFrame]) -> [UInt8] {
        var out: [UInt8] = []
        for f in frames { f.write(into: &out) }
        return out
    }

    /// Parses a sealed payload's frames. Any malformed frame rejects the whole payload
    /// (the datagram is counted as `malformedControl` and nothing in it is applied).
    public static func decode(_ bytes: [UInt8], maxFrames: Int = 4096) throws(ControlError) -> [ControlFrame] {
        var r = ByteReader(bytes)
        var out: [ControlFrame] = []
        while !r.isAtEnd {
            guard out.count < maxFrames else { throw .malformed("more than \(maxFrames) frames") }
            let code = bytes[r.at]
            r.at += 1
            switch code {
            case codeAck:
                let largest = try r.varint()
                let delay = try r.varint()
                let n = try r.count(limit: maxRanges - 1) + 1
                var ranges: [ClosedRange<UInt64>] = []
                var high = largest
                for i in 0..<n {
                    if i > 0 {
                        let gap = try r.varint()
                        let lowPrev = ranges[i - 1].lowerBound
                        guard lowPrev >= 2, gap <= lowPrev - 2 else { throw .malformed("ACK gap \(gap) below packet 0") }
                        high = lowPrev - gap - 2
                    }
                    let len = try r.varint()
                    guard len <= high else { throw .malformed("ACK range of \(len) below packet 0") }
                    ranges.append((high - len)...high)
                }
                out.append(.ack(PacketRanges(descending: ranges), ackDelayMicros: delay))
            case codeDecoded:
                out.append(.decoded(stream: try r.u32(), highest: try r.u32(), earlier: try r.varint()))
            case codeDurable:
                out.append(.durable(stream: try r.u32(), seq: try r.u32()))
            case codeMissing:
                let bundle = try r.u32()
                let n = try r.count(limit: maxBlocks)
                var blocks: [UInt32] = []
                for _ in 0..<n {
                    let m = try r.u32()
                    guard m <= 64 else { throw .malformed("a block cannot lack \(m) symbols") }
                    blocks.append(m)
                }
                out.append(.missing(bundle: bundle, perBlock: blocks))
            case codeRejected:
                let s = try r.u32(), q = try r.u32()
                guard !r.isAtEnd else { throw .truncated }
                let reason = bytes[r.at]
                r.at += 1
                out.append(.rejected(stream: s, seq: q, reason: reason, base: try r.u32()))
            case codeKeepalive:
                out.append(.keepalive)
            case codeReport:
                let srtt = try r.varint(), rttvar = try r.varint(), minRTT = try r.varint(), interval = try r.varint()
                let loss = try r.u32()
                guard loss <= PathReport.maxLossPPM else { throw .malformed("loss of \(loss) parts per million") }
                out.append(.report(PathReport(smoothedRTTMicros: srtt, rttVariationMicros: rttvar, minRTTMicros: minRTT, intervalMicros: interval,
                                              lossPPM: loss, windowsSent: try r.varint(), windowsRepaired: try r.varint(),
                                              windowsLost: try r.varint(), repairBytes: try r.varint())))
            case codePace:
                out.append(.pace(intervalMillis: try r.u32()))
            default:
                throw .unknownFrame(code)
            }
        }
        return out
    }
}

/// Why a CONTROL payload was refused.
public enum ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case malformed(String)
    case unknownFrame(UInt8)

    public var description: String {
        switch self {
        case .truncated: return "control frame ends early"
        case .malformed(let why): return "malformed control frame: \(why)"
        case .unknownFrame(let c): return "unknown control frame type \(c)"
        }
    }
}
