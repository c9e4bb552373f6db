import Foundation
import Testing
import TestSupport
@testable import WireCodec

/// The Swift decoder and the independent C decoder (written from SPEC.md alone) must agree
/// on corrupted windows too: both reject, or both accept with the same decoded state. A
/// disagreement is a bug in one of them or a gap in the spec.
@Suite struct DifferentialTests {
    @Test func swiftAndCDecodersAgreeOnMutatedWindows() throws {
        guard let decoder = try Self.buildCDecoder() else { return }
        let set = try VectorSet.build()
        let sequences: [[String]] = [["demo-1", "demo-2"], ["demo-1", "demo-2", "demo-3"], ["heap-1", "heap-2"], ["demo-1"]]
        var rng = SplitMix64(state: 20261125)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-diff-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var accepted = 0, rejected = 0
        for names in sequences {
            let windows = names.map { set.windows[$0]! }
            var files: [URL] = []
            for (i, w) in windows.dropLast().enumerated() {
                let f = dir.appendingPathComponent("\(names[i]).hex")
                try VectorSet.hexLines(w).write(to: f, atomically: true, encoding: .utf8)
                files.append(f)
            }
            for variant in 0..<250 {
                var last = windows.last!
                for _ in 0..<(variant % 4 == 3 ? 2 : 1) {
                    let at = Int(rng.next() % UInt64(last.count))
                    last[at] ^= UInt8(truncatingIfNeeded: rng.next() % 255 + 1)
                }
                let f = dir.appendingPathComponent("variant.hex")
                try VectorSet.hexLines(last).write(to: f, atomically: true, encoding: .utf8)
                let swift = Self.decodeSwift(Array(windows.dropLast()) + [last])
                let c = try Self.run(decoder, ["windows"] + (files + [f]).map(\.path))
                switch (swift, c) {
                case (nil, nil): rejected += 1
                case (let s?, let t?):
                    accepted += 1
                    #expect(s == t, "\(names.joined(separator: ",")) variant \(variant): the decoders decode to different states")
                default:
                    Issue.record("\(names.joined(separator: ",")) variant \(variant): Swift \(swift == nil ? "rejects" : "accepts"), C \(c == nil ? "rejects" : "accepts"): \(VectorSet.hex(last))")
                }
            }
        }
        // Both outcomes occur, so the comparison means something.
        #expect(accepted > 20 && rejected > 20, "accepted \(accepted), rejected \(rejected)")
    }

    /// The decoded state of the last window as the vectors print it, or nil when rejected.
    static func decodeSwift(_ windows: [[UInt8]]) -> String? {
        var rx = StreamDecoder()
        var last: DecodedWindow?
        for w in windows {
            guard let d = try? rx.decode(w) else { return nil }
            last = d
        }
        return last.map { VectorSet.render($0, rx.dictionary) }
    }

    /// Builds the C decoder into its own directory (check.sh may be building the shared one
    /// at the same time); nil when the tools are missing (see `CTools`).
    static func buildCDecoder() throws -> URL? {
        guard CTools.available() else { return nil }
        let out = VectorSet.root.appendingPathComponent("Tools/wire-c-decoder/.build-c-diff")
        let (status, log) = try runProcess(URL(fileURLWithPath: "/bin/sh"),
                                           [VectorSet.root.appendingPathComponent("Tools/wire-c-decoder/build.sh").path],
                                           environment: ProcessInfo.processInfo.environment.merging(["OUT": out.path]) { $1 })
        guard status == 0 else {
            Issue.record(Comment(rawValue: "building the C decoder failed: \(log.suffix(2000))"))
            return nil
        }
        return out.appendingPathComponent("wire-c-decoder")
    }

    /// Runs the C decoder; its standard output, or nil when it exits with status 1 (rejected).
    static func run(_ tool: URL, _ arguments: [String]) throws -> String? {
        let (status, output) = try runProcess(tool, arguments, errors: false)
        if status == 1 { return nil }
        #expect(status == 0, "the C decoder exited with \(status) (crash?) on \(arguments)")
        return output
    }
}
