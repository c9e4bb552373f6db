import Collector
import Foundation
import Keys
import Session
import Store

/// The collector's index page: every stream with links to its graph, pprof and folded
/// output. Plain HTML, no script, nothing fetched from elsewhere.
enum IndexPage {
    static func render(_ streams: [StoredStream], live: [StreamSummary], agents: [AgentSummary] = []) -> String {
        var rows = ""
        let connected = Set(live.map { $0.agent.base64 + "\u{1f}" + $0.info.service + "\u{1f}" + $0.info.profileType })
        for s in streams.sorted(by: { ($0.info.service, $0.info.profileType, $0.agent) < ($1.info.service, $1.info.profileType, $1.agent) }) {
            var q = "service=\(percent(s.info.service))&type=\(percent(s.info.profileType))"
            if !s.info.labels.isEmpty {
                q += "&labels=" + percent(s.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
            let labels = s.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let isLive = connected.contains(s.agent + "\u{1f}" + s.info.service + "\u{1f}" + s.info.profileType)
            func links(_ extra: String, _ title: String) -> String {
                "\(title): <a href=\"/flamegraph.svg?\(q)\(extra)\">graph</a> <a href=\"/profile?\(q)\(extra)\">pprof</a> <a href=\"/folded?\(q)\(extra)\">folded</a>"
            }
            rows += """
                <tr><td>\(escape(s.info.service))</td><td>\(escape(s.info.profileType))</td><td>\(escape(labels))</td>\
                <td title="\(escape(s.agent))">\(escape(String(s.agent.prefix(12))))…\(isLive ? " ●" : "")</td><td>\(s.windows)</td>\
                <td>\(time(s.firstNanos))</td><td>\(time(s.lastNanos))</td>\
                <td>\(links("&from=now-15m", "15 min")) · \(links("&from=now-1h", "1 h")) · \(links("", "all"))\
                \(s.info.columnKinds.contains(.gauge) ? " · <a href=\"/flamegraph.svg?\(q)&agg=last\">latest level</a>" : "")</td></tr>

                """
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"8\">No stream yet: no agent has sent a window.</td></tr>\n" }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>FlameWire collector</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
            </head><body>
            <h1>FlameWire collector</h1>
            <p>Stored streams. Over a range, CPU, allocations and contentions are summed; in-use memory and goroutines are the mean level (<code>agg=last</code>: the level at the range's end).
            Ranges: <code>from=</code>/<code>to=</code> as Unix seconds, RFC 3339 or <code>now-15m</code>; <code>diff=FROM,TO</code> draws the change against a baseline range.
            ● marks an agent connected now. <a href="/metrics">Metrics</a>.</p>
            <table><tr><th>service</th><th>type</th><th>labels</th><th>agent</th><th>windows</th><th>first (UTC)</th><th>last (UTC)</th><th></th></tr>
            \(rows)</table>
            \(agentTable(agents))
            </body></html>

            """
    }

    /// The agents connected now and their paths: what the collector sees (loss before
    /// repair, blocks rebuilt from parity) beside what each agent last reported (RTT,
    /// interval, its loss estimate, repair).
    static func agentTable(_ agents: [AgentSummary]) -> String {
        guard !agents.isEmpty else { return "<h2>Agents</h2>\n<p>No agent is connected now.</p>" }
        func ms(_ us: UInt64) -> String { "\((us + 500) / 1000) ms" }
        func pct(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }
        var rows = ""
        for a in agents {
            let p = a.path
            let reported: String
            if let r = p.report {
                reported = "<td>\(ms(r.smoothedRTTMicros)) (min \(ms(r.minRTTMicros)))</td><td>\(ms(r.intervalMicros))</td><td>\(pct(r.loss))</td>"
                    + "<td>\(r.windowsSent)</td><td>\(r.windowsRepaired)</td><td>\(r.windowsLost)</td><td>\(r.repairBytes)</td>"
            } else {
                reported = "<td colspan=\"7\">no report yet (the first comes 1 s after the handshake)</td>"
            }
            rows += "<tr><td title=\"\(escape(a.agent.base64))\">\(escape(String(a.agent.base64.prefix(12))))…</td><td>\(escape(a.address))</td>"
                + reported + "<td>\(pct(p.lossSeen))</td><td>\(p.blocksRecovered)</td></tr>\n"
        }
        return """
            <h2>Agents</h2>
            <p>Connected now. RTT, interval, loss estimate, windows and repair are what each agent last reported (every 10 s); loss seen and blocks rebuilt are what this collector measured.</p>
            <table><tr><th>agent</th><th>address</th><th>RTT</th><th>interval</th><th>loss estimate</th><th>windows sent</th><th>repaired</th><th>lost</th><th>repair bytes</th><th>loss seen</th><th>blocks rebuilt from parity</th></tr>
            \(rows)</table>
            """
    }

    static func time(_ ns: Int64) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: Double(ns) / 1e9))
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func percent(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
