import Foundation
import Testing

/// Runs `go tool pprof`, Go's own reader, as the reference the interop tests compare to.
enum GoPprof {
    /// The `go` executable, if installed (Debian `golang-go`).
    static let goPath: String? = {
        var candidates = ["/usr/bin/go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go"]
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            candidates += path.split(separator: ":").map { "\($0)/go" }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// A private directory for Go's home, caches and pprof's temp files, so the tests
    /// neither read nor write the user's configuration.
    static let sandbox: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("flamewire-pprof-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// The `go` path, or nil after recording why the test cannot run: a failure in CI
    /// (env `CI` set), a known issue elsewhere.
    static func requireGo() -> String? {
        if let goPath { return goPath }
        let message = "go is not installed: install Debian golang-go (apt-get install golang-go) to run the Go interop tests"
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record(Comment(rawValue: message + " (required in CI)"))
        } else {
            withKnownIssue(Comment(rawValue: message)) { Issue.record(Comment(rawValue: message)) }
        }
        return nil
    }

    /// Runs `go tool pprof ARGS` and returns its standard output.
    static func run(_ go: String, _ args: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: go)
        process.arguments = ["tool", "pprof"] + args
        var env = ProcessInfo.processInfo.environment
        let home = sandbox.path
        env["HOME"] = home
        env["GOCACHE"] = home + "/gocache"
        env["GOPATH"] = home + "/gopath"
        env["GOFLAGS"] = ""
        env["GOTOOLCHAIN"] = "local"
        env["PPROF_TMPDIR"] = home
        env["PPROF_BINARY_PATH"] = home
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        let errFile = sandbox.appendingPathComponent("stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errFile.path, contents: nil) else {
            throw TestFileError("cannot create \(errFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: errFile) }
        let errHandle = try FileHandle(forWritingTo: errFile)
        process.standardError = errHandle
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errHandle.close()
        guard process.terminationStatus == 0 else {
            let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            throw TestFileError("go tool pprof \(args.joined(separator: " ")) exited with \(process.terminationStatus): \(err)")
        }
        return output
    }

    /// Go's exact view of `path`: `go tool pprof -raw` parsed.
    static func raw(_ go: String, _ path: String) throws -> GoRawProfile {
        let out = try run(go, ["-raw", "-symbolize=none", path])
        return try GoRawProfile(parsing: String(decoding: out, as: UTF8.self))
    }

    /// The exact total `go tool pprof -top` reports for column `sampleIndex` of `paths`
    /// (merged by Go when several), from its "Showing nodes accounting for X, P% of Z
    /// total" line. `-unit` is set to the column's own unit so Go prints the integer
    /// instead of rounding to a scaled unit ("39342.23MB"); a total that still has a
    /// fraction is an error, since the comparison must be exact.
    static func topTotal(_ go: String, _ paths: [String], sampleIndex: Int, unit: String) throws -> Int64 {
        let out = String(decoding: try run(go, ["-top", "-symbolize=none", "-sample_index=\(sampleIndex)", "-unit=\(unit)"] + paths),
                          as: UTF8.self)
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("Showing nodes accounting for") }),
              let of = line.range(of: " of ", options: .backwards),
              let end = line.range(of: " total", options: .backwards)
        else { throw TestFileError("no total line in go tool pprof -top output:\n\(out)") }
        let text = line[of.upperBound..<end.lowerBound]
        let digits = text.prefix { $0 == "-" || $0.isNumber }
        guard let total = Int64(digits), text.dropFirst(digits.count).allSatisfy(\.isLetter) else {
            throw TestFileError("go tool pprof -top total is not an exact integer: \(line)")
        }
        return total
    }

    /// Merges `paths` with Go (`go tool pprof -proto`) into `output`.
    static func merge(_ go: String, _ paths: [String], into output: String) throws {
        _ = try run(go, ["-proto", "-symbolize=none", "-output", output] + paths)
    }
}
