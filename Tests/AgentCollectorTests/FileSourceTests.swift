import Agent
import Collector
import Foundation
import Noise
import Profile
import SansIO
import Session
import Store
import TestSupport
import Testing
import UDPRuntime
import WireCodec

/// `--watch DIR` and `--folded -` over real UDP into a collector: what arrives in the store
/// is what the files and lines held.
@Suite(.serialized) struct FileSourceTests {
    struct Pair {
        let collector: CollectorRuntime
        let drain: Task<Void, Never>
        let agentKey: PrivateKey
        let collectorKey: PrivateKey
        let port: Int
    }

    static func collector(seed: UInt64, logs: LogLines) async throws -> Pair {
        var rng = SessionRandom(.seeded(seed))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey,
                                                                          allowed: [agentKey.publicKey], logger: logs.logger))
        let drain = Task { await collector.run() }
        return Pair(collector: collector, drain: drain, agentKey: agentKey, collectorKey: collectorKey, port: collector.endpoint.localAddress?.port ?? 0)
    }

    /// A new empty directory under the temporary directory (the test removes it).
    static func freshDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func totals(_ p: Profile) -> [Int64] {
        (0..<p.sampleTypes.count).map { c in p.samples.reduce(0) { $0 + $1.values[c] } }
    }

    /// Waits (bounded) until the collector's stream of `type` has these totals.
    static func waitFor(_ c: CollectorRuntime, type: String, totals want: [Int64], seconds: Int = 30) async throws -> [Int64] {
        var got: [Int64] = []
        for _ in 0..<(seconds * 10) {
            if let s = try await c.streams(where: { $0.profileType == type }, aggregation: .last).first {
                got = totals(s.profile)
                if got == want { return got }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return got
    }

    @Test func aWatchedDirectorySendsEachNewFileAsAWindow() async throws {
        let logs = LogLines()
        let pair = try await Self.collector(seed: 61, logs: logs)
        defer { pair.drain.cancel() }
        let dir = try Self.freshDirectory("flamewire-watch")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in Array(Samples.mutex.prefix(3)) + Array(Samples.heap.prefix(2)) {
            try Data(try Samples.bytes(name)).write(to: dir.appendingPathComponent(name))
        }
        try Data("not a profile\u{0}\u{1}".utf8).write(to: dir.appendingPathComponent("broken.pb.gz"))
        var options = AgentOptions(source: nil, kinds: [], service: "files", collector: "127.0.0.1:\(pair.port)", bind: "127.0.0.1:0",
                                   staticKey: pair.agentKey, collectorKey: pair.collectorKey.publicKey, dscp: nil, logger: logs.logger)
        options.watch = try DirectoryWatch(directory: dir.path)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        defer { loop.cancel() }

        let mutex3 = Self.totals(try Samples.profile(Samples.mutex[2]))
        #expect(try await Self.waitFor(pair.collector, type: "mutex", totals: mutex3) == mutex3, "the newest mutex file's totals: \(logs.lines)")
        let heap2 = Self.totals(try Samples.profile(Samples.heap[1]))
        #expect(try await Self.waitFor(pair.collector, type: "heap", totals: heap2) == heap2, "the newest heap file's totals")
        #expect(logs.lines.contains { $0.contains("broken.pb.gz") && $0.contains("skipped") }, "a bad file is reported: \(logs.lines)")

        // A file written elsewhere and renamed in, as tools should, is the next window.
        let tmp = dir.appendingPathComponent("next.tmp")
        try Data(try Samples.bytes(Samples.mutex[3])).write(to: tmp)
        try FileManager.default.moveItem(at: tmp, to: dir.appendingPathComponent(Samples.mutex[3]))
        let mutex4 = Self.totals(try Samples.profile(Samples.mutex[3]))
        #expect(try await Self.waitFor(pair.collector, type: "mutex", totals: mutex4) == mutex4)
        #expect(agent.sourceCounters.failures == 1 && agent.sourceCounters.fetches == 7, "\(agent.sourceCounters)")
        loop.cancel()
        await agent.close()
        await pair.collector.close()
    }

    /// The profiled service restarted: its counters start again from near zero. The agent
    /// starts a new epoch (a keyframe, no negative increments) and the store a new lineage,
    /// so the total over the whole range is what both runs counted.
    @Test func aServiceRestartContinuesTheTotals() async throws {
        let logs = LogLines()
        let pair = try await Self.collector(seed: 63, logs: logs)
        defer { pair.drain.cancel() }
        let dir = try Self.freshDirectory("flamewire-restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        func put(_ name: String, as target: String) throws {
            let tmp = dir.appendingPathComponent(target + ".tmp")
            try Data(try Samples.bytes(name)).write(to: tmp)
            try FileManager.default.moveItem(at: tmp, to: dir.appendingPathComponent(target))
        }
        let late = Self.totals(try Samples.profile(Samples.mutex[4])), early = Self.totals(try Samples.profile(Samples.mutex[0]))
        let again = Self.totals(try Samples.profile(Samples.mutex[2]))
        #expect(early[0] < late[0] && early[0] < again[0], "the samples grow: \(early) \(again) \(late)")
        try put(Samples.mutex[4], as: "a-before.pb.gz")
        var options = AgentOptions(source: nil, kinds: [], service: "restarting", collector: "127.0.0.1:\(pair.port)", bind: "127.0.0.1:0",
                                   staticKey: pair.agentKey, collectorKey: pair.collectorKey.publicKey, dscp: nil, logger: logs.logger)
        options.watch = try DirectoryWatch(directory: dir.path)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        defer { loop.cancel() }
        #expect(try await Self.waitFor(pair.collector, type: "mutex", totals: late) == late, "\(logs.lines)")
        // The restart, then the new run counting on.
        try put(Samples.mutex[0], as: "b-restarted.pb.gz")
        let both1 = zip(late, early).map { $0 + $1 }
        #expect(try await Self.waitFor(pair.collector, type: "mutex", totals: both1) == both1, "\(logs.lines)")
        try put(Samples.mutex[2], as: "c-later.pb.gz")
        let both2 = zip(late, again).map { $0 + $1 }
        #expect(try await Self.waitFor(pair.collector, type: "mutex", totals: both2) == both2, "\(logs.lines)")
        #expect(logs.lines.contains { $0.contains("mutex: counters went down") && $0.contains("new epoch") }, "the agent says so: \(logs.lines)")
        #expect(logs.lines.contains { $0.contains("new lineage") }, "the collector says so: \(logs.lines)")
        loop.cancel()
        await agent.close()
        await pair.collector.close()
    }

    @Test func foldedLinesAreCutIntoWindowsAndAllCount() async throws {
        let logs = LogLines()
        let pair = try await Self.collector(seed: 62, logs: logs)
        defer { pair.drain.cancel() }
        let pipe = Pipe()
        var options = AgentOptions(source: nil, kinds: [], service: "native", collector: "127.0.0.1:\(pair.port)", bind: "127.0.0.1:0",
                                   staticKey: pair.agentKey, collectorKey: pair.collectorKey.publicKey, dscp: nil, logger: logs.logger)
        options.folded = FoldedLineReader(pipe.fileHandleForReading)
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        pipe.fileHandleForWriting.write(Data("main;parse;lex 3\nmain;render 4\n".utf8))
        #expect(try await Self.waitFor(pair.collector, type: "cpu", totals: [7]) == [7], "\(logs.lines)")
        // A line split across writes counts once, in the window its end arrived in; a bad
        // line is reported and the rest goes on.
        pipe.fileHandleForWriting.write(Data("main;render 5\nmain;pa".utf8))
        try await Task.sleep(for: .milliseconds(300))
        pipe.fileHandleForWriting.write(Data("rse;lex 2\n".utf8))
        try await Task.sleep(for: .milliseconds(300))
        pipe.fileHandleForWriting.write(Data("this line has no count\n".utf8))
        try await Task.sleep(for: .milliseconds(300))
        pipe.fileHandleForWriting.write(Data("main;gc 1".utf8))
        try pipe.fileHandleForWriting.close()
        #expect(try await Self.waitFor(pair.collector, type: "cpu", totals: [15]) == [15], "\(logs.lines)")
        let stream = try #require(try await pair.collector.streams(where: { $0.profileType == "cpu" }).first)
        #expect(stream.profile.functions.contains { $0.name == "lex" } && stream.info.service == "native")
        #expect(logs.lines.contains { $0.contains("folded input") && $0.contains("skipped") }, "\(logs.lines)")
        // The folded source ends with its input.
        for _ in 0..<50 where !logs.lines.contains(where: { $0.contains("folded input ended") }) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logs.lines.contains { $0.contains("folded input ended") })
        loop.cancel()
        await agent.close()
        await pair.collector.close()
    }
}
