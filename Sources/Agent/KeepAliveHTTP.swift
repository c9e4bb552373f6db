import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain-HTTP GET client on kept-alive connections, for the agent's pprof fetches.
///
/// An agent asks the same service for four or five profiles every 120–480 ms, for as long
/// as the service runs. Through Foundation's `URLSession` each request crossed libcurl,
/// libdispatch's threads and a response cache: about 1.8 ms of CPU per profile, most of
/// the agent's cost. Here a request is one write on a connection that stays open (Go's
/// `net/http` keeps connections alive by default) and the reply is read on a SwiftNIO
/// event loop, with no thread of its own. Connections are pooled, one per concurrent
/// request (the CPU loop holds one for a whole second while the snapshot loop fetches).
///
/// A GET is idempotent, so a request that finds its reused connection closed by the
/// server (an idle timeout) before any reply is sent again once on a fresh connection.
public actor KeepAliveHTTPClient {
    /// What a completed request returned.
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// Why a request failed, in words a log line can carry.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// The connection could not be made (refused, no route, name not resolved).
        case connect(String)
        /// No complete reply within the request's timeout.
        case timedOut(seconds: Double)
        /// The server closed the connection before the reply was complete.
        case closed
        /// The reply's body is larger than the client accepts.
        case tooLarge(limit: Int)
        /// The connection failed while the request was in flight.
        case io(String)

        public var description: String {
            switch self {
            case .connect(let why): return "cannot connect: \(why)"
            case .timedOut(let s): return "no reply within \(s) s"
            case .closed: return "the server closed the connection before the reply was complete"
            case .tooLarge(let limit): return "the reply is larger than \(limit) bytes"
            case .io(let why): return why
            }
        }
    }

    public nonisolated let host: String
    public nonisolated let port: Int
    /// The largest body accepted (a pprof profile is kilobytes to a few megabytes).
    public nonisolated let maxBodyBytes: Int
    let group: EventLoopGroup
    private var idle: [Channel] = []
    /// Connections opened over the client's life (a test reads it to see reuse).
    public private(set) var connectionsOpened = 0

    public init(host: String, port: Int, maxBodyBytes: Int = 64 << 20, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.group = group
    }

    /// GETs `path` (with its query), waiting at most `timeout` seconds for the whole reply.
    public func get(_ path: String, timeout: Double) async throws(Failure) -> Response {
        let (channel, reused) = try await checkOut(timeout: timeout)
        do {
            let response = try await send(path, on: channel, timeout: timeout)
            checkIn(channel, keepAlive: response.keepAlive)
            return Response(status: response.status, body: response.body)
        } catch .closed where reused {
            // The server had closed the idle connection: once more on a fresh one.
            let (fresh, _) = try await checkOut(timeout: timeout, reuse: false)
            let response = try await send(path, on: fresh, timeout: timeout)
            checkIn(fresh, keepAlive: response.keepAlive)
            return Response(status: response.status, body: response.body)
        }
    }

    /// Closes every idle connection (the pool stays usable).
    public func close() {
        for channel in idle { channel.close(promise: nil) }
        idle.removeAll()
    }

    private func checkOut(timeout: Double, reuse: Bool = true) async throws(Failure) -> (Channel, Bool) {
        while reuse, let channel = idle.popLast() {
            if channel.isActive { return (channel, true) }
        }
        let maxBody = maxBodyBytes
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(max(timeout, 0.001) * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(GetHandler(maxBodyBytes: maxBody))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            connectionsOpened += 1
            return (channel, false)
        } catch {
            throw .connect("\(error)")
        }
    }

    private func checkIn(_ channel: Channel, keepAlive: Bool) {
        if keepAlive && channel.isActive && idle.count < 4 { idle.append(channel) } else { channel.close(promise: nil) }
    }

    private func send(_ path: String, on channel: Channel, timeout: Double) async throws(Failure) -> GetHandler.Reply {
        let promise = channel.eventLoop.makePromise(of: GetHandler.Reply.self)
        let request = GetHandler.Request(path: path, host: port == 80 ? host : "\(host):\(port)", timeout: timeout, promise: promise)
        channel.writeAndFlush(request, promise: nil)
        do { return try await promise.futureResult.get() } catch let failure as Failure {
            throw failure
        } catch {
            throw .io("\(error)")
        }
    }
}

/// The per-connection handler: one GET at a time, its reply gathered whole, its timeout
/// kept on the connection's event loop. Every state change happens on that loop.
final class GetHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    struct Request: Sendable {
        var path: String
        var host: String
        var timeout: Double
        var promise: EventLoopPromise<Reply>
    }

    struct Reply: Sendable {
        var status: Int
        var keepAlive: Bool
        var body: [UInt8]
    }

    let maxBodyBytes: Int
    private var pending: EventLoopPromise<Reply>?
    private var timer: Scheduled<Void>?
    private var status = 0
    private var keepAlive = true
    private var body: [UInt8] = []

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil else {
            request.promise.fail(KeepAliveHTTPClient.Failure.io("a request is already in flight on this connection"))
            promise?.succeed()
            return
        }
        pending = request.promise
        status = 0
        keepAlive = true
        body = []
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: request.path)
        head.headers.add(name: "Host", value: request.host)
        head.headers.add(name: "User-Agent", value: "flamewire-agent")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = request.timeout
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            let (handler, context) = bound.value
            handler.finish(context, .failure(KeepAliveHTTPClient.Failure.timedOut(seconds: seconds)))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else { return }  // nothing asked: a stray byte after a reply
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length <= maxBodyBytes {
                body.reserveCapacity(length)
            }
        case .body(let chunk):
            guard body.count + chunk.readableBytes <= maxBodyBytes else {
                finish(context, .failure(KeepAliveHTTPClient.Failure.tooLarge(limit: maxBodyBytes)))
                return
            }
            body.append(contentsOf: chunk.readableBytesView)
        case .end:
            finish(context, .success(Reply(status: status, keepAlive: keepAlive, body: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(KeepAliveHTTPClient.Failure.closed))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(context, .failure(KeepAliveHTTPClient.Failure.io("\(error)")))
    }

    /// Completes the request in flight (once); a failed or non-keep-alive connection closes.
    private func finish(_ context: ChannelHandlerContext, _ result: Result<Reply, Error>) {
        guard let promise = pending else { return }
        pending = nil
        timer?.cancel()
        timer = nil
        body = []
        var closing = !keepAlive
        if case .failure = result { closing = true }
        promise.completeWith(result)
        if closing { context.close(promise: nil) }
    }
}
