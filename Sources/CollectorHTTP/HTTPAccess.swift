import Foundation
import Hummingbird
import NIOSSL

/// Who may read the collector over HTTP: a bearer token (also accepted as the password of
/// HTTP Basic authentication, so a browser asks for it), and TLS so the token does not
/// travel in clear. Loopback listeners need neither; any other address needs both.
public struct HTTPAccess: Sendable {
    /// Every request but `/healthz` must carry it.
    public var token: String?
    public var certificatePath: String?
    public var keyPath: String?

    public init(token: String? = nil, certificatePath: String? = nil, keyPath: String? = nil) {
        (self.token, self.certificatePath, self.keyPath) = (token, certificatePath, keyPath)
    }

    /// Reads a token file: its first line, at least 16 characters.
    public static func readToken(_ path: String) throws(HTTPAccessError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .token("cannot read \(path)") }
        let token = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard token.count >= 16 else { throw .token("\(path) must hold a token of at least 16 characters (openssl rand -hex 32 > \(path))") }
        return token
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Checks that a listener on `host` is protected as it must be.
    public func check(host: String) throws(HTTPAccessError) {
        if (certificatePath == nil) != (keyPath == nil) { throw .tls("give both --tls-cert and --tls-key") }
        guard !Self.isLoopback(host) else { return }
        if token == nil || certificatePath == nil {
            throw .exposed("--http \(host) is not loopback: give --http-token-file and --tls-cert/--tls-key (or bind 127.0.0.1 and reach it through an SSH tunnel)")
        }
    }

    /// The TLS configuration, when a certificate is given.
    func tlsConfiguration() throws(HTTPAccessError) -> TLSConfiguration? {
        guard let certificatePath, let keyPath else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw HTTPAccessError.tls("\(certificatePath) holds no PEM certificate") }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        } catch let e as HTTPAccessError {
            throw e
        } catch {
            throw .tls("cannot load \(certificatePath) and \(keyPath): \(error)")
        }
    }
}

public enum HTTPAccessError: Error, Equatable, Sendable, CustomStringConvertible {
    case token(String)
    case tls(String)
    case exposed(String)

    public var description: String {
        switch self {
        case .token(let m): return "--http-token-file: \(m)"
        case .tls(let m): return "TLS: \(m)"
        case .exposed(let m): return m
        }
    }
}

/// Answers 401 unless the request carries the token (`Authorization: Bearer T`, or Basic
/// with T as the password); `/healthz` stays open for load balancers.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" || authorized(request.headers[.authorization]) { return try await next(request, context) }
        return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"flamewire\", charset=\"UTF-8\""],
                        body: .init(byteBuffer: ByteBuffer(string: "a token is required: Authorization: Bearer <the --http-token-file token>\n")))
    }

    func authorized(_ header: String?) -> Bool {
        guard let header else { return false }
        if header.hasPrefix("Bearer ") { return equal(Array(header.dropFirst(7).utf8)) }
        if header.hasPrefix("Basic "), let d = Data(base64Encoded: String(header.dropFirst(6))) {
            let text = [UInt8](d)
            guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return false }
            return equal(Array(text[(colon + 1)...]))
        }
        return false
    }

    /// Compares in time independent of where the bytes differ.
    func equal(_ given: [UInt8]) -> Bool {
        var diff = UInt8(given.count == token.count ? 0 : 1)
        for i in 0..<token.count { diff |= token[i] ^ (i < given.count ? given[i] : 0) }
        return diff == 0
    }
}
