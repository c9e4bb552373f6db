import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small blocking client for ClickHouse's HTTP interface: one keep-alive connection at a
/// time, requests serialized, every socket wait bounded by `timeout`. The store calls it from
/// its writer and reader threads, never from an event loop.
///
/// Every request FlameWire sends is idempotent (schema statements with IF NOT EXISTS,
/// inserts into ReplacingMergeTree tables keyed per window, reads), so a request that
/// failed on a connection the server had already closed is sent once more on a new one.
public final class ClickHouseClient: Sendable {
    public let endpoint: ClickHouseEndpoint
    public let timeoutSeconds: Double
    let connection = Mutex<Int32>(-1)
    let received = Atomic<Int>(0)
    let sent = Atomic<Int>(0)

    /// Bytes of answers received (headers and bodies) since the client was made.
    public var bytesReceived: Int { received.load(ordering: .relaxed) }
    /// Bytes of requests sent since the client was made.
    public var bytesSent: Int { sent.load(ordering: .relaxed) }
    /// Tests only: answers a request (its query text) with an error instead of sending it.
    let fault = Mutex<(@Sendable (String) -> ClickHouseError?)?>(nil)

    public init(_ endpoint: ClickHouseEndpoint, timeoutSeconds: Double = 30) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { connection.withLock { if $0 >= 0 { close($0) } } }

    /// Runs a statement that returns nothing (DDL, ALTER).
    public func execute(_ sql: String, database: Bool = true) throws(ClickHouseError) {
        _ = try request(query: nil, body: Array(sql.utf8), database: database)
    }

    /// Inserts `rows` (RowBinary) with `INSERT INTO table (columns) FORMAT RowBinary`. When it
    /// returns, ClickHouse has written the rows (HTTP 200 for the whole body).
    public func insert(into table: String, columns: String, rows: [UInt8]) throws(ClickHouseError) {
        _ = try request(query: "INSERT INTO \(table) (\(columns)) FORMAT RowBinary", body: rows, database: true)
    }

    /// Runs a SELECT and returns its RowBinary answer (`FORMAT RowBinary` is appended).
    public func select(_ sql: String) throws(ClickHouseError) -> RowBinaryReader {
        RowBinaryReader(try request(query: nil, body: Array((sql + " FORMAT RowBinary").utf8), database: true))
    }

    /// Runs a SELECT and returns its text answer (`FORMAT TabSeparated`), for small results.
    public func text(_ sql: String) throws(ClickHouseError) -> String {
        String(decoding: try request(query: nil, body: Array((sql + " FORMAT TabSeparated").utf8), database: true), as: UTF8.self)
    }

    /// True when the server answers `/ping`.
    public func ping() -> Bool {
        (try? roundTrip(head: "GET /ping HTTP/1.1\r\nHost: \(endpoint.host)\r\n\r\n", body: [])) != nil
    }

    // MARK: HTTP

    func request(query: String?, body: [UInt8], database: Bool) throws(ClickHouseError) -> [UInt8] {
        if let f = fault.withLock({ $0 }), let e = f(query ?? String(decoding: body.prefix(200), as: UTF8.self)) { throw e }
        var target = "/?wait_end_of_query=1"
        if database { target += "&database=" + Self.percentEncoded(endpoint.database) }
        if let query { target += "&query=" + Self.percentEncoded(query) }
        var head = "POST \(target) HTTP/1.1\r\nHost: \(endpoint.host)\r\nContent-Length: \(body.count)\r\n"
        if !endpoint.user.isEmpty && (endpoint.user != "default" || !endpoint.password.isEmpty) {
            let token = Data("\(endpoint.user):\(endpoint.password)".utf8).base64EncodedString()
            head += "Authorization: Basic \(token)\r\n"
        }
        head += "\r\n"
        return try roundTrip(head: head, body: body)
    }

    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    func roundTrip(head: String, body: [UInt8]) throws(ClickHouseError) -> [UInt8] {
        try connection.withLock { fd throws(ClickHouseError) -> [UInt8] in
            var attempt = 0
            while true {
                attempt += 1
                let reused = fd >= 0
                if fd < 0 { fd = try connect() }
                do {
                    try sendAll(fd, Array(head.utf8) + body)
                    sent.add(head.utf8.count + body.count, ordering: .relaxed)
                    let (status, payload, keepAlive) = try readResponse(fd)
                    if !keepAlive { close(fd); fd = -1 }
                    guard status == 200 else {
                        throw ClickHouseError.server(status: status, String(decoding: payload, as: UTF8.self))
                    }
                    return payload
                } catch let error as ClickHouseError {
                    if case .server = error { throw error }
                    close(fd)
                    fd = -1
                    // A kept-alive connection the server closed meanwhile: once more on a new one.
                    if reused && attempt == 1 { continue }
                    throw error
                } catch {
                    close(fd)
                    fd = -1
                    throw .io(endpoint.description, "\(error)")
                }
            }
        }
    }

    var hostPort: String { "\(endpoint.host):\(endpoint.port)" }

    func connect() throws(ClickHouseError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .connect(hostPort, "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            defer { ai = a.pointee.ai_next }
            let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var tv = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - Double(Int(timeoutSeconds))) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw .connect(hostPort, lastError)
    }

    func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(ClickHouseError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(hostPort, errno == EAGAIN ? "timed out after \(timeoutSeconds) s sending a request" : "sending: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Reads one response: status, body (Content-Length, chunked, or to the close) and
    /// whether the connection stays open.
    func readResponse(_ fd: Int32) throws(ClickHouseError) -> (Int, [UInt8], Bool) {
        var reader = SocketReader(fd: fd, endpoint: hostPort, timeout: timeoutSeconds)
        let status = try reader.line()
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            throw .malformed("status line \(status.prefix(80).debugDescription)")
        }
        var length: Int?
        var chunked = false
        var keepAlive = parts[0] == "HTTP/1.1"
        while true {
            let line = try reader.line()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": keepAlive = value.lowercased() == "keep-alive" || (keepAlive && value.lowercased() != "close")
            default: break
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let sizeLine = try reader.line()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "", radix: 16), size >= 0 else {
                    throw .malformed("chunk size \(sizeLine.prefix(40).debugDescription)")
                }
                if size == 0 {
                    while !(try reader.line()).isEmpty {}
                    break
                }
                body += try reader.bytes(size)
                _ = try reader.line()
            }
        } else if let length {
            body = try reader.bytes(length)
        } else {
            body = try reader.toClose()
            keepAlive = false
        }
        received.add(reader.bytesRead, ordering: .relaxed)
        return (code, body, keepAlive)
    }
}

/// Buffered reads from a blocking socket with a receive timeout.
struct SocketReader {
    let fd: Int32
    let endpoint: String
    let timeout: Double
    var buffer: [UInt8] = []
    var start = 0
    /// Bytes received so far.
    var bytesRead = 0

    init(fd: Int32, endpoint: String, timeout: Double) { (self.fd, self.endpoint, self.timeout) = (fd, endpoint, timeout) }

    /// Reads more; false at the peer's close.
    mutating func fill() throws(ClickHouseError) -> Bool {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 { buffer += chunk[0..<n]; bytesRead += n; return true }
            if n == 0 { return false }
            if errno == EINTR { continue }
            throw .io(endpoint, errno == EAGAIN ? "no answer within \(timeout) s" : "reading: \(String(cString: strerror(errno)))")
        }
    }

    mutating func line() throws(ClickHouseError) -> String {
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = nl
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let s = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return s
            }
            guard buffer.count - start < 1 << 20 else { throw .malformed("a header line longer than 1 MiB") }
            guard try fill() else { throw .io(endpoint, "the server closed the connection mid-answer") }
        }
    }

    mutating func bytes(_ n: Int) throws(ClickHouseError) -> [UInt8] {
        while buffer.count - start < n {
            guard try fill() else { throw .io(endpoint, "the server closed the connection mid-answer") }
        }
        defer { start += n }
        return Array(buffer[start..<start + n])
    }

    mutating func toClose() throws(ClickHouseError) -> [UInt8] {
        while try fill() {}
        defer { start = buffer.count }
        return Array(buffer[start...])
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
