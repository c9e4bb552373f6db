import Foundation

/// One window that reached the store: when its profile was captured and when it became
/// durable. What `collect --window-log` writes, one JSON line each, so the delay from
/// capture to available can be measured (Tools/bench/vs-http.sh) and audited.
public struct StoredWindow: Sendable, Equatable, Codable {
    /// The agent's public key, base64.
    public var agent: String
    public var service: String
    public var type: String
    public var stream: UInt32
    public var epoch: UInt32
    public var seq: UInt32
    /// The end of the window's profile on the agent's clock (ns since 1970), or nil when the
    /// agent gave no time or its clock is more than 5 minutes from the collector's.
    public var capturedNanos: Int64?
    /// When the commit that holds the window returned (the collector's clock).
    public var storedNanos: Int64

    public init(agent: String, service: String, type: String, stream: UInt32, epoch: UInt32, seq: UInt32, capturedNanos: Int64?, storedNanos: Int64) {
        (self.agent, self.service, self.type, self.stream, self.epoch, self.seq, self.capturedNanos, self.storedNanos) =
            (agent, service, type, stream, epoch, seq, capturedNanos, storedNanos)
    }

    /// Seconds from capture to durable, when the capture time is known.
    public var delaySeconds: Double? { capturedNanos.map { Double(storedNanos - $0) / 1e9 } }
}

/// How long windows took from capture (the end of their profile, on the agent's clock) to
/// durable in the store: a Prometheus histogram with fixed bounds in seconds. It measures
/// the agent's and the collector's clocks against each other, so across hosts it is only
/// as good as their time sync (NTP keeps it within milliseconds).
public struct DelayHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, seconds; a last bucket (+Inf) takes the rest.
    public static let bounds: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10, 30, 60]
    /// Windows per bucket (not cumulative), `bounds.count + 1` of them.
    public private(set) var counts = [Int](repeating: 0, count: DelayHistogram.bounds.count + 1)
    public private(set) var sum = 0.0
    public var count: Int { counts.reduce(0, +) }

    public init() {}

    /// Counts one window's delay (a negative one, from clock skew, counts as zero).
    public mutating func record(_ seconds: Double) {
        let s = max(0, seconds)
        let i = Self.bounds.firstIndex(where: { s <= $0 }) ?? Self.bounds.count
        counts[i] += 1
        sum += s
    }

    /// Cumulative counts per bound, as Prometheus `le` buckets (the last is +Inf).
    public var cumulative: [(le: String, count: Int)] {
        var running = 0
        var out: [(String, Int)] = []
        for (i, c) in counts.enumerated() {
            running += c
            out.append((i < Self.bounds.count ? Self.format(Self.bounds[i]) : "+Inf", running))
        }
        return out
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// The file `collect --window-log` appends stored windows to, one JSON line each. Writes
/// are whole lines with O_APPEND, so a reader (or a second run) never sees half a line.
public final class WindowLogFile: Sendable {
    let fd: Int32
    public let path: String

    /// Opens (creating when missing, mode 0644) `path` for appending.
    public init(path: String) throws(WindowLogError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WindowLogError(path: path, why: String(cString: strerror(errno))) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Appends the windows of one commit; a failed write is dropped (the log is for
    /// measurement and audit, never a reason to stop storing).
    public func append(_ windows: [StoredWindow]) {
        guard !windows.isEmpty else { return }
        // One JSON object per line, keys sorted (Protocol/STORE.md §9).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes: [UInt8] = []
        for w in windows {
            guard let line = try? encoder.encode(w) else { continue }
            bytes += line
            bytes.append(UInt8(ascii: "\n"))
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// A window log that cannot be opened.
public struct WindowLogError: Error, CustomStringConvertible {
    public var path: String
    public var why: String
    public var description: String { "cannot open \(path) for appending: \(why)" }
}
