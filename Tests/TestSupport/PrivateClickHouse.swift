import Foundation

/// A ClickHouse server of the test's own, on loopback (Tools/lib/clickhouse.sh), that the
/// test kills and starts again.
public final class PrivateClickHouse {
    let dir: URL
    public let port: Int
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public init(port: Int) throws {
        self.port = port
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-clickhouse-\(UUID().uuidString)")
        try start()
    }

    func shell(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", ". \(Self.repo.path)/Tools/lib/clickhouse.sh && \(command)"]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw PrivateClickHouseError.failed(command) }
    }

    public func start() throws {
        try shell("clickhouse_start \(dir.path) \(port)")
        // Started here, not some other server already on the port.
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("pid").path) else { throw PrivateClickHouseError.portTaken(port) }
    }

    /// SIGKILL: no shutdown, nothing flushed beyond what the server already wrote.
    public func kill() {
        if let text = try? String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            Foundation.kill(pid, SIGKILL)
            for _ in 0..<100 where Foundation.kill(pid, 0) == 0 { usleep(20_000) }
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("pid"))
        }
    }

    public func stop() {
        try? shell("clickhouse_stop \(dir.path)")
        try? FileManager.default.removeItem(at: dir)
    }
}

public enum PrivateClickHouseError: Error, CustomStringConvertible {
    case failed(String)
    case portTaken(Int)
    public var description: String {
        switch self {
        case .failed(let c): return "\(c) failed (is clickhouse-server installed?)"
        case .portTaken(let p): return "port \(p) is taken by another server"
        }
    }
}
