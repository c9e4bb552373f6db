import Compression
import Profile
import WireCodec
import WireFrame
import WireLimits

/// What a sequence of profiles costs on the wire: `flamewire wire-size`.
///
/// The profiles are played in order through one stream with no loss, each window
/// acknowledged before the next, exactly as an agent on a clean link would send them.
public struct WireSizeReport: Sendable {
    public struct Row: Sendable, Equatable {
        public var name: String
        /// Bytes of the input file (gzip pprof as Go serves it).
        public var inputBytes: Int
        public var keyframe: Bool
        /// Window payload before compression.
        public var payloadBytes: Int
        /// After snappy: what is cut into symbols.
        public var compressedBytes: Int
        public var datagrams: Int
        /// UDP payload bytes of all datagrams (headers and tags included), no parity.
        public var wireBytes: Int
        public var datagramsWithFEC: Int
        public var wireBytesWithFEC: Int
    }

    public var rows: [Row]
    public var loss: Double
    public var maxDatagram: Int

    /// Ingest mode for a profile: CPU profiles are per-window deltas, the rest are totals
    /// or levels (SPEC.md §4.1).
    public static func mode(for p: Profile) -> IngestMode {
        let cpuLike = p.sampleTypes.contains { $0.type == "cpu" } || p.periodType?.type == "cpu"
        return cpuLike ? .delta : .snapshot
    }

    /// One window as it was measured, for callers that check or dissect it further.
    public struct Window {
        public var header: WindowHeader
        /// The window payload, and the same after snappy.
        public var payload: [UInt8]
        public var compressed: [UInt8]
        /// The datagrams sent at first, parity for `loss` included.
        public var datagrams: [[UInt8]]
        /// The sender's state after the window: what a receiver must rebuild.
        public var senderState: StreamState
    }

    /// Plays `inputs` (name, file size, decoded profile) through a stream. `info` defaults
    /// to one described by the first profile; `onWindow` sees every window.
    public static func measure(_ inputs: [(name: String, bytes: Int, profile: Profile)], loss: Double,
                               maxDatagram: Int = 1400, mode: IngestMode? = nil, info: StreamInfo? = nil,
                               onWindow: (Window) throws -> Void = { _ in }) throws -> WireSizeReport {
        guard let first = inputs.first else { return WireSizeReport(rows: [], loss: loss, maxDatagram: maxDatagram) }
        let p0 = first.profile
        let info = info ?? StreamInfo(describing: p0, service: "wire-size", profileType: Self.mode(for: p0) == .delta ? "cpu" : "snapshot")
        var tx = WindowSender(config: try FrameConfig(maxDatagram: maxDatagram))
        try tx.addStream(1, info: info)
        var rows: [Row] = []
        var packet: UInt64 = 0
        for input in inputs {
            try tx.ingest(input.profile, stream: 1, mode: mode ?? Self.mode(for: p0))
            let w = try tx.encodeWindow(stream: 1, timeNanos: input.profile.timeNanos, durationNanos: input.profile.durationNanos)
            // One window per bundle: a single stream on a clean link, acknowledged at once.
            guard let bundle = tx.closeBundle(lossRate: loss).first else { continue }
            var sent: [[UInt8]] = []
            while let d = tx.pollDatagram(connectionID: 1, packetNumber: packet + 1, protection: NullProtection()) {
                packet += 1
                sent.append(d.bytes)
            }
            // Without FEC only the source symbols go out, in the fewest symbols that fit.
            let plain = try BundleLayout(bundleLength: bundle.layout.bundleLength, maxSymbol: tx.config.maxSymbol)
            rows.append(Row(name: input.name, inputBytes: input.bytes, keyframe: w.isKeyframe, payloadBytes: w.payload.count,
                            compressedBytes: w.compressed.count, datagrams: plain.sourceSymbols, wireBytes: plain.sourceBytes,
                            datagramsWithFEC: sent.count, wireBytesWithFEC: sent.reduce(0) { $0 + $1.count }))
            tx.forget(bundle.id)
            try onWindow(Window(header: w.header, payload: w.payload, compressed: w.compressed, datagrams: sent,
                                senderState: tx.encoder(1)?.state ?? StreamState(columns: info.columns.count)))
            tx.acknowledged(w.address)
        }
        return WireSizeReport(rows: rows, loss: loss, maxDatagram: maxDatagram)
    }

    /// Sums over all windows, and over the steady state (windows after the first).
    public func total(steadyOnly: Bool = false) -> Row {
        var t = Row(name: steadyOnly ? "steady" : "total", inputBytes: 0, keyframe: false, payloadBytes: 0, compressedBytes: 0,
                    datagrams: 0, wireBytes: 0, datagramsWithFEC: 0, wireBytesWithFEC: 0)
        for r in rows.dropFirst(steadyOnly ? 1 : 0) {
            t.inputBytes += r.inputBytes
            t.payloadBytes += r.payloadBytes
            t.compressedBytes += r.compressedBytes
            t.datagrams += r.datagrams
            t.wireBytes += r.wireBytes
            t.datagramsWithFEC += r.datagramsWithFEC
            t.wireBytesWithFEC += r.wireBytesWithFEC
        }
        return t
    }

    static func pct(_ a: Int, _ b: Int) -> String {
        b == 0 ? "-" : UnitFormatter.format3(Double(a) / Double(b) * 100, decimals: 2) + "%"
    }

    /// A table for people.
    public var text: String {
        let lossText = UnitFormatter.format3(loss * 100, decimals: 1)
        var out = "window                      input   payload  snappy  dgrams      wire   ratio | dgrams+FEC  wire+FEC (loss \(lossText)%)\n"
        func line(_ r: Row, _ label: String) -> String {
            func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
                s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count) : String(repeating: " ", count: n - s.count) + s)
            }
            return pad(label, 24, left: true) + pad(String(r.inputBytes), 9) + pad(String(r.payloadBytes), 10) + pad(String(r.compressedBytes), 8)
                + pad(String(r.datagrams), 8) + pad(String(r.wireBytes), 10) + pad(Self.pct(r.wireBytes, r.inputBytes), 8) + " |"
                + pad(String(r.datagramsWithFEC), 11) + pad(String(r.wireBytesWithFEC), 10) + "\n"
        }
        for r in rows { out += line(r, (r.keyframe ? "K " : "  ") + r.name) }
        out += line(total(), "total")
        if rows.count > 1 { out += line(total(steadyOnly: true), "steady state (2..\(rows.count))") }
        out += "K = keyframe; wire bytes include the 23-byte header and 16-byte tag of every datagram (max \(maxDatagram) bytes)\n"
        return out
    }

    /// One JSON object: `{"loss":…, "max_datagram":…, "windows":[…], "totals":{…}, "steady_state":{…}}`.
    public var json: String {
        func obj(_ r: Row, name: Bool) -> String {
            var f: [String] = []
            if name { f.append("\"name\":\(Self.quote(r.name))"); f.append("\"keyframe\":\(r.keyframe)") }
            f += ["\"input_bytes\":\(r.inputBytes)", "\"payload_bytes\":\(r.payloadBytes)", "\"compressed_bytes\":\(r.compressedBytes)",
                  "\"datagrams\":\(r.datagrams)", "\"wire_bytes\":\(r.wireBytes)", "\"datagrams_fec\":\(r.datagramsWithFEC)",
                  "\"wire_bytes_fec\":\(r.wireBytesWithFEC)",
                  "\"wire_ratio\":\(r.inputBytes == 0 ? 0 : Double(r.wireBytes) / Double(r.inputBytes))"]
            return "{" + f.joined(separator: ",") + "}"
        }
        var s = "{\"loss\":\(loss),\"max_datagram\":\(maxDatagram),\"windows\":["
        s += rows.map { obj($0, name: true) }.joined(separator: ",")
        s += "],\"totals\":\(obj(total(), name: false))"
        if rows.count > 1 { s += ",\"steady_state\":\(obj(total(steadyOnly: true), name: false))" }
        return s + "}\n"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
