import NIOCore
import SansIO

/// How the UDP runtime names socket addresses to the sans-IO sessions, which see only an
/// opaque `PeerAddress`: `127.0.0.1:9000` for IPv4, `[::1]:9000` for IPv6.
public enum PeerAddresses {
    /// The peer address of a socket address.
    public static func peer(_ a: SocketAddress) -> PeerAddress {
        switch a {
        case .v4: return PeerAddress("\(a.ipAddress ?? "?"):\(a.port ?? 0)")
        case .v6: return PeerAddress("[\(a.ipAddress ?? "?")]:\(a.port ?? 0)")
        case .unixDomainSocket: return PeerAddress("unix:\(a.pathname ?? "")")
        }
    }

    /// The socket address of `host:port` or `[v6]:port`, with a numeric address (no name
    /// lookup: a session's addresses come from the command line or from the socket).
    public static func socketAddress(_ text: String) throws(RuntimeError) -> SocketAddress {
        let (host, port) = try split(text)
        do { return try SocketAddress(ipAddress: host, port: port) } catch {
            throw .badAddress(text, "'\(host)' is not a numeric IPv4 or IPv6 address")
        }
    }

    /// Splits `host:port` or `[v6]:port`.
    public static func split(_ text: String) throws(RuntimeError) -> (host: String, port: Int) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .badAddress(text, "expected [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .badAddress(text, "expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw .badAddress(text, "'\(portText)' is not a port (0-65535)") }
        guard !host.isEmpty else { throw .badAddress(text, "the host is empty") }
        return (String(host), port)
    }
}

/// What the UDP runtime refuses, with what to do about it.
public enum RuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    case badAddress(String, String)
    case bindFailed(String, String)
    case badDSCP(String)
    case closed

    public var description: String {
        switch self {
        case .badAddress(let a, let why): return "bad address '\(a)': \(why)"
        case .bindFailed(let a, let why): return "cannot bind UDP \(a): \(why)"
        case .badDSCP(let v): return "bad DSCP '\(v)': give a class name (af11…af43, cs0…cs7, ef) or a number 0-63"
        case .closed: return "the UDP socket is closed"
        }
    }
}
