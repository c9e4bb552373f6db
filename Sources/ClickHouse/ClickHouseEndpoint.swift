import Foundation

/// Where a ClickHouse server's HTTP interface is and which database to use:
/// `clickhouse+http://HOST:PORT/DATABASE` (also plain `http://`). Credentials never come
/// from the address: `user` and `password` are set from a file or the environment.
public struct ClickHouseEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String

    public init(host: String, port: Int = 8123, database: String = "flamewire", user: String = "default", password: String = "") {
        (self.host, self.port, self.database, self.user, self.password) = (host, port, database, user, password)
    }

    /// Parses `clickhouse+http://HOST[:PORT][/DATABASE]`. A user or password in the address is
    /// refused (it would show in `ps` and shell history).
    public init(parsing text: String) throws(ClickHouseError) {
        var rest = Substring(text)
        var matched = false
        for scheme in ["clickhouse+http://", "clickhouse://", "http://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            matched = true
            break
        }
        guard matched else {
            throw .address("\(text): expected clickhouse+http://HOST:PORT/DATABASE (https is not supported; put TLS in front of ClickHouse with a local proxy)")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hostPort = rest[..<slash]
        var database = slash < rest.endIndex ? String(rest[rest.index(after: slash)...]) : ""
        while database.hasSuffix("/") { database.removeLast() }
        if database.isEmpty { database = "flamewire" }
        guard !hostPort.contains("@") else {
            throw .address("\(text): give the ClickHouse user and password in a file or the environment, not in the address")
        }
        guard database.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw .address("\(text): the database name may hold only letters, digits and _")
        }
        var host = String(hostPort)
        var port = 8123
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .address("\(text): unterminated [IPv6] host") }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw .address("\(text): bad port") }
                port = p
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { throw .address("\(text): bad port") }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .address("\(text): no host") }
        self.init(host: host, port: port, database: database)
    }

    public var description: String { "clickhouse+http://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }
}

extension ClickHouseEndpoint {
    /// The endpoint with its user and password from `file` (one line `USER:PASSWORD`, or
    /// `PASSWORD` alone for the default user) or else from the environment
    /// (`FLAMEWIRE_CLICKHOUSE_USER`, `FLAMEWIRE_CLICKHOUSE_PASSWORD`).
    public func withCredentials(file: String?, environment: [String: String]) throws(ClickHouseError) -> ClickHouseEndpoint {
        var e = self
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw .address("--store-credentials \(file): cannot read the file")
            }
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            if let colon = line.firstIndex(of: ":") {
                e.user = String(line[..<colon])
                e.password = String(line[line.index(after: colon)...])
            } else {
                e.password = line
            }
            guard !e.user.isEmpty else { throw .address("--store-credentials \(file): the user before ':' is empty") }
        } else {
            if let u = environment["FLAMEWIRE_CLICKHOUSE_USER"], !u.isEmpty { e.user = u }
            if let p = environment["FLAMEWIRE_CLICKHOUSE_PASSWORD"] { e.password = p }
        }
        return e
    }
}
