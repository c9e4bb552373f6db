import Collector
import Store
import Foundation
import Keys
import Session

/// `/metrics` in the Prometheus text format: datagrams and bytes through the socket,
/// drops by reason (every reason, from zero), agents, and windows decoded and rejected per
/// stream.
enum CollectorMetricsText {
    static func render(_ collector: CollectorRuntime) async throws -> String {
        let udp = try await collector.endpoint.counters()
        let totals = try await collector.sessionTotals()
        let (dropped, peers, sent, cookies) = (totals.dropped, totals.agents, totals.bytesSent, totals.cookieRepliesSent)
        let paths = try await collector.agents().map { ($0.agent.base64, $0.path) }
        let streams = try await collector.summaries()
        let counts = collector.counts
        let store = collector.store
        let usage = try await collector.onStorePool { try store.usage() }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, v) in samples { out += "\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(v)\n" }
        }
        metric("flamewire_datagrams_received_total", "counter", "UDP datagrams read.", [("", udp.datagramsIn)])
        metric("flamewire_bytes_received_total", "counter", "UDP payload bytes read.", [("", udp.bytesIn)])
        if let drops = await collector.endpoint.receiveDrops() {
            metric("flamewire_receive_buffer_drops_total", "counter",
                   "UDP datagrams the kernel dropped at the collector's full receive buffer (the collector was behind; agents repair them).", [("", drops)])
        }
        metric("flamewire_datagrams_sent_total", "counter", "UDP datagrams written (acknowledgements, handshake and cookie replies).", [("", udp.datagramsOut)])
        metric("flamewire_bytes_sent_total", "counter", "UDP payload bytes written.", [("", sent)])
        metric("flamewire_cookie_replies_total", "counter", "Cookie replies sent under a handshake flood.", [("", cookies)])
        metric("flamewire_datagrams_dropped_total", "counter", "Datagrams dropped without an answer, by reason.",
               SessionDropReason.allCases.map { ("reason=\"\($0.rawValue)\"", dropped[$0] ?? 0) })
        metric("flamewire_agents", "gauge", "Agents with a session.", [("", peers)])
        metric("flamewire_shard_agents", "gauge", "Agents with a session, per shard of the collector (collect --shards).",
               totals.agentsPerShard.enumerated().map { ("shard=\"\($0.offset)\"", $0.element) })
        metric("flamewire_datagrams_forwarded_total", "counter",
               "Datagrams a shard read and handed to the shard holding their agent's session (an agent whose address changed).", [("", totals.forwarded)])
        func labels(_ s: StreamSummary) -> String {
            "agent=\"\(s.agent.base64)\",service=\"\(escape(s.info.service))\",type=\"\(escape(s.info.profileType))\""
        }
        metric("flamewire_windows_decoded_total", "counter", "Windows decoded, per stream.",
               streams.map { (labels($0), counts.decoded[.init(agent: $0.agent, stream: $0.stream)] ?? 0) })
        metric("flamewire_windows_rejected_total", "counter", "Rebuilt windows that did not decode, per stream.",
               streams.map { (labels($0), counts.rejected[.init(agent: $0.agent, stream: $0.stream)] ?? 0) })
        metric("flamewire_fec_blocks_recovered_total", "counter", "Blocks rebuilt from parity in place of lost datagrams, per agent.",
               paths.map { ("agent=\"\($0.0)\"", $0.1.blocksRecovered) })
        metric("flamewire_agent_held_rows", "gauge", "Stack rows an agent's stream decoders hold as possible bases (whole states and patches), per agent.",
               paths.map { ("agent=\"\($0.0)\"", $0.1.heldRows) })
        metric("flamewire_agent_dictionary_entries", "gauge", "Entries in the dictionaries of an agent's streams, per agent.",
               paths.map { ("agent=\"\($0.0)\"", $0.1.dictionaryEntries) })
        // What each agent reported of its path (REPORT frames, SPEC.md §11.2), once it has.
        let reports = paths.compactMap { p in p.1.report.map { ("agent=\"\(p.0)\"", $0) } }
        func reported(_ name: String, _ type: String, _ help: String, _ value: (PathReport) -> String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, r) in reports { out += "\(name){\(labels)} \(value(r))\n" }
        }
        func seconds(_ micros: UInt64) -> String { String(format: "%.6f", Double(micros) / 1e6) }
        reported("flamewire_agent_rtt_seconds", "gauge", "The agent's smoothed round-trip time to this collector (RFC 9002), as it last reported.") { seconds($0.smoothedRTTMicros) }
        reported("flamewire_agent_rtt_variation_seconds", "gauge", "The agent's round-trip time variation, as it last reported.") { seconds($0.rttVariationMicros) }
        reported("flamewire_agent_min_rtt_seconds", "gauge", "The smallest round-trip time the agent measured, as it last reported.") { seconds($0.minRTTMicros) }
        reported("flamewire_agent_interval_seconds", "gauge", "The agent's sampling interval in use (adaptive, 120-480 ms by default; longer while the collector paces it), as it last reported.") { seconds($0.intervalMicros) }
        reported("flamewire_agent_loss_estimate", "gauge", "The agent's estimate of packet loss on its path (what its parity is sized for), as it last reported.") {
            String(format: "%.4f", $0.loss)
        }
        reported("flamewire_agent_windows_sent_total", "counter", "Windows the agent process sent, as it last reported.") { "\($0.windowsSent)" }
        reported("flamewire_agent_windows_repaired_total", "counter", "Windows the agent process had to repair before they decoded, as it last reported.") { "\($0.windowsRepaired)" }
        reported("flamewire_agent_windows_lost_total", "counter", "Windows the agent process gave up after the repair limit, as it last reported.") { "\($0.windowsLost)" }
        reported("flamewire_agent_repair_bytes_total", "counter", "UDP payload bytes of repair parity the agent process sent, as it last reported.") { "\($0.repairBytes)" }
        out += "# HELP flamewire_agent_loss_seen Share of recent packet numbers that did not arrive (before repair), per agent.\n# TYPE flamewire_agent_loss_seen gauge\n"
        for (agent, p) in paths { out += "flamewire_agent_loss_seen{agent=\"\(agent)\"} \(String(format: "%.4f", p.lossSeen))\n" }
        out += "# HELP flamewire_pace_seconds The interval the collector asks its agents for while overloaded (PACE); 0 while it keeps up.\n# TYPE flamewire_pace_seconds gauge\n"
        out += "flamewire_pace_seconds \(String(format: "%.3f", collector.pace?.seconds ?? 0))\n"
        metric("flamewire_windows_stored_total", "counter", "Windows committed to the store (then reported durable to the agent).", [("", counts.windowsStored)])
        metric("flamewire_windows_superseded_total", "counter", "Late windows not stored because a newer window of their stream was.", [("", counts.windowsSuperseded)])
        metric("flamewire_windows_coalesced_total", "counter",
               "Windows not stored on their own because the collector was behind: a newer window of their stream, stored in the same commit, carries their counts.",
               [("", counts.windowsCoalesced)])
        out += "# HELP flamewire_window_delay_seconds From a window's capture (its profile's end, agent clock) to its commit, per profile type.\n"
        out += "# TYPE flamewire_window_delay_seconds histogram\n"
        for (type, h) in counts.delay.sorted(by: { $0.key < $1.key }) {
            let t = "type=\"\(escape(type))\""
            for b in h.cumulative { out += "flamewire_window_delay_seconds_bucket{\(t),le=\"\(b.le)\"} \(b.count)\n" }
            out += "flamewire_window_delay_seconds_sum{\(t)} \(String(format: "%.3f", h.sum))\n"
            out += "flamewire_window_delay_seconds_count{\(t)} \(h.count)\n"
        }
        metric("flamewire_store_failures_total", "counter", "Store commits that failed (their windows were not reported durable).", [("", counts.storeFailures)])
        metric("flamewire_store_bytes", "gauge", "Bytes the store holds, per agent and UTC day (windows and checkpoints).",
               usage.map { ("agent=\"\(escape($0.agent))\",day=\"\($0.day)\"", Int($0.bytes)) })
        metric("flamewire_store_windows", "gauge", "Windows the store holds, per agent and UTC day.",
               usage.map { ("agent=\"\(escape($0.agent))\",day=\"\($0.day)\"", Int($0.windows)) })
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
