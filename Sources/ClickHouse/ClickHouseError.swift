/// Why a request to ClickHouse failed, in words an operator can act on.
public enum ClickHouseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The address does not resolve or refuses connections.
    case connect(String, String)
    /// The server took longer than the client's timeout, or closed the connection mid-answer.
    case io(String, String)
    /// The server answered with an error (its text, as ClickHouse writes it).
    case server(status: Int, String)
    /// The answer is not HTTP or not the format asked for.
    case malformed(String)
    /// A `clickhouse+http://` address or its credentials could not be read.
    case address(String)

    public var description: String {
        switch self {
        case .connect(let endpoint, let why): return "cannot connect to ClickHouse at \(endpoint): \(why)"
        case .io(let endpoint, let why): return "ClickHouse at \(endpoint): \(why)"
        case .server(let status, let text):
            let line = text.split(separator: "\n").first.map(String.init) ?? ""
            let hint = status == 401 || status == 403 || line.contains("Code: 192") || line.contains("Code: 193") ? " (check the user and password)" : ""
            return "ClickHouse answered \(status): \(line.prefix(400))\(hint)"
        case .malformed(let why): return "unexpected answer from ClickHouse: \(why)"
        case .address(let why): return why
        }
    }

    /// True when retrying the same request later may succeed (the server is down, slow or
    /// restarting); false when the request itself is wrong.
    public var isTransient: Bool {
        switch self {
        case .connect, .io: return true
        case .server(let status, let text):
            if [502, 503, 504].contains(status) { return true }
            return Self.code(in: text).map { Self.transientCodes.contains($0) } ?? false
        case .malformed, .address: return false
        }
    }

    /// ClickHouse error codes that describe the server's condition rather than the request:
    /// timeouts and network errors (159, 209, 210), too many queries or parts (202, 252),
    /// memory or disk (241, 243), a read-only table (242), an aborted query (236) and a
    /// system error (425).
    static let transientCodes: Set<Int> = [159, 202, 209, 210, 236, 241, 242, 243, 252, 425]

    /// The `Code: N` ClickHouse puts at the start of an error text.
    static func code(in text: String) -> Int? {
        guard let r = text.range(of: "Code: ") else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }
}
