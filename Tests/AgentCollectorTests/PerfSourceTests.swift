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
import WireCodec

/// `--perf PID`: perf script output folded into stacks, and the sample Go service's CPU
/// taken by perf, gap-free, into the collector.
@Suite(.serialized) struct PerfSourceTests {
    @Test func perfScriptSamplesFoldRootFirst() {
        var p = PerfScriptParser()
        // Real `perf script` output (a CPython process), cut across feeds mid-line.
        let text = """
            python3  7075  2337.373669:   10101010 cpu-clock:ppp:\u{20}
            \t          1aee70 _PyObject_Free+0x90 (/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0)
            \t    7fe26ebba940 [unknown] ([unknown])
            \t    7fe26f256240 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)

            python3  7075  2337.395749:   10101010 cpu-clock:ppp:\u{20}
            \t          18a7f0 PyLong_FromLong+0x110 (/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0)

            python3  7075  2337.414806:   10101010 cpu-clock:ppp:\u{20}
            \t          1aee6b _PyObject_Free+0x8b (/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0)
            \t    7fe26ebba940 [unknown] ([unknown])
            \t    7fe26f256240 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)

            go  1 1.0: 1 cpu-clock:
            \t  4a1b2c main.(*server).handle;odd+0x2c (/srv/app)
            """
        let bytes = Array(text.utf8)
        p.feed(Array(bytes[..<100]))
        p.feed(Array(bytes[100...]))
        p.finish()
        #expect(p.samples == 4)
        let folded = String(decoding: p.takeFolded(), as: UTF8.self)
        #expect(folded == """
            PyLong_FromLong 1
            [libc.so.6];[unknown];_PyObject_Free 2
            main.(*server).handle:odd 1

            """, "\(folded)")
        #expect(p.takeFolded().isEmpty, "what was taken is gone")
    }

    @Test func aMissingProcessIsAClearError() {
        do {
            _ = try PerfSource(pid: 2_000_000_000)
            Issue.record("perf on a missing process should fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("--perf"), "\(text)")
        }
    }

    @Test func perfTakesTheGoServiceCPUIntoTheCollector() async throws {
        guard let service = try await offPool({ try AgentCollectorTests.GoService() }) else { return }
        defer { service.stop() }
        let perf: PerfSource
        let pid = service.process.processIdentifier
        do { perf = try await offPool { try PerfSource(pid: pid) } } catch {
            // Only where perf cannot run here (not installed, events not permitted).
            print("skipped: \(error)")
            return
        }
        var rng = SessionRandom(.seeded(63))
        let agentKey = PrivateKey(using: &rng), collectorKey = PrivateKey(using: &rng)
        let logs = LogLines()
        let collector = try await CollectorRuntime.start(CollectorOptions(listen: "127.0.0.1:0", staticKey: collectorKey,
                                                                          allowed: [agentKey.publicKey], logger: logs.logger))
        let drain = Task { await collector.run() }
        defer { drain.cancel() }
        let port = try #require(collector.endpoint.localAddress?.port)
        var options = AgentOptions(source: nil, kinds: [], service: "sample", collector: "127.0.0.1:\(port)", bind: "127.0.0.1:0",
                                   staticKey: agentKey, collectorKey: collectorKey.publicKey, dscp: nil, logger: logs.logger)
        options.perf = perf
        let agent = try await AgentRuntime.start(options)
        let loop = Task { await agent.run() }
        var stream: CollectedStream?
        for _ in 0..<300 {
            try await Task.sleep(for: .milliseconds(100))
            stream = try await collector.streams(where: { $0.profileType == "cpu" }).first
            if let s = stream, s.windows >= 8, s.profile.functions.contains(where: { $0.name.hasPrefix("main.") }) { break }
        }
        loop.cancel()
        _ = await loop.value
        let s = try #require(stream, "a CPU stream from perf: \(logs.lines)")
        #expect(s.windows >= 8, "windows at the adaptive interval: \(s.windows)")
        #expect(s.profile.functions.contains { $0.name.hasPrefix("main.") }, "the service's own functions: \(s.profile.functions.prefix(20).map(\.name))")
        #expect(s.profile.samples.reduce(0) { $0 + $1.values[0] } > 0)
        await agent.close()
        await collector.close()
    }
}
