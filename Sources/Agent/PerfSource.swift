import Foundation
import Synchronization

/// `--perf PID`: CPU samples of any process (Go, native, …) from Linux perf events,
/// continuously, so CPU is gap-free at the adaptive interval: `perf record -F 99 -g` streams
/// into `perf script`, whose samples are folded into stacks and cut into one window per
/// interval by arrival. Go keeps frame pointers, so `-g` gives whole Go stacks.
public final class PerfSource: Sendable {
    public let pid: Int32
    public let frequency: Int
    let state = Mutex(State())
    let record: Process
    let script: Process

    struct State {
        var parser = PerfScriptParser()
        var ended = false
        var errors = ""
    }

    /// Starts perf on `pid`. Throws with what to do when perf is missing, or when it stops
    /// at once (no such process, not permitted: `kernel.perf_event_paranoid`).
    public init(pid: Int32, frequency: Int = 99) throws(AgentError) {
        self.pid = pid
        self.frequency = frequency
        if kill(pid, 0) != 0 && errno == ESRCH { throw .badOption("--perf \(pid): no such process") }
        guard let perf = Self.find("perf") else {
            throw .badOption("--perf: perf is not installed (Debian: apt install linux-perf)")
        }
        record = Process()
        record.executableURL = URL(fileURLWithPath: perf)
        record.arguments = ["record", "-F", "\(frequency)", "-g", "--no-buffering", "-p", "\(pid)", "-o", "-"]
        script = Process()
        // perf script writes through stdio: line-buffer it so samples arrive as they happen.
        if let stdbuf = Self.find("stdbuf") {
            script.executableURL = URL(fileURLWithPath: stdbuf)
            script.arguments = ["-oL", perf, "script", "-i", "-", "-F", "comm,tid,time,ip,sym,dso"]
        } else {
            script.executableURL = URL(fileURLWithPath: perf)
            script.arguments = ["script", "-i", "-", "-F", "comm,tid,time,ip,sym,dso"]
        }
        let pipe = Pipe(), out = Pipe(), recordErr = Pipe()
        record.standardOutput = pipe
        record.standardError = recordErr
        record.standardInput = FileHandle.nullDevice
        script.standardInput = pipe
        script.standardOutput = out
        script.standardError = FileHandle.nullDevice
        do {
            try record.run()
            try script.run()
        } catch {
            throw .badOption("--perf: cannot run \(perf): \(error)")
        }
        Thread { [self] in
            let err = recordErr.fileHandleForReading.readDataToEndOfFile()
            self.state.withLock { $0.errors = String(decoding: err, as: UTF8.self) }
        }.start()
        Thread { [self] in
            let h = out.fileHandleForReading
            while true {
                let d = h.availableData
                if d.isEmpty { break }
                self.state.withLock { $0.parser.feed([UInt8](d)) }
            }
            self.state.withLock { $0.parser.finish(); $0.ended = true }
        }.start()
        // perf refuses at once when the process is gone or events are not permitted.
        for _ in 0..<20 where record.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if !record.isRunning {
            script.waitUntilExit()
            Thread.sleep(forTimeInterval: 0.1)
            let why = state.withLock { $0.errors }.split(separator: "\n").first { !$0.isEmpty }.map(String.init) ?? "exit \(record.terminationStatus)"
            let hint = why.contains("ermission") || why.contains("paranoid") ? " (allow it: sysctl kernel.perf_event_paranoid=1, or run as root)" : ""
            throw .badOption("--perf \(pid): perf record stopped: \(why)\(hint)")
        }
    }

    /// The folded stacks sampled since the last call (`stack count` lines), and whether perf
    /// has stopped (the process ended).
    public func take() -> (folded: [UInt8], ended: Bool, errors: String) {
        state.withLock { s in (s.parser.takeFolded(), s.ended, s.errors) }
    }

    /// Stops perf.
    public func stop() {
        if record.isRunning { record.interrupt() }
    }

    deinit {
        if record.isRunning { record.terminate() }
        if script.isRunning { script.terminate() }
    }

    static func find(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/sbin", "/usr/bin"]
        for dir in paths {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}

/// Parses `perf script` output (a header line per sample, then one indented line per
/// frame, leaf first: `addr symbol+0xoff (dso)`, a blank line after each sample) into
/// folded stacks (root first) with their sample counts.
public struct PerfScriptParser: Sendable {
    var pending: [UInt8] = []
    var frames: [String] = []
    var inSample = false
    var counts: [String: Int64] = [:]
    public private(set) var samples = 0

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        var start = 0
        while let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line(pending[start..<nl])
            start = nl + 1
        }
        pending.removeSubrange(0..<start)
    }

    /// Ends the input: a sample without its blank line still counts.
    public mutating func finish() {
        if !pending.isEmpty { line(pending[...]); pending.removeAll() }
        endSample()
    }

    mutating func line(_ l: ArraySlice<UInt8>) {
        let text = String(decoding: l, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { endSample(); return }
        if let first = l.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            if inSample { frames.append(Self.frameName(trimmed)) }
        } else {
            endSample()
            inSample = true
        }
    }

    mutating func endSample() {
        guard inSample else { return }
        inSample = false
        let stack = frames.isEmpty ? "[unknown]" : frames.reversed().joined(separator: ";")
        counts[stack, default: 0] += 1
        samples += 1
        frames.removeAll(keepingCapacity: true)
    }

    /// `4a1b2c main.work+0x2c (/srv/app)` → `main.work`; an unknown symbol is named by its
    /// binary (`[libc.so.6]`). Separators of the folded format are replaced.
    static func frameName(_ frame: String) -> String {
        var parts = frame.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "[unknown]" }
        var rest = parts[1]
        var dso = ""
        if rest.hasSuffix(")"), let open = rest.lastIndex(of: "(") {
            dso = String(rest[rest.index(after: open)..<rest.index(before: rest.endIndex)])
            rest = String(rest[..<open]).trimmingCharacters(in: .whitespaces)
        }
        if let plus = rest.range(of: "+0x", options: .backwards) { rest = String(rest[..<plus.lowerBound]) }
        if rest.isEmpty || rest == "[unknown]" {
            rest = dso.isEmpty || dso == "[unknown]" ? "[unknown]" : "[\((dso as NSString).lastPathComponent)]"
        }
        parts[1] = rest
        return rest.replacingOccurrences(of: ";", with: ":").replacingOccurrences(of: "\n", with: " ")
    }

    /// The folded lines counted since the last call.
    public mutating func takeFolded() -> [UInt8] {
        defer { counts.removeAll(keepingCapacity: true) }
        var out = ""
        for (stack, n) in counts.sorted(by: { $0.key < $1.key }) { out += "\(stack) \(n)\n" }
        return Array(out.utf8)
    }
}
