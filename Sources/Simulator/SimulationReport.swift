import NetSim
import Noise
import SansIO
import Session
import WireFrame

/// What a simulation run measured (`flamewire simulate`, and the acceptance tests).
public struct SimulationReport: Sendable {
    public var windowsSent = 0
    public var windowsDelivered = 0
    public var windowsDeliveredWithoutRepair = 0
    public var windowsSuperseded = 0
    public var windowsLost = 0
    public var windowsCoalesced = 0
    public var delayP50: Double = 0
    public var delayP99: Double = 0
    public var delayMax: Double = 0
    public var bytesPprof = 0
    public var bytesWire = 0
    public var bytesFEC = 0
    public var bytesRepair = 0
    public var bytesAck = 0
    public var bytesHandshake = 0
    public var bytesPlain = 0
    public var bundlesSent = 0
    public var intervalMin: Double = 0
    public var intervalMedian: Double = 0
    public var intervalMax: Double = 0
    public var totalsEqual = false
    /// Streams whose final states differ (empty when `totalsEqual`).
    public var unequalStreams: [String] = []
    public var handshakes = 0
    public var durationSeconds: Double = 0
    public var lossEstimate: Double = 0
    public var burstEstimate: Double = 0
    public var smoothedRttMs: Double = 0
    public var forward: LinkCounters
    public var backward: LinkCounters
    public var agentDrops: [String: Int] = [:]
    public var collectorDrops: [String: Int] = [:]
    public var finalStatus = ""
    /// Virtual time of the last window the collector decoded.
    public var lastDecodedSeconds: Double = 0
    public var agentGivenUp = 0
    public var agentRejected = 0
    public var agentInFlight = 0
    public var collectorRejected = 0

    init(scenario s: Scenario, agent: RecordingAgent, collector: RecordingCollector, agentKey: PublicKey, pprofBytes: Int,
         forward: LinkCounters, backward: LinkCounters) {
        self.forward = forward
        self.backward = backward
        let st = agent.session.stats
        windowsSent = st.windowsSent
        windowsCoalesced = st.windowsCoalesced
        windowsDelivered = collector.decodedAt.count
        windowsDeliveredWithoutRepair = st.windowsDecodedWithoutRepair
        handshakes = st.handshakes
        durationSeconds = s.duration.seconds
        var delays: [Double] = []
        for (a, t) in collector.decodedAt {
            if let taken = agent.takenAt[a] { delays.append((t - taken).seconds * 1000) }
        }
        delays.sort()
        lastDecodedSeconds = (collector.decodedAt.values.max() ?? .zero).nanoseconds > 0 ? (collector.decodedAt.values.max()! - .zero).seconds : 0
        func pct(_ p: Double) -> Double { delays.isEmpty ? 0 : delays[min(delays.count - 1, Int((Double(delays.count) * p).rounded(.up)) - 1)] }
        delayP50 = pct(0.50)
        delayP99 = pct(0.99)
        delayMax = delays.last ?? 0
        // Superseded: a newer window of the stream was decoded first, and this one never was
        // (given up at the repair limit, or still repaired at low priority when the run ended).
        // A superseded window the collector decoded after all counts as delivered.
        windowsSuperseded = max(0, min(st.windowsSuperseded + agent.session.supersededInFlight, windowsSent - windowsDelivered))
        windowsLost = max(0, windowsSent - windowsDelivered - windowsSuperseded)
        bytesPprof = pprofBytes
        bytesFEC = st.bytesFEC
        bytesRepair = st.bytesRepair
        bytesHandshake = st.bytesHandshake
        bytesPlain = st.bytesPlain
        bundlesSent = st.bundlesSent
        bytesWire = st.bytesSource + st.bytesFEC + st.bytesRepair + st.bytesControl + st.bytesHandshake
        bytesAck = collector.session.bytesSent
        let iv = agent.intervals.map { $0.seconds * 1000 }.sorted()
        intervalMin = iv.first ?? 0
        intervalMax = iv.last ?? 0
        intervalMedian = iv.isEmpty ? 0 : iv[iv.count / 2]
        lossEstimate = agent.session.loss.lossRate
        burstEstimate = agent.session.loss.meanBurstLength
        smoothedRttMs = agent.session.rtt.smoothed.seconds * 1000
        agentDrops = Dictionary(uniqueKeysWithValues: st.dropped.map { ($0.key.rawValue, $0.value) })
        collectorDrops = Dictionary(uniqueKeysWithValues: collector.session.dropped.map { ($0.key.rawValue, $0.value) })
        finalStatus = agent.session.status.description
        agentGivenUp = st.windowsLost
        agentRejected = st.windowsRejected
        agentInFlight = agent.session.windowsInFlight
        collectorRejected = collector.rejected
        // Totals: the collector's newest state of every stream equals the agent's.
        let rx = collector.session.receiver(of: agentKey)
        for (i, stream) in s.streams.enumerated() {
            let id = UInt32(i + 1)
            guard let tx = agent.session.encoder(id) else { continue }
            let held = rx?.decoder(id)
            let newest = held?.heldSequences.last.flatMap { held?.state(seq: $0) }
            if newest != tx.state { unequalStreams.append(stream.name) }
        }
        totalsEqual = unequalStreams.isEmpty
    }

    /// Windows per second achieved (delivered over the simulated duration).
    public var windowRate: Double { durationSeconds > 0 ? Double(windowsDelivered) / durationSeconds : 0 }
    /// Wire bytes (both directions) per byte of gzip pprof read.
    public var wireRatio: Double { bytesPprof > 0 ? Double(bytesWire + bytesAck) / Double(bytesPprof) : 0 }

    public var json: String {
        func n(_ d: Double) -> String { d.isFinite ? String(format3(d)) : "0" }
        let fields: [(String, String)] = [
            ("windows.sent", "\(windowsSent)"), ("windows.delivered", "\(windowsDelivered)"),
            ("windows.delivered_without_repair", "\(windowsDeliveredWithoutRepair)"), ("windows.superseded", "\(windowsSuperseded)"),
            ("windows.lost", "\(windowsLost)"), ("windows.coalesced", "\(windowsCoalesced)"),
            ("windows.per_second", n(windowRate)),
            ("delay_ms.p50", n(delayP50)), ("delay_ms.p99", n(delayP99)), ("delay_ms.max", n(delayMax)),
            ("bytes.pprof", "\(bytesPprof)"), ("bytes.wire", "\(bytesWire)"), ("bytes.fec", "\(bytesFEC)"),
            ("bytes.repair", "\(bytesRepair)"), ("bytes.ack", "\(bytesAck)"), ("bytes.handshake", "\(bytesHandshake)"),
            ("bytes.plain", "\(bytesPlain)"), ("bundles.sent", "\(bundlesSent)"),
            ("interval_ms.min", n(intervalMin)), ("interval_ms.median", n(intervalMedian)), ("interval_ms.max", n(intervalMax)),
            ("totals_equal", "\(totalsEqual)"), ("handshakes", "\(handshakes)"), ("loss_estimate", n(lossEstimate)), ("burst_estimate", n(burstEstimate)),
            ("rtt_ms.smoothed", n(smoothedRttMs)),
            ("agent.windows_given_up", "\(agentGivenUp)"), ("agent.windows_rejected", "\(agentRejected)"),
            ("agent.windows_in_flight", "\(agentInFlight)"), ("collector.windows_rejected", "\(collectorRejected)"),
            ("time_s.last_decoded", n(lastDecodedSeconds)), ("link.forward.max_queue_bytes", "\(forward.maxQueueBytes)"),
            ("link.forward.sent", "\(forward.sentDatagrams)"), ("link.forward.delivered", "\(forward.deliveredDatagrams)"),
            ("link.backward.sent", "\(backward.sentDatagrams)"), ("link.backward.delivered", "\(backward.deliveredDatagrams)"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
    }

    public var text: String {
        func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : format3(Double(a) / Double(b) * 100) + " %" }
        var out = ""
        out += "windows   \(windowsSent) sent, \(windowsDelivered) delivered (\(pct(windowsDelivered, windowsSent))), "
        out += "\(windowsDeliveredWithoutRepair) without repair, \(windowsSuperseded) superseded, \(windowsLost) lost, \(windowsCoalesced) coalesced\n"
        out += "delay     snapshot → decoded: p50 \(format3(delayP50)) ms, p99 \(format3(delayP99)) ms, max \(format3(delayMax)) ms\n"
        out += "bytes     pprof read \(bytesPprof), on the wire \(bytesWire) (FEC \(bytesFEC), repair \(bytesRepair), handshake \(bytesHandshake)), acks \(bytesAck): "
        out += "\(format3(wireRatio)) × the pprof\n"
        out += "interval  min \(format3(intervalMin)) ms, median \(format3(intervalMedian)) ms, max \(format3(intervalMax)) ms; \(format3(windowRate)) windows/s delivered\n"
        out += "session   \(handshakes) handshake(s), loss estimate \(format3(lossEstimate * 100)) % in bursts of \(format3(burstEstimate)), smoothed RTT \(format3(smoothedRttMs)) ms; \(finalStatus)\n"
        out += "totals    " + (totalsEqual ? "equal: the collector holds exactly the agent's state for every stream\n" : "DIFFER for \(unequalStreams.joined(separator: ", "))\n")
        return out
    }
}

/// A number with three significant digits (at least the integer part).
func format3(_ d: Double) -> String {
    let a = abs(d)
    let decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
    var s = String(Int64((d * pow10(decimals)).rounded()))
    guard decimals > 0 else { return s }
    let neg = s.hasPrefix("-")
    if neg { s.removeFirst() }
    while s.count <= decimals { s = "0" + s }
    s.insert(".", at: s.index(s.endIndex, offsetBy: -decimals))
    return (neg ? "-" : "") + s
}

private func pow10(_ n: Int) -> Double { [1, 10, 100, 1000][n] }
