import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches profiles from a Go service's `net/http/pprof` handlers over HTTP.
///
/// `http://` bases are fetched on kept-alive connections (`KeepAliveHTTPClient`: no
/// thread, cache or connection set-up per request, which is most of what an agent costs);
/// `https://` goes through Foundation's `URLSession` for its TLS, without a response cache.
public struct PprofHTTPSource: Sendable {
    /// `http://host:port/debug/pprof` (no trailing slash needed).
    public let base: String
    /// How long a snapshot request may take before it counts as a failure.
    public var timeout: Double
    /// The connections for an `http://` base; nil for `https://`.
    let client: KeepAliveHTTPClient?
    /// The base's path (`/debug/pprof`), to which an endpoint's name is appended.
    let basePath: String

    public init(base: String, timeout: Double = 10) throws(AgentError) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        guard let u = URL(string: b), u.scheme == "http" || u.scheme == "https", let host = u.host, !host.isEmpty else {
            throw .badOption("--pprof: '\(base)' is not an http:// URL such as http://127.0.0.1:6060/debug/pprof")
        }
        guard u.query == nil, u.fragment == nil else {
            throw .badOption("--pprof: '\(base)' has a query or fragment; give the handlers' base such as http://127.0.0.1:6060/debug/pprof")
        }
        self.base = b
        self.timeout = timeout
        self.basePath = URLComponents(string: b)?.percentEncodedPath ?? u.path
        if u.scheme == "http" {
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.client = KeepAliveHTTPClient(host: bare, port: u.port ?? 80)
        } else {
            self.client = nil
        }
    }

    /// The URL of `kind`'s endpoint.
    public func url(_ kind: ProfileKind, cpuSeconds: Int = 1) -> String { "\(base)/\(kind.path(cpuSeconds: cpuSeconds))" }

    /// The raw (gzip) profile bytes `kind`'s endpoint serves. A CPU request takes
    /// `cpuSeconds` plus Go's stop time.
    public func fetch(_ kind: ProfileKind, cpuSeconds: Int = 1) async throws(AgentError) -> [UInt8] {
        let text = url(kind, cpuSeconds: cpuSeconds)
        let wait = kind == .cpu ? Double(cpuSeconds) + timeout : timeout
        let status: Int, body: [UInt8]
        if let client {
            do {
                let response = try await client.get("\(basePath)/\(kind.path(cpuSeconds: cpuSeconds))", timeout: wait)
                (status, body) = (response.status, response.body)
            } catch {
                throw .unreachable(url: text, why: error.description)
            }
        } else {
            (status, body) = try await Self.tlsFetch(text, timeout: wait)
        }
        guard status == 200 else {
            let line = String(decoding: body.prefix(200), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            throw .httpStatus(url: text, status: status, body: line)
        }
        return body
    }

    /// Closes the source's idle connections.
    public func close() async { await client?.close() }

    /// An `https://` session: no cache (every profile is new), no cookies.
    static let tlsSession: URLSession = {
        let config = URLSessionConfiguration.ephemeral
        config.urlCache = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpShouldSetCookies = false
        return URLSession(configuration: config)
    }()

    static func tlsFetch(_ text: String, timeout: Double) async throws(AgentError) -> (Int, [UInt8]) {
        guard let u = URL(string: text) else { throw .badOption("bad URL \(text)") }
        var request = URLRequest(url: u)
        request.timeoutInterval = timeout
        let data: Data, response: URLResponse
        do { (data, response) = try await tlsSession.data(for: request) } catch {
            throw .unreachable(url: text, why: error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else { throw .unreachable(url: text, why: "not an HTTP response") }
        return (http.statusCode, [UInt8](data))
    }
}
