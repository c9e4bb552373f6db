import Foundation
import TestSupport
import Testing

/// Runs the real `flamewire` binary built beside the test bundle.
struct CLI {
    static let binary: URL = FlameWireBinary.url

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    static func run(_ args: [String], stdin: Data? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw CLIMissing(path: binary.path)
        }
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        // Output goes to files, so a large output can never block the child on a full pipe.
        let outPath = try scratch("stdout-\(UInt64.random(in: 0...UInt64.max))")
        let errPath = try scratch("stderr-\(UInt64.random(in: 0...UInt64.max))")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let e = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return Result(status: p.terminationStatus, stdout: o, stderr: String(decoding: e, as: UTF8.self))
    }

    struct CLIMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "flamewire binary not found at \(path): run 'swift build --build-tests' first or set FLAMEWIRE_BIN" }
    }
}

func scratch(_ name: String, _ contents: Data? = nil) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-cli-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    if let contents { try contents.write(to: url) }
    return url.path
}

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let sampleCPU = repoRoot.appendingPathComponent("Samples/profiles/cpu-10s.pb.gz").path
let sampleHeap = repoRoot.appendingPathComponent("Samples/profiles/heap.pb.gz").path

/// A CLI failure is exactly one line on stderr, starting with "flamewire: error:", and a non-zero status.
func expectOneLineError(_ r: CLI.Result, contains fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1, "stderr was: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("flamewire: error: "), "stderr was: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(fragment), "stderr was: \(r.stderr)", sourceLocation: sourceLocation)
}

@Suite(.serialized) struct CLITests {
    @Test func rendersRealProfileToSVG() throws {
        let out = try scratch("cpu.svg")
        let r = try CLI.run(["render", sampleCPU, "-o", out, "--title", "CPU <test> & more"])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.contains("<svg"))
        #expect(svg.contains("CPU &lt;test&gt; &amp; more"))
        #expect(svg.contains("runtime.mcall") || svg.contains("runtime."))
    }

    @Test func foldedFromStdinToFoldedOut() throws {
        let r = try CLI.run(["render", "-", "--format", "folded"], stdin: Data("b;c 2\na;b 1\r\nb;c 3\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out == "a;b 1\nb;c 5\n")
    }

    @Test func mergeSumsAndInspectReports() throws {
        let out = try scratch("merged.pb.gz")
        let m = try CLI.run(["merge", sampleHeap, sampleHeap, "-o", out])
        #expect(m.status == 0, "\(m.stderr)")
        let one = try CLI.run(["render", sampleHeap, "--format", "folded", "--sample-index", "alloc_space"])
        let two = try CLI.run(["render", out, "--format", "folded", "--sample-index", "alloc_space"])
        func total(_ s: String) -> Int64 { s.split(separator: "\n").reduce(0) { $0 + Int64($1.split(separator: " ").last!)! } }
        #expect(total(two.out) == 2 * total(one.out))
        #expect(total(one.out) > 0)
        let i = try CLI.run(["inspect", sampleHeap, "--top", "3"])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.out.contains("alloc_space [bytes]"))
        #expect(i.out.contains("top 3 by flat"))
    }

    @Test func errorsAreOneReadableLine() throws {
        expectOneLineError(try CLI.run(["render", "/nonexistent/cpu.pb.gz"]), contains: "/nonexistent/cpu.pb.gz: cannot open")
        expectOneLineError(try CLI.run(["render"]), contains: "Missing expected argument")
        expectOneLineError(try CLI.run(["render", sampleCPU, "--width", "5"]), contains: "--width must be between")
        expectOneLineError(try CLI.run(["render", sampleCPU, "--sample-index", "alloc_space"]), contains: "no sample type named 'alloc_space'")
        expectOneLineError(try CLI.run(["frobnicate"]), contains: "frobnicate")
        let bad = try scratch("bad.folded", Data("a;b 1\nc;d\n".utf8))
        expectOneLineError(try CLI.run(["render", bad, "-o", try scratch("bad.svg")]), contains: "bad.folded: line 2: no count")
        let gz = try Data(contentsOf: URL(fileURLWithPath: sampleHeap))
        let trunc = try scratch("trunc.pb.gz", gz.prefix(gz.count / 2))
        expectOneLineError(try CLI.run(["render", trunc]), contains: "trunc.pb.gz: gzip data is truncated")
        let junk = try scratch("junk.pb", Data([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]))
        expectOneLineError(try CLI.run(["render", junk]), contains: "junk.pb: not a valid pprof profile")
        expectOneLineError(try CLI.run(["merge", sampleCPU, sampleHeap, "-o", try scratch("m.pb.gz")]), contains: "cannot merge")
        expectOneLineError(try CLI.run(["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9", "--loss", "200%"]),
                           contains: "'200%' is not a probability")
        expectOneLineError(try CLI.run(["relay", "--listen", "localhost:7001", "--forward", "127.0.0.1:9"]),
                           contains: "'localhost' is not a numeric IPv4 or IPv6 address")
    }

    @Test func agentAndCollectorRefuseBadOptionsInOneLine() throws {
        let dir = try scratch("keys-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let key = dir + "/a.key"
        let made = try CLI.run(["keygen", key])
        #expect(made.status == 0, "\(made.stderr)")
        let pub = made.out.trimmingCharacters(in: .whitespacesAndNewlines)
        expectOneLineError(try CLI.run(["agent", "--pprof", "127.0.0.1:6060", "--collector", "127.0.0.1:7000", "--key", key, "--collector-key", pub]),
                           contains: "is not an http:// URL")
        expectOneLineError(try CLI.run(["agent", "--pprof", "http://127.0.0.1:6060/debug/pprof", "--collector", "127.0.0.1:7000", "--key", key,
                                        "--collector-key", pub, "--types", "cpu,disk"]), contains: "'disk' is not one of")
        expectOneLineError(try CLI.run(["agent", "--pprof", "http://127.0.0.1:6060/debug/pprof", "--collector", "127.0.0.1:7000", "--key", key,
                                        "--collector-key", "nope"]), contains: "key")
        expectOneLineError(try CLI.run(["collect", "--key", key]), contains: "--allow: give at least one agent public key")
        expectOneLineError(try CLI.run(["agent", "--collector", "127.0.0.1:7000", "--key", key, "--collector-key", pub]), contains: "give a source")
        expectOneLineError(try CLI.run(["agent", "--perf", "2000000000", "--collector", "127.0.0.1:7000", "--key", key, "--collector-key", pub]),
                           contains: "--perf")
        expectOneLineError(try CLI.run(["agent", "--watch", dir + "/nope", "--collector", "127.0.0.1:7000", "--key", key, "--collector-key", pub]),
                           contains: "is not a directory")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--data", dir + "/no/such/dir/x.db"]), contains: "cannot open the store")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--retention", "soon"]), contains: "soon")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--shards", "0"]), contains: "--shards 0: give 1 to 64")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--window-log", dir + "/no/such/dir/w.jsonl"]),
                           contains: "--window-log: cannot open")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--http", "0.0.0.0:7080"]), contains: "is not loopback")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--http", "127.0.0.1:0", "--http-token-file", dir + "/none"]),
                           contains: "--http-token-file")
        expectOneLineError(try CLI.run(["collect", "--key", key, "--allow", pub, "--log-level", "loud"]), contains: "--log-level loud: give trace, debug")
        expectOneLineError(try CLI.run(["agent", "--watch", dir, "--collector", "127.0.0.1:7000", "--key", key, "--collector-key", pub,
                                        "--log-level", "verbose"]), contains: "--log-level verbose")
    }

    /// `flamewire relay` binds loopback, runs for its --duration and reports both directions.
    @Test func relayRunsForItsDurationAndReports() throws {
        let r = try CLI.run(["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9", "--loss", "12%", "--duration", "300ms"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("upstream (client -> forward): 0 datagrams in") && r.out.contains("clients: 0"), "\(r.out)")
    }

    @Test func emptyInputSaysSoAndWritesNothing() throws {
        let empty = try scratch("blank.folded", Data("\n\n".utf8))
        let out = try scratch("never.svg")
        try? FileManager.default.removeItem(atPath: out)
        expectOneLineError(try CLI.run(["render", empty, "-o", out]), contains: "nothing to draw")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func helpHasExamples() throws {
        let r = try CLI.run(["render", "--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("Examples:"))
        #expect(r.out.contains("--sample-index"))
    }
}

@Suite struct WireSizeCLITests {
    @Test func jsonHasWindowsAndTotals() throws {
        let heap = repoRoot.appendingPathComponent("Tests/PprofTests/Fixtures/heap-001.pb.gz").path
        let r = try CLI.run(["wire-size", heap, sampleHeap, "--json", "--loss", "0.12"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let windows = try #require(json["windows"] as? [[String: Any]])
        #expect(windows.count == 2)
        #expect(windows[0]["keyframe"] as? Bool == true)
        #expect(windows[1]["keyframe"] as? Bool == false)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect((totals["wire_bytes_fec"] as? Int ?? 0) > (totals["wire_bytes"] as? Int ?? 0))
        let text = try CLI.run(["wire-size", heap, sampleHeap])
        #expect(text.out.contains("steady state"))
        expectOneLineError(try CLI.run(["wire-size", heap, sampleCPU]), contains: "cannot merge")
        expectOneLineError(try CLI.run(["wire-size", heap, "--max-datagram", "100"]), contains: "--max-datagram")
    }
}
