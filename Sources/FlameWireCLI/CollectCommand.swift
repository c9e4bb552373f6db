import ArgumentParser
import ClickHouse
import Collector
import CollectorHTTP
import Foundation
import Synchronization
import Logging
import Keys
import Lifecycle
import NetSim
import SansIO
import Noise
import Store
import UDPRuntime

/// `flamewire collect`: receive agents' windows and write their streams as profiles.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Receive profiles from agents over UDP and write each stream as pprof and a flame graph.",
        discussion: """
            Answers only agents whose public keys are allowed (--allow, repeatable) and
            never anything that does not prove knowledge of this collector's public key.
            Windows are stored in --data (one SQLite file, WAL; kept across restarts: a
            restarted collector continues every stream exactly), or with --store in a
            ClickHouse database that several collectors share. A window is reported
            durable to its agent only after its commit. --retention prunes older data.
            Each stream (counters summed since it was first stored, gauges at their latest
            level) is written to --out as NAME.pb.gz and NAME.svg every --write-every and on
            exit (SIGINT/SIGTERM or --duration).

            Examples:
              flamewire collect --listen 0.0.0.0:7000 --key collector.key --allow <agent base64> --data flamewire.db --http 127.0.0.1:7080
            """)

    @Option(help: "UDP address to receive on, IP:PORT.") var listen: String = "127.0.0.1:7000"
    @Option(help: "This collector's private key file (flamewire keygen).") var key: String
    @Option(help: "An agent public key allowed to connect (base64; repeatable).") var allow: [String] = []
    @Option(name: .customLong("psk-file"), help: "A preshared key file (flamewire keygen --psk) every agent must have too: mixed into the handshake.")
    var pskFile: String?
    @Option(name: .customLong("allow-file"), help: "A file of allowed agent public keys, one per line (# comments); re-read on SIGHUP.")
    var allowFile: String?
    @Option(help: "The store: a SQLite file, created when missing (default: in memory, lost on exit).") var data: String?
    @Option(help: "A store shared by many collectors instead of --data: clickhouse+http://HOST:8123/DATABASE (tables created on first start).")
    var store: String?
    @Option(name: .customLong("store-credentials"), help: "A file holding USER:PASSWORD for --store (default: FLAMEWIRE_CLICKHOUSE_USER and FLAMEWIRE_CLICKHOUSE_PASSWORD, else the user default).")
    var storeCredentials: String?
    @Option(help: "Remove windows older than this, e.g. 7d or 12h (default: keep everything).") var retention: String?
    @Option(help: "Directory for the streams' pprof and SVG files.") var out: String?
    @Option(name: .customLong("write-every"), help: "How often to rewrite --out, e.g. 10s.") var writeEvery: String = "10s"
    @Option(help: "Serve the index, flame graphs, pprof, folded stacks and /metrics on HOST:PORT (loopback unless told otherwise).")
    var http: String?
    @Option(name: .customLong("http-token-file"), help: "A file holding the token every HTTP request but /healthz must carry (Bearer, or Basic password).")
    var httpTokenFile: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) for HTTPS on --http.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Stop after this long, e.g. 60s (default: until SIGINT/SIGTERM).") var duration: String?
    @Option(name: .customLong("log-level"), help: "Least severe events logged to standard error: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"
    @Option(help: "Decode on this many cores: one socket and session shard each, sharing --listen (default: the machine's cores, at most 8).")
    var shards: Int?
    @Flag(name: .customLong("no-pace"), help: "Never ask agents for a longer interval when overloaded (PACE, SPEC.md §11.6); by default the collector does while its sockets drop datagrams or its store falls behind.")
    var noPace = false
    @Option(name: .customLong("window-log"), help: "Append one JSON line per stored window to this file: its stream, sequence, capture and commit times (ns since 1970).")
    var windowLog: String?

    func run() async throws {
        var options: CollectorOptions
        let runFor: Duration?, every: Duration, keep: Duration?
        var fixedKeys = Set<PublicKey>()
        var access = HTTPAccess()
        do {
            let staticKey = try KeyFile.read(key)
            guard !allow.isEmpty || allowFile != nil else {
                throw CLIError("--allow: give at least one agent public key (flamewire pubkey agent.key), or --allow-file")
            }
            var allowed = Set<PublicKey>()
            for a in allow { allowed.insert(try PublicKey(base64: a)) }
            fixedKeys = allowed
            if let allowFile { allowed.formUnion(try AllowList.read(allowFile)) }
            options = CollectorOptions(listen: listen, staticKey: staticKey, allowed: allowed, psk: try pskFile.map { try KeyFile.readPresharedKey($0) },
                                       logger: try LogLevelOption.logger("flamewire collect", level: logLevel))
            if let shards, !(1...64).contains(shards) { throw CLIError("--shards \(shards): give 1 to 64") }
            options.shards = shards ?? min(8, ProcessInfo.processInfo.activeProcessorCount)
            options.pace = !noPace
            runFor = try duration.map { try LinkConfig.parseDuration($0) }
            every = try LinkConfig.parseDuration(writeEvery)
            keep = try retention.map { text -> Duration in
                guard let d = DurationText.parse(text), d > .zero else {
                    throw CLIError("--retention \(text): give a positive duration such as 7d, 12h or 90m")
                }
                return d
            }
            access = HTTPAccess(token: try httpTokenFile.map { try HTTPAccess.readToken($0) }, certificatePath: tlsCert, keyPath: tlsKey)
            if let http {
                let host: String
                do { (host, _) = try PeerAddresses.split(http) } catch { throw CLIError("--http: \(error)") }
                try access.check(host: host)
            } else if httpTokenFile != nil || tlsCert != nil {
                throw CLIError("--http-token-file and --tls-cert protect --http: give --http HOST:PORT")
            }
            if data != nil && store != nil { throw CLIError("--data and --store: give one store") }
            if storeCredentials != nil && store == nil { throw CLIError("--store-credentials goes with --store clickhouse+http://HOST:PORT/DATABASE") }
            if let data {
                do { options.store = try SQLiteStore(path: data) } catch { throw CLIError("--data: \(error)") }
            }
            if let store {
                do {
                    let endpoint = try ClickHouseEndpoint(parsing: store).withCredentials(file: storeCredentials, environment: ProcessInfo.processInfo.environment)
                    options.store = try ClickHouseStore(endpoint)
                } catch { throw CLIError("--store: \(error)") }
            }
            if let windowLog {
                let file: WindowLogFile
                do { file = try WindowLogFile(path: windowLog) } catch { throw CLIError("--window-log: \(error)") }
                options.onStored = { file.append($0) }
            }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
        // swift-metrics to Prometheus for this process, before anything records.
        let metrics = ProcessMetrics.bootstrap()
        let collector: CollectorRuntime
        do { collector = try await CollectorRuntime.start(options) } catch { throw CLIError("\(error)") }
        options.logger.info("listening on \(collector.endpoint.localAddress.map { PeerAddresses.peer($0).value } ?? listen) (\(options.shards) shard\(options.shards == 1 ? "" : "s")), public key \(options.staticKey.publicKey.base64)")
        var service = CollectorService(collector)
        service.retention = keep
        if let allowFile {
            // SIGHUP re-reads the allow file; a file that does not read keeps the old list.
            signal(SIGHUP, SIG_IGN)
            let logger = options.logger, fixed = fixedKeys
            service.reload = {
                do {
                    let said = await collector.setAllowedAgents(fixed.union(try AllowList.read(allowFile)))
                    logger.notice("\(said)")
                } catch {
                    logger.error("allow list not reloaded (the old one stays): \(error)")
                }
            }
        }
        var server: Task<Void, Never>?
        if let http {
            let (host, port): (String, Int)
            do { (host, port) = try PeerAddresses.split(http) } catch { throw CLIError("--http: \(error)") }
            let logger = options.logger
            let state = Mutex<(bound: Int, failure: String?)>((0, nil))
            server = Task {
                do {
                    try await CollectorHTTPServer.run(collector, host: host, port: port, access: access, metrics: metrics) { [access] bound in
                        state.withLock { $0.bound = bound }
                        let scheme = access.certificatePath == nil ? "http" : "https"
                        logger.info("HTTP on \(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ (flame graphs, pprof, /metrics\(access.token == nil ? "" : "; token required"))")
                    }
                } catch {
                    state.withLock { $0.failure = "\(error)" }
                }
            }
            // A listener that cannot bind is a startup error, not a silent half-collector.
            for _ in 0..<200 {
                let s = state.withLock { $0 }
                if let failure = s.failure {
                    await collector.close()
                    throw CLIError("--http \(http): cannot serve HTTP: \(failure)")
                }
                if s.bound != 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let out = self.out
        if let out {
            service.exportEvery = every
            service.export = { if let streams = try? await collector.streams() { _ = try? ProfileExport.write(streams, to: out) } }
        }
        // Until SIGTERM, SIGINT or --duration (swift-service-lifecycle), then a graceful stop.
        try await ProcessLifecycle.run([service], stopAfter: runFor, logger: options.logger)
        // The last events: stored and reported before the socket closes.
        await collector.drain()
        // The HTTP server stops with the process, after the report below.
        _ = server
        let streams = try await collector.streams()
        var written: [String] = []
        if let out {
            do { written = try ProfileExport.write(streams, to: out) } catch { throw CLIError("writing \(out): \(error)") }
        }
        let dropped = try await collector.sessionTotals().dropped
        let agents = try await collector.agents()
        let recovered = agents.reduce(0) { $0 + $1.path.blocksRecovered }
        let counts = collector.counts
        await collector.close()
        for s in streams {
            print("\(ProfileExport.name(s)): \(s.windows) windows stored, \(s.profile.samples.count) stacks")
        }
        for a in agents { if let r = a.path.report { print("agent \(a.agent.base64.prefix(12))… reported: \(r)") } }
        let drops = dropped.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        print("streams \(streams.count); windows decoded \(counts.decoded.values.reduce(0, +)), stored \(counts.windowsStored)\(counts.windowsCoalesced > 0 ? " (\(counts.windowsCoalesced) more coalesced while behind)" : "")\(data.map { " in \($0)" } ?? ""); "
              + "FEC blocks recovered \(recovered); datagrams dropped: \(drops.isEmpty ? "none" : drops)\(written.isEmpty ? "" : "; wrote \(written.count) files to \(out ?? "")")")
    }
}
