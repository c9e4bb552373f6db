import Collector
import Keys

/// The collector's index page: every stream with links to its graph, pprof and folded
/// output. Plain HTML, no script, nothing fetched from elsewhere.
enum IndexPage {
    static func render(_ streams: [StreamSummary]) -> String {
        var rows = ""
        for s in streams.sorted(by: { ($0.info.service, $0.info.profileType) < ($1.info.service, $1.info.profileType) }) {
            var q = "service=\(percent(s.info.service))&type=\(percent(s.info.profileType))"
            if !s.info.labels.isEmpty {
                q += "&labels=" + percent(s.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
            let labels = s.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            rows += """
                <tr><td>\(escape(s.info.service))</td><td>\(escape(s.info.profileType))</td><td>\(escape(labels))</td>\
                <td>\(escape(String(s.agent.base64.prefix(12))))…</td><td>\(s.windowsDecoded)</td>\
                <td><a href="/flamegraph.svg?\(q)">flame graph</a> · <a href="/profile?\(q)">pprof</a> · <a href="/folded?\(q)">folded</a></td></tr>

                """
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"6\">No stream yet: no agent has sent a window.</td></tr>\n" }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>FlameWire collector</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
            </head><body>
            <h1>FlameWire collector</h1>
            <p>Each stream's newest state: CPU, allocations and contentions summed since the stream started; in-use memory and goroutines as of the newest window. <a href="/metrics">Metrics</a>.</p>
            <table><tr><th>service</th><th>type</th><th>labels</th><th>agent</th><th>windows</th><th></th></tr>
            \(rows)</table>
            </body></html>

            """
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
