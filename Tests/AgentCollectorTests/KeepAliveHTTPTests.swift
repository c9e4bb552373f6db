import Agent
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// The agent's pprof client against a real HTTP/1.1 server on loopback (SwiftNIO's server
/// pipeline, in this process), whose answers each test chooses by path: reuse of one
/// connection, chunked and sized bodies, `Connection: close`, a server that drops idle
/// connections, error statuses, a reply that never comes and one that is too large.
@Suite struct KeepAliveHTTPTests {
    /// A loopback server counting the connections it accepted.
    final class Server: Sendable {
        let channel: Channel
        let accepted = Counter()
        var port: Int { channel.localAddress!.port! }

        init() async throws {
            let accepted = self.accepted
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { ch in
                    accepted.value.withLock { $0 += 1 }
                    return ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                        try ch.pipeline.syncOperations.addHandler(Responder())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var connections: Int { accepted.value.withLock { $0 } }
        func close() async { try? await channel.close() }

        final class Counter: Sendable { let value = Mutex(0) }
    }

    /// Answers by path: `/bytes/N` N bytes with a length, `/chunked/N` N bytes in chunks,
    /// `/close/N` N bytes then closes, `/drop/N` N bytes then closes soon after (an idle
    /// timeout), `/status/N` status N with a text line, `/never` nothing.
    final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        var uri = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): uri = head.uri
            case .body: break
            case .end: respond(context)
            }
        }

        func respond(_ context: ChannelHandlerContext) {
            let parts = uri.split(separator: "/").map(String.init)
            guard parts.count == 2, let n = Int(parts[1]) else { return }  // /never
            let body = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            switch parts[0] {
            case "bytes", "drop": head.headers.add(name: "Content-Length", value: "\(n)")
            case "chunked": head.headers.add(name: "Transfer-Encoding", value: "chunked")
            case "close":
                head.headers.add(name: "Content-Length", value: "\(n)")
                head.headers.add(name: "Connection", value: "close")
            case "status":
                let text = Array("no such profile: \(n)\nsecond line".utf8)
                head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: n), headers: ["Content-Length": "\(text.count)"])
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            default: return
            }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            var at = 0
            while at < body.count {  // several writes, so a chunked reply has several chunks
                let end = min(body.count, at + 1000)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[at..<end])))), promise: nil)
                at = end
            }
            let closing = parts[0] == "close", dropping = parts[0] == "drop"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if closing { channel.close(promise: nil) }
                if dropping { channel.eventLoop.scheduleTask(in: .milliseconds(20)) { channel.close(promise: nil) } }
            }
        }
    }

    static func expected(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test func oneConnectionCarriesEveryRequest() async throws {
        let server = try await Server()
        let client = KeepAliveHTTPClient(host: "127.0.0.1", port: server.port)
        for n in [0, 1, 4_000, 70_000, 123] {
            let r = try await client.get("/bytes/\(n)", timeout: 5)
            #expect(r.status == 200)
            #expect(r.body == Self.expected(n), "body of \(n) bytes")
        }
        let chunked = try await client.get("/chunked/25000", timeout: 5)
        #expect(chunked.body == Self.expected(25_000))
        #expect(await client.connectionsOpened == 1)
        #expect(server.connections == 1, "the server saw one connection for six requests")
        await client.close()
        await server.close()
    }

    @Test func concurrentRequestsTakeAConnectionEach() async throws {
        let server = try await Server()
        let client = KeepAliveHTTPClient(host: "127.0.0.1", port: server.port)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<3 { group.addTask { try await client.get("/bytes/50000", timeout: 5).body } }
            for try await body in group { #expect(body == Self.expected(50_000)) }
        }
        let opened = await client.connectionsOpened
        #expect((1...3).contains(opened))
        // Afterwards they are idle and reused, not opened again.
        for _ in 0..<5 { _ = try await client.get("/bytes/10", timeout: 5) }
        #expect(await client.connectionsOpened == opened)
        await client.close()
        await server.close()
    }

    @Test func aClosedConnectionIsReplaced() async throws {
        let server = try await Server()
        let client = KeepAliveHTTPClient(host: "127.0.0.1", port: server.port)
        #expect(try await client.get("/close/300", timeout: 5).body == Self.expected(300))
        #expect(try await client.get("/bytes/300", timeout: 5).body == Self.expected(300))
        #expect(await client.connectionsOpened == 2, "Connection: close is honoured")
        // The server drops the connection 20 ms after its reply (an idle timeout).
        #expect(try await client.get("/drop/300", timeout: 5).body == Self.expected(300))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await client.get("/bytes/300", timeout: 5).body == Self.expected(300))
        #expect(await client.connectionsOpened == 3)
        #expect(server.connections == 3)
        await client.close()
        await server.close()
    }

    @Test func failuresSayWhat() async throws {
        let server = try await Server()
        let client = KeepAliveHTTPClient(host: "127.0.0.1", port: server.port, maxBodyBytes: 10_000)
        let r = try await client.get("/status/404", timeout: 5)
        #expect(r.status == 404)
        #expect(String(decoding: r.body, as: UTF8.self).hasPrefix("no such profile: 404"))
        await #expect(throws: KeepAliveHTTPClient.Failure.timedOut(seconds: 0.2)) { _ = try await client.get("/never", timeout: 0.2) }
        await #expect(throws: KeepAliveHTTPClient.Failure.tooLarge(limit: 10_000)) { _ = try await client.get("/bytes/10001", timeout: 5) }
        await #expect(throws: KeepAliveHTTPClient.Failure.tooLarge(limit: 10_000)) { _ = try await client.get("/chunked/20000", timeout: 5) }
        // After each failure the client goes on, on a fresh connection.
        #expect(try await client.get("/bytes/10000", timeout: 5).body == Self.expected(10_000))
        await client.close()
        await server.close()
        // Nothing listens on the port any more: refused, said as such.
        do {
            _ = try await client.get("/bytes/1", timeout: 2)
            Issue.record("a closed port answered")
        } catch {
            guard case .connect = error else { Issue.record("expected a connect failure, got \(error)"); return }
        }
    }

    @Test func theSourceNamesTheURLInItsErrors() async throws {
        let server = try await Server()
        let source = try PprofHTTPSource(base: "http://127.0.0.1:\(server.port)/status/")
        // "/status/" + "heap": not a number, so the server never answers: a timeout, named.
        var quick = source
        quick.timeout = 0.2
        do {
            _ = try await quick.fetch(.heap)
            Issue.record("no reply was expected")
        } catch {
            #expect("\(error)".contains("http://127.0.0.1:\(server.port)/status/heap"), "\(error)")
            #expect("\(error)".contains("no reply within 0.2 s"), "\(error)")
        }
        await source.close()
        await server.close()
        #expect(throws: AgentError.self) { try PprofHTTPSource(base: "http://127.0.0.1:6060/debug/pprof?debug=1") }
        #expect(throws: AgentError.self) { try PprofHTTPSource(base: "ftp://127.0.0.1/debug/pprof") }
        #expect(try PprofHTTPSource(base: "http://[::1]:6060/debug/pprof/").url(.heap) == "http://[::1]:6060/debug/pprof/heap")
    }
}
