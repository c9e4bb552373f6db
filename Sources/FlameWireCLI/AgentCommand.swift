import Agent
import ArgumentParser
import Foundation
import Keys
import Lifecycle
import Logging
import NetSim
import Noise
import UDPRuntime

/// `flamewire agent`: pull a Go service's profiles and send them to a collector.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Pull profiles from a Go service's /debug/pprof (or a directory, or folded stacks) and send them to a collector over UDP.",
        discussion: """
            CPU is taken as back-to-back 1 s Go CPU profiles (while the agent holds
            /debug/pprof/profile, a second CPU request, such as your own go tool pprof,
            gets Go's HTTP 500); heap, goroutine, mutex and block are fetched together at
            the adaptive interval (120-480 ms) and sent as one bundle. Runs until
            --duration ends, SIGINT/SIGTERM, or its source ends (--folded input closed, the
            --perf process gone), then waits up to 3 s for the collector to acknowledge
            what is in flight and prints what it sent.

            Instead of --pprof: --watch DIR sends each new pprof or folded file in DIR
            as one window (cpu, heap, allocs, goroutine, mutex or block from the file
            name, else from its sample types); --folded - reads folded stacks from
            standard input and sends what arrived in each interval as one window.

            Examples:
              flamewire agent --pprof http://127.0.0.1:6060/debug/pprof --collector 192.0.2.10:7000 \\
                  --key agent.key --collector-key <base64> --service checkout
              perf script | stackcollapse-perf.pl | flamewire agent --folded - --collector 192.0.2.10:7000 \\
                  --key agent.key --collector-key <base64> --service native
            """)

    @Option(help: "The service's pprof base URL.") var pprof: String?
    @Option(help: "A directory whose new pprof or folded files are sent, one window each (type from the name or the content).")
    var watch: String?
    @Option(help: "Folded stacks to read continuously: - for standard input, or a file or FIFO path; one window per interval.")
    var folded: String?
    @Option(name: .customLong("folded-type"), help: "The profile type folded stacks are sent as.") var foldedType: String = "cpu"
    @Option(help: "Sample this process's CPU with Linux perf (gap-free, at the adaptive interval); with --pprof, CPU comes from perf and the other types from pprof.")
    var perf: Int32?
    @Option(help: "Profile types, comma-separated: cpu, heap, allocs, goroutine, mutex, block, or all.") var types: String = "cpu,heap,goroutine,mutex,block"
    @Option(help: "The collector, IP:PORT; several, comma-separated, to move to the next when one decodes nothing for 30 s.") var collector: String
    @Option(help: "This agent's private key file (flamewire keygen).") var key: String
    @Option(name: .customLong("collector-key"), help: "The collector's public key (base64, as flamewire pubkey prints it); with several collectors, one per collector, comma-separated, in the same order.")
    var collectorKey: String
    @Option(name: .customLong("psk-file"), help: "A preshared key file (flamewire keygen --psk) the collector has too: mixed into the handshake.")
    var pskFile: String?
    @Option(help: "The service name the streams carry.") var service: String = "service"
    @Option(help: "Labels the streams carry, k=v,k=v.") var labels: String = ""
    @Option(help: "DSCP mark on every datagram: af41, ef, cs1, ..., a number 0-63; 0 turns it off.") var dscp: String = "af41"
    @Option(help: "Local UDP address, IP:PORT.") var bind: String = "0.0.0.0:0"
    @Option(name: .customLong("min-interval"), help: "Smallest sampling interval.") var minInterval: String = "120ms"
    @Option(name: .customLong("max-interval"), help: "Largest sampling interval.") var maxInterval: String = "480ms"
    @Option(help: "Stop after this long, e.g. 60s (default: until SIGINT/SIGTERM).") var duration: String?
    @Option(name: .customLong("log-level"), help: "Least severe events logged to standard error: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        let options: AgentOptions
        let runFor: Duration?
        do {
            let staticKey = try KeyFile.read(key)
            let addresses = collector.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let keys = collectorKey.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !addresses.isEmpty, !addresses.contains(where: \.isEmpty) else { throw CLIError("--collector: give IP:PORT, or several comma-separated") }
            guard keys.count == addresses.count else {
                throw CLIError("--collector-key: \(keys.count) key\(keys.count == 1 ? "" : "s") for \(addresses.count) collectors: give one per collector, in the same order")
            }
            let peer = try PublicKey(base64: keys[0])
            var labelMap: [String: String] = [:]
            for item in labels.split(separator: ",") where !item.isEmpty {
                let kv = item.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, !kv[0].isEmpty else { throw CLIError("--labels: '\(item)' is not k=v") }
                labelMap[String(kv[0])] = String(kv[1])
            }
            let mark = try DSCP(parsing: dscp)
            let sources = [pprof, watch, folded, perf.map { "\($0)" }].compactMap { $0 }.count
            guard sources == 1 || (sources == 2 && pprof != nil && perf != nil) else {
                throw CLIError(sources == 0 ? "give a source: --pprof URL, --perf PID, --watch DIR or --folded -"
                                            : "give one source (--pprof, --perf, --watch or --folded; only --pprof and --perf combine)")
            }
            var o = AgentOptions(source: try pprof.map { try PprofHTTPSource(base: $0) }, kinds: try ProfileKind.parseList(types), service: service,
                                   labels: labelMap, collector: addresses[0], bind: bind, staticKey: staticKey, collectorKey: peer,
                                   dscp: mark.value == 0 ? nil : mark, minInterval: try LinkConfig.parseDuration(minInterval),
                                   maxInterval: try LinkConfig.parseDuration(maxInterval),
                                   logger: try LogLevelOption.logger("flamewire agent", level: logLevel))
            o.psk = try pskFile.map { try KeyFile.readPresharedKey($0) }
            o.alternates = try zip(addresses, keys).dropFirst().map { (address: $0.0, key: try PublicKey(base64: $0.1)) }
            if let watch { o.watch = try DirectoryWatch(directory: watch) }
            if let perf { o.perf = try PerfSource(pid: perf) }
            if let folded {
                if folded == "-" { o.folded = FoldedLineReader(FileHandle.standardInput) } else {
                    guard let h = FileHandle(forReadingAtPath: folded) else { throw CLIError("--folded: cannot read \(folded)") }
                    o.folded = FoldedLineReader(h)
                }
                o.foldedType = foldedType
            }
            options = o
            runFor = try duration.map { try LinkConfig.parseDuration($0) }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
        let agent: AgentRuntime
        do { agent = try await AgentRuntime.start(options) } catch { throw CLIError("\(error)") }
        let from: String
        if let p = options.perf {
            let rest: String = options.source.map { " and the other types from \($0.base)" } ?? ""
            from = "CPU of process \(p.pid) from perf" + rest
        } else if let src = options.source {
            from = options.kinds.map(\.rawValue).joined(separator: ",") + " from " + src.base
        } else if let w = options.watch {
            from = "new files in " + w.directory
        } else {
            from = "folded stacks from " + (folded ?? "-") + " as " + foldedType
        }
        options.logger.info("\(from) to \(collector)")
        // Until SIGTERM, SIGINT, --duration or the end of the source (folded input closed, the
        // perf'd process gone), then a graceful stop: what is in flight is drained.
        try await ProcessLifecycle.run([AgentService(agent)], stopAfter: runFor, logger: options.logger)
        let drained = await agent.drain(timeout: .seconds(3))
        let stats = try await agent.endpoint.withEndpoint { a, _ in (a.stats, a.interval, a.status.description) }
        let src = agent.sourceCounters
        await agent.close()
        print("""
            fetched \(src.fetches) profiles (\(src.pprofBytes) B of gzip pprof, \(src.failures) failed fetches); \
            snapshots coalesced into a later window \(stats.0.windowsCoalesced); windows sent \(stats.0.windowsSent) in \
            \(stats.0.bundlesSent) bundles, decoded at the collector \(stats.0.windowsDecoded) (\(stats.0.windowsDecodedWithoutRepair) \
            without repair), lost \(stats.0.windowsLost)\(drained ? "" : " (some still unacknowledged)")
            bytes on the wire \(stats.0.bytesSource + stats.0.bytesFEC + stats.0.bytesRepair + stats.0.bytesControl + stats.0.bytesHandshake) \
            (FEC \(stats.0.bytesFEC), repair \(stats.0.bytesRepair)); interval \(Int(stats.1.seconds * 1000)) ms; session \(stats.2)
            """)
    }
}
