import NetSim
import NIOCore
import NIOPosix
import SansIO
import UDPRuntime

/// What a relay does to the datagrams it forwards.
public struct RelayConfig: Sendable {
    /// Where clients send (`ip:port`; port 0 picks one).
    public var listen: String
    /// Where the relay forwards them (`ip:port`).
    public var forward: String
    /// Client → forward address.
    public var upstream: LinkConfig
    /// Forward address → client.
    public var downstream: LinkConfig
    /// Seeds both directions' random decisions (the same seed and the same arrivals give
    /// the same fates).
    public var seed: UInt64
    /// Most clients (source addresses) relayed at once; each gets its own upstream socket,
    /// as a NAT would, so the far end can tell them apart. Beyond this, new clients are
    /// refused until one has been idle for `clientIdle`.
    public var maxClients: Int
    public var clientIdle: Duration

    public init(listen: String, forward: String, upstream: LinkConfig = .perfect, downstream: LinkConfig = .perfect, seed: UInt64 = 1,
                maxClients: Int = 256, clientIdle: Duration = .seconds(120)) {
        self.listen = listen
        self.forward = forward
        self.upstream = upstream
        self.downstream = downstream
        self.seed = seed
        self.maxClients = maxClients
        self.clientIdle = clientIdle
    }
}

/// What a relay did, per direction (NetSim's counters: sent, delivered, dropped by reason,
/// duplicated, reordered, corrupted) and in clients.
public struct RelayCounters: Sendable, Equatable {
    public var upstream = LinkCounters()
    public var downstream = LinkCounters()
    public var clients = 0
    /// Datagrams from clients beyond `maxClients`, and datagrams on an upstream socket
    /// from anyone but the forward address: not relayed.
    public var refused = 0
    /// Socket errors (ICMP port unreachable from a far end that is not up yet, say).
    public var socketErrors = 0
}

/// A userspace UDP impairment relay (`flamewire relay`): what NetSim's seeded `Link` does
/// in virtual time, done to real datagrams in real time, in both directions, for tests
/// and for users who want to see their link's effect without netem.
///
/// Every arrival is handed to the direction's `Link` with the monotonic time; its
/// deliveries are written when they are due (one event-loop timer at the earliest). The
/// relay is one event loop: the listen socket and every client's upstream socket.
public final class Relay: Sendable {
    let core: Core
    public let listenChannel: Channel

    /// Binds the listen socket and starts relaying.
    public static func start(_ config: RelayConfig, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Relay {
        let listen = try PeerAddresses.socketAddress(config.listen)
        let forward = try PeerAddresses.socketAddress(config.forward)
        let loop = group.next()
        let up = try Link(config: config.upstream, seed: config.seed)
        let down = try Link(config: config.downstream, seed: config.seed &+ 0x9E37_79B9_7F4A_7C15)
        let core = Core(config: config, forward: forward, listenAddress: listen, upstream: up, downstream: down, eventLoop: loop)
        let channel: Channel
        do {
            // No SO_REUSEADDR (see UDPEndpoint.bind): a second relay on a taken port fails.
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(ListenHandler(core: core)) }
                }
                .bind(to: listen).get()
        } catch {
            throw RuntimeError.bindFailed(config.listen, "\(error)")
        }
        try await loop.submit { core.listen = channel }.get()
        return Relay(core: core, listenChannel: channel)
    }

    init(core: Core, listenChannel: Channel) {
        self.core = core
        self.listenChannel = listenChannel
    }

    /// The address clients send to.
    public var localAddress: SocketAddress? { listenChannel.localAddress }

    public func counters() async throws -> RelayCounters {
        let core = self.core
        return try await core.eventLoop.submit { core.counters() }.get()
    }

    /// Changes both directions' impairments from now on (an outage starting now, say);
    /// datagrams in flight keep their fate.
    public func reconfigure(upstream: LinkConfig, downstream: LinkConfig) async throws {
        let core = self.core
        try await core.eventLoop.submit {
            try core.upstream.reconfigure(upstream)
            try core.downstream.reconfigure(downstream)
        }.get()
    }

    /// Stops relaying and closes every socket; what was in flight is dropped.
    public func close() async {
        let core = self.core
        let channels = (try? await core.eventLoop.submit { core.shutdown() }.get()) ?? []
        for c in channels + [listenChannel] { try? await c.close().get() }
    }

    /// Loop-confined state.
    final class Core: @unchecked Sendable {
        let config: RelayConfig
        let eventLoop: EventLoop
        let forward: SocketAddress
        let listenAddress: SocketAddress
        let clock = MonotonicClock()
        var upstream: Link
        var downstream: Link
        var listen: Channel?
        var clients: [PeerAddress: Client] = [:]
        var refused = 0
        var socketErrors = 0
        var timer = WakeupTimer()
        var closed = false

        static var forwardPeer: PeerAddress { PeerAddress("forward") }

        struct Client {
            var address: SocketAddress
            var channel: Channel?
            var lastSeen: Instant
            /// Deliveries due before the upstream socket was bound.
            var waiting: [[UInt8]] = []
        }

        init(config: RelayConfig, forward: SocketAddress, listenAddress: SocketAddress, upstream: Link, downstream: Link, eventLoop: EventLoop) {
            self.config = config
            self.forward = forward
            self.listenAddress = listenAddress
            self.upstream = upstream
            self.downstream = downstream
            self.eventLoop = eventLoop
        }

        func now() -> Instant { clock.now() }

        func counters() -> RelayCounters {
            RelayCounters(upstream: upstream.counters, downstream: downstream.counters, clients: clients.count, refused: refused,
                          socketErrors: socketErrors)
        }

        func shutdown() -> [Channel] {
            closed = true
            timer.cancel()
            let channels = clients.values.compactMap(\.channel)
            clients.removeAll()
            return channels
        }

        /// A datagram from a client on the listen socket.
        func fromClient(_ bytes: [UInt8], _ source: SocketAddress) {
            guard !closed else { return }
            let now = now()
            let peer = PeerAddresses.peer(source)
            if clients[peer] == nil {
                expireIdle(now)
                guard clients.count < config.maxClients else {
                    refused += 1
                    return
                }
                clients[peer] = Client(address: source, lastSeen: now)
                bindUpstream(for: peer)
            }
            clients[peer]!.lastSeen = now
            upstream.send(bytes, to: Self.forwardPeer, from: peer, at: now)
            deliver()
        }

        /// A datagram on a client's upstream socket.
        func fromForward(_ bytes: [UInt8], _ source: SocketAddress, client: PeerAddress) {
            guard !closed, clients[client] != nil else { return }
            guard source == forward else {
                refused += 1
                return
            }
            downstream.send(bytes, to: client, from: Self.forwardPeer, at: now())
            deliver()
        }

        func bindUpstream(for peer: PeerAddress) {
            // The upstream socket binds the listen address's host, so a loopback relay stays on loopback.
            let local: SocketAddress
            do {
                switch listenAddress {
                case .v6: local = try SocketAddress(ipAddress: listenAddress.ipAddress ?? "::1", port: 0)
                default: local = try SocketAddress(ipAddress: listenAddress.ipAddress ?? "127.0.0.1", port: 0)
                }
            } catch {
                socketErrors += 1
                return
            }
            DatagramBootstrap(group: eventLoop)
                .channelInitializer { [self] ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(UpstreamHandler(core: self, client: peer)) }
                }
                .bind(to: local)
                .whenComplete { [self] result in
                    switch result {
                    case .success(let ch):
                        guard !closed, clients[peer] != nil else {
                            ch.close(promise: nil)
                            return
                        }
                        clients[peer]!.channel = ch
                        let waiting = clients[peer]!.waiting
                        clients[peer]!.waiting = []
                        for d in waiting { write(d, on: ch, to: forward) }
                        if !waiting.isEmpty { ch.flush() }
                    case .failure:
                        socketErrors += 1
                        clients[peer] = nil
                    }
                }
        }

        func expireIdle(_ now: Instant) {
            for (peer, c) in clients where now - c.lastSeen > config.clientIdle {
                c.channel?.close(promise: nil)
                clients[peer] = nil
            }
        }

        func write(_ d: [UInt8], on channel: Channel, to address: SocketAddress) {
            var buffer = channel.allocator.buffer(capacity: d.count)
            buffer.writeBytes(d)
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        }

        /// Writes every delivery that is due, then arms the timer for the next.
        func deliver() {
            guard !closed else { return }
            let now = now()
            var flush: [ObjectIdentifier: Channel] = [:]
            while let d = upstream.popDelivery(upTo: now) {
                guard clients[d.source] != nil else { continue }
                if let ch = clients[d.source]!.channel {
                    write(d.datagram, on: ch, to: forward)
                    flush[ObjectIdentifier(ch)] = ch
                } else if clients[d.source]!.waiting.count < 1024 {
                    clients[d.source]!.waiting.append(d.datagram)
                }
            }
            if let listen {
                while let d = downstream.popDelivery(upTo: now) {
                    guard let c = clients[d.destination] else { continue }
                    write(d.datagram, on: listen, to: c.address)
                    flush[ObjectIdentifier(listen)] = listen
                }
            }
            for ch in flush.values { ch.flush() }
            let next = [upstream.nextDelivery(), downstream.nextDelivery()].compactMap { $0 }.min()
            timer.arm(at: next, now: now, on: eventLoop) { [self] in
                timer.fired()
                deliver()
            }
        }
    }

    final class ListenHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let core: Core
        init(core: Core) { self.core = core }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let e = unwrapInboundIn(data)
            core.fromClient(Array(e.data.readableBytesView), e.remoteAddress)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) { core.socketErrors += 1 }
    }

    final class UpstreamHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let core: Core
        let client: PeerAddress
        init(core: Core, client: PeerAddress) {
            self.core = core
            self.client = client
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let e = unwrapInboundIn(data)
            core.fromForward(Array(e.data.readableBytesView), e.remoteAddress, client: client)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) { core.socketErrors += 1 }
    }
}
