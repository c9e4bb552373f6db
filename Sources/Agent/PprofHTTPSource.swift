import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches profiles from a Go service's `net/http/pprof` handlers over HTTP.
public struct PprofHTTPSource: Sendable {
    /// `http://host:port/debug/pprof` (no trailing slash needed).
    public let base: String
    /// How long a snapshot request may take before it counts as a failure.
    public var timeout: Double

    public init(base: String, timeout: Double = 10) throws(AgentError) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        guard let u = URL(string: b), u.scheme == "http" || u.scheme == "https", u.host != nil else {
            throw .badOption("--pprof: '\(base)' is not an http:// URL such as http://127.0.0.1:6060/debug/pprof")
        }
        self.base = b
        self.timeout = timeout
    }

    /// The URL of `kind`'s endpoint.
    public func url(_ kind: ProfileKind, cpuSeconds: Int = 1) -> String { "\(base)/\(kind.path(cpuSeconds: cpuSeconds))" }

    /// The raw (gzip) profile bytes `kind`'s endpoint serves. A CPU request takes
    /// `cpuSeconds` plus Go's stop time.
    public func fetch(_ kind: ProfileKind, cpuSeconds: Int = 1) async throws(AgentError) -> [UInt8] {
        let text = url(kind, cpuSeconds: cpuSeconds)
        guard let u = URL(string: text) else { throw .badOption("bad URL \(text)") }
        var request = URLRequest(url: u)
        request.timeoutInterval = kind == .cpu ? Double(cpuSeconds) + timeout : timeout
        let data: Data, response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw .unreachable(url: text, why: error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else { throw .unreachable(url: text, why: "not an HTTP response") }
        guard http.statusCode == 200 else {
            let body = String(decoding: data.prefix(200), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            throw .httpStatus(url: text, status: http.statusCode, body: body)
        }
        return [UInt8](data)
    }
}
