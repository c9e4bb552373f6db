import NetSim
import NIOCore
import NIOPosix
import Relay
import SansIO
import Testing
import UDPRuntime

/// The relay on real loopback sockets: an echo server behind it, clients in front.
@Suite(.serialized) struct RelayTests {
    /// A UDP echo server on loopback that also records the source ports it saw.
    final class Echo: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        var sources = Set<Int>()
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let e = unwrapInboundIn(data)
            sources.insert(e.remoteAddress.port ?? 0)
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: e.remoteAddress, data: e.data)), promise: nil)
        }
    }

    /// Collects what a client socket receives, with arrival times.
    final class Collect: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        var received: [(bytes: [UInt8], at: NIODeadline)] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append((Array(unwrapInboundIn(data).data.readableBytesView), .now()))
        }
    }

    static func bind(_ handler: some ChannelHandler & Sendable) async throws -> Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    static func send(_ ch: Channel, _ bytes: [UInt8], to port: Int) async throws {
        var b = ch.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        try await ch.writeAndFlush(AddressedEnvelope(remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: port), data: b)).get()
    }

    /// Waits (bounded) until `done` holds, checking every 20 ms.
    static func wait(seconds: Double, _ done: () async throws -> Bool) async throws {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func delaysBothWaysAndCountsWhatItDrops() async throws {
        let echo = Echo()
        let server = try await Self.bind(echo)
        let serverPort = try #require(server.localAddress?.port)
        var link = LinkConfig()
        link.delay = .milliseconds(60)
        link.lossProbability = 0.25
        let relay = try await Relay.start(RelayConfig(listen: "127.0.0.1:0", forward: "127.0.0.1:\(serverPort)", upstream: link, downstream: link, seed: 5))
        let relayPort = try #require(relay.localAddress?.port)
        let collect = Collect()
        let client = try await Self.bind(collect)
        let start = NIODeadline.now()
        for i in 0..<200 { try await Self.send(client, [UInt8(i & 0xFF), 1, 2, 3], to: relayPort) }
        // Everything resolves within a few delays: 200 sent, each dropped or delivered each way.
        try await Self.wait(seconds: 5) {
            let c = try await relay.counters()
            return c.upstream.inFlight == 0 && c.downstream.inFlight == 0 && c.upstream.sentDatagrams == 200
                && c.downstream.sentDatagrams == c.upstream.deliveredDatagrams
        }
        // The relay's last deliveries reach the client's loop soon after: on a loaded machine
        // (CI runs suites at once) that is not within a fixed 50 ms, so wait for them, bounded.
        let c = try await relay.counters()
        try await Self.wait(seconds: 10) { try await client.eventLoop.submit { collect.received.count }.get() >= c.downstream.deliveredDatagrams }
        let got = try await client.eventLoop.submit { collect.received }.get()
        #expect(c.upstream.sentDatagrams == 200)
        #expect(c.upstream.droppedRandomLoss > 20 && c.upstream.droppedRandomLoss < 80, "25 % of 200: \(c.upstream)")
        #expect(c.upstream.deliveredDatagrams + c.upstream.droppedRandomLoss == 200)
        #expect(c.downstream.sentDatagrams == c.upstream.deliveredDatagrams, "the echo answered everything that reached it")
        #expect(got.count == c.downstream.deliveredDatagrams, "the client got what the relay delivered back")
        // Each answer crossed the 60 ms delay twice.
        let earliest = got.map { $0.at.uptimeNanoseconds - start.uptimeNanoseconds }.min() ?? 0
        #expect(earliest >= 120_000_000, "first echo after \(earliest / 1_000_000) ms")
        #expect(c.clients == 1)
        await relay.close()
        try await client.close()
        try await server.close()
    }

    @Test func eachClientGetsItsOwnUpstreamSocket() async throws {
        let echo = Echo()
        let server = try await Self.bind(echo)
        let serverPort = try #require(server.localAddress?.port)
        let relay = try await Relay.start(RelayConfig(listen: "127.0.0.1:0", forward: "127.0.0.1:\(serverPort)", seed: 1))
        let relayPort = try #require(relay.localAddress?.port)
        let a = Collect(), b = Collect()
        let ca = try await Self.bind(a), cb = try await Self.bind(b)
        try await Self.send(ca, Array("from a".utf8), to: relayPort)
        try await Self.send(cb, Array("from b".utf8), to: relayPort)
        try await Self.wait(seconds: 5) {
            let na = try await ca.eventLoop.submit { a.received.count }.get()
            let nb = try await cb.eventLoop.submit { b.received.count }.get()
            return na == 1 && nb == 1
        }
        #expect(try await ca.eventLoop.submit { a.received.map(\.bytes) }.get() == [Array("from a".utf8)])
        #expect(try await cb.eventLoop.submit { b.received.map(\.bytes) }.get() == [Array("from b".utf8)])
        let sources = try await server.eventLoop.submit { echo.sources }.get()
        #expect(sources.count == 2, "two clients, two upstream ports: \(sources)")
        #expect(try await relay.counters().clients == 2)
        await relay.close()
        for ch in [ca, cb, server] { try await ch.close() }
    }

    @Test func badAddressesAreRefusedWithAReadableError() async throws {
        await #expect(throws: RuntimeError.self) { try await Relay.start(RelayConfig(listen: "localhost:1", forward: "127.0.0.1:2")) }
        #expect(throws: RuntimeError.self) { try PeerAddresses.socketAddress("127.0.0.1") }
        #expect(throws: RuntimeError.self) { try PeerAddresses.socketAddress("127.0.0.1:99999") }
        #expect(try PeerAddresses.socketAddress("[::1]:5").port == 5)
        #expect(PeerAddresses.peer(try SocketAddress(ipAddress: "::1", port: 7)).value == "[::1]:7")
        #expect(try DSCP(parsing: "af41").value == 34 && DSCP(parsing: "ef").value == 46 && DSCP(parsing: "cs1").value == 8)
        #expect(throws: RuntimeError.self) { try DSCP(parsing: "af51") }
        #expect(throws: RuntimeError.self) { try DSCP(parsing: "64") }
    }
}
