import Agent
import Foundation
import TestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Noise
import Pprof
import SansIO
import Session
import Synchronization
import Testing

/// A Go service that sometimes serves a malformed heap profile: the agent reads Go profiles
/// straight from their bytes, so a bad sample is found only when the profile is ingested,
/// with the tables of the previous (good) profile reused. It must be reported with what and
/// where, counted, and backed off like a failed fetch (one line while the source keeps
/// failing), while the good profiles around it still become windows.
@Suite struct MalformedProfileTests {
    /// Serves `/debug/pprof/heap`: the good profile to request n (from 1) when `isGood(n)`,
    /// else the good profile with one sample naming location 9999 appended.
    final class PprofServer: Sendable {
        let channel: Channel
        let served = Counter()
        final class Counter: Sendable { let value = Mutex(0) }
        var port: Int { channel.localAddress!.port! }

        init(good: [UInt8], bad: [UInt8], isGood: @escaping @Sendable (Int) -> Bool) async throws {
            let served = self.served
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                        try ch.pipeline.syncOperations.addHandler(Responder { served.value.withLock { n in n += 1; return isGood(n) ? good : bad } })
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func close() async { try? await channel.close() }
    }

    final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let body: @Sendable () -> [UInt8]
        init(_ body: @escaping @Sendable () -> [UInt8]) { self.body = body }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let bytes = body()
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "\(bytes.count)"]))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    static let good: [UInt8] = (try? PprofSnapshot(Samples.bytes("heap-001.pb.gz")).raw) ?? []
    // Profile field 2 (sample): location_id 9999, values packed [1, 1, 1, 1].
    static let bad = good + [0x12, 9, 0x08, 0x8F, 0x4E, 0x12, 0x04, 0x01, 0x01, 0x01, 0x01]

    @Test func aMalformedSampleIsReportedAndSkipped() async throws {
        // Good, good, then bad and good in turn.
        let server = try await PprofServer(good: Self.good, bad: Self.bad) { $0 < 3 || $0 % 2 == 1 }
        let logs = LogLines()
        // Until two bad profiles were met, bounded at 300 s: a second or two on an idle
        // machine, longer while the parallel suite's CPU-bound tests hold every thread.
        let c = try await runWithoutCollector(try PprofHTTPSource(base: "http://127.0.0.1:\(server.port)/debug/pprof"), kinds: [.heap],
                                              service: "sometimes-bad", seed: 9, logs: logs, seconds: 300) { $0.failures >= 2 }
        await server.close()
        #expect(c.failures >= 2, "\(c)")
        // Every good profile became a window (sent or folded into a later one).
        #expect(c.windowsSent + c.windowsCoalesced >= c.fetches - c.failures - 1, "\(c)")
        #expect(c.windowsSent + c.windowsCoalesced >= 2, "\(c)")
        let bad = logs.lines.filter { $0.contains("location 9999") }
        #expect(bad.count >= 2, "\(logs.lines)")
        // The service answered well in between, each time: one line per bad profile.
        #expect(bad.count == c.failures, "\(logs.lines)")
        #expect(bad.allSatisfy { $0.hasPrefix("test: warning:") && $0.contains("/debug/pprof/heap") && $0.contains("retrying with backoff") }, "\(bad)")
    }

    /// A service that keeps serving malformed profiles is reported once, not per fetch.
    @Test func aSourceThatStaysMalformedIsReportedOnce() async throws {
        let server = try await PprofServer(good: Self.good, bad: Self.bad) { $0 == 1 }
        let logs = LogLines()
        let c = try await runWithoutCollector(try PprofHTTPSource(base: "http://127.0.0.1:\(server.port)/debug/pprof"), kinds: [.heap],
                                              service: "always-bad", seed: 10, logs: logs, seconds: 300) { $0.failures >= 3 }
        await server.close()
        #expect(c.failures >= 3, "\(c)")
        #expect(logs.lines.filter { $0.contains("location 9999") }.count == 1, "\(logs.lines)")
    }
}
