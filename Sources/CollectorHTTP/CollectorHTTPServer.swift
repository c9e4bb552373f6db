import Collector
import FlameGraph
import Folded
import Foundation
import Hummingbird
import Prometheus
import HummingbirdTLS
import NIOCore
import Keys
import Logging
import Pprof
import Profile
import ProfileFiles
import Session
import Store

/// The collector's HTTP side (`flamewire collect --http`): an index of streams, flame
/// graphs, gzip pprof (so `go tool pprof http://collector/profile?type=cpu` works), folded
/// stacks, Prometheus metrics and a health check, all from the collector's store (any time
/// range; see `StreamQuery`).
/// Everything is served from this process (no CDN): the SVG carries its own script.
public enum CollectorHTTPServer {
    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect y="12" width="16" height="4" fill="#e0561f"/>\
        <rect x="2" y="8" width="10" height="4" fill="#f08a24"/><rect x="3" y="4" width="5" height="4" fill="#f7c04a"/></svg>
        """
    /// The routes, over `collector`.
    /// With `metrics` (the process's swift-metrics registry, `ProcessMetrics.bootstrap`),
    /// requests are measured and the registry's series follow the collector's on `/metrics`.
    public static func router(_ collector: CollectorRuntime, token: String? = nil, metrics: PrometheusCollectorRegistry? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        if metrics != nil { router.add(middleware: MetricsMiddleware()) }
        if let token { router.add(middleware: TokenMiddleware(token: Array(token.utf8))) }
        router.get("/") { _, _ -> Response in
            html(IndexPage.render(try await collector.storedStreams(), live: try await collector.summaries(), agents: try await collector.agents()))
        }
        router.get("/healthz") { _, _ -> String in "ok\n" }
        // Browsers ask for one on every page; a small flame (SVG) instead of a 404.
        router.get("/favicon.ico") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "max-age=86400"],
                     body: .init(byteBuffer: ByteBuffer(string: favicon)))
        }
        router.get("/metrics") { _, _ -> Response in
            let text = try await CollectorMetricsText.render(collector) + (metrics?.emitToString() ?? "")
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/flamegraph.svg") { request, _ -> Response in
            let q = try query(request)
            let profile = try await merged(collector, q, range: q.range)
            let index = try answer { () throws(QueryError) in try q.sampleIndex(in: profile) }
            let base = try await q.diff.asyncMap { try await merged(collector, q, range: $0) }
            var builder = FlameTreeBuilder(valueType: profile.sampleTypes[index], differential: base != nil)
            do {
                try builder.add(profile, sampleIndex: index, side: .primary)
                if let base {
                    let baseIndex = try answer { () throws(QueryError) in try q.sampleIndex(in: base) }
                    try builder.add(base, sampleIndex: baseIndex, side: .base)
                }
            } catch {
                throw HTTPError(.internalServerError, message: "cannot draw: \(error)\n")
            }
            let tree = builder.build()
            var options = FlameGraphOptions()
            options.title = "\(q.service ?? "all services") \(q.type)"
            let t = profile.sampleTypes[index]
            options.subtitle = "\(t.type) (\(t.unit)) \(describe(q.range))\(q.diff.map { " against \(describe($0))" } ?? "")"
            options.palette = Palette.default(for: tree.valueType)
            let svg: [UInt8]
            do { svg = try FlameGraphSVG.render(tree, options: options) } catch {
                throw HTTPError(.internalServerError, message: "cannot draw: \(error)\n")
            }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(bytes: svg)))
        }
        router.get("/profile") { request, _ -> Response in
            let q = try query(request, diff: false)
            let profile = try await merged(collector, q, range: q.range)
            let bytes: [UInt8]
            do { bytes = try PprofEncoder.encodeGzip(profile) } catch {
                throw HTTPError(.internalServerError, message: "cannot encode: \(error)\n")
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream",
                                                   .contentDisposition: "attachment; filename=\"\(q.type).pb.gz\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/folded") { request, _ -> Response in
            let q = try query(request, diff: false)
            let profile = try await merged(collector, q, range: q.range)
            let index = try answer { () throws(QueryError) in try q.sampleIndex(in: profile) }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: FoldedWriter.text(profile, sampleIndex: index))))
        }
        return router
    }

    /// Serves `collector` on `host:port` until the task is cancelled; `onRunning` gets the
    /// bound port (useful with port 0).
    public static func run(_ collector: CollectorRuntime, host: String, port: Int, access: HTTPAccess = HTTPAccess(),
                           metrics: PrometheusCollectorRegistry? = nil,
                           onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try access.check(host: host)
        // Warnings and errors only, on standard error (standard output is the command's report).
        var logger = Logger(label: "flamewire.http") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "flamewire")
        let routes = router(collector, token: access.token, metrics: metrics)
        let running: @Sendable (any Channel) async -> Void = { channel in await onRunning(channel.localAddress?.port ?? port) }
        if let tls = try access.tlsConfiguration() {
            let app = Application(router: routes, server: try .tls(.http1(), tlsConfiguration: tls), configuration: configuration,
                                  onServerRunning: running, logger: logger)
            try await app.run()
        } else {
            let app = Application(router: routes, configuration: configuration, onServerRunning: running, logger: logger)
            try await app.run()
        }
    }

    static func query(_ request: Request, diff: Bool = true) throws -> StreamQuery {
        let params = request.uri.queryParameters
        let q = try answer { () throws(QueryError) in try StreamQuery { params.get($0) } }
        if !diff && q.diff != nil { throw HTTPError(.badRequest, message: "bad diff: a differential graph is /flamegraph.svg only\n") }
        return q
    }

    /// The query's streams over `range`, merged (404 when none matches, 400 when they cannot merge).
    static func merged(_ collector: CollectorRuntime, _ q: StreamQuery, range: TimeRange) async throws -> Profile {
        let streams: [CollectedStream]
        do { streams = try await collector.streams(where: { [q] in q.matches($0) }, range: range, aggregation: q.aggregation) } catch {
            throw HTTPError(.internalServerError, message: "cannot read the store: \(error)\n")
        }
        return try answer { () throws(QueryError) in try q.merged(streams) }
    }

    /// "over everything stored", "from … to …" (UTC).
    static func describe(_ r: TimeRange) -> String {
        let t = IndexPage.time
        switch (r.from == .min, r.to == .max) {
        case (true, true): return "over everything stored"
        case (false, true): return "since \(t(r.from))"
        case (true, false): return "until \(t(r.to))"
        case (false, false): return "from \(t(r.from)) to \(t(r.to))"
        }
    }

    /// Runs `body`, turning a `QueryError` into a 400 or 404 with its message.
    static func answer<T>(_ body: () throws(QueryError) -> T) throws -> T {
        do { return try body() } catch {
            switch error {
            case .noStream: throw HTTPError(.notFound, message: "\(error)\n")
            default: throw HTTPError(.badRequest, message: "\(error)\n")
            }
        }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let v = self else { return nil }
        return try await f(v)
    }
}
