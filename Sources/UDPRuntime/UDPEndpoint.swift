import Foundation
import NIOCore
import NIOPosix
import SansIO

/// How a UDP endpoint sets up its socket.
public struct UDPOptions: Sendable {
    /// The DSCP mark set on every datagram sent (IP_TOS / IPV6_TCLASS as a socket option,
    /// so no per-datagram control message can clear it); nil or 0 leaves the socket as it is.
    public var dscp: DSCP?
    /// Datagrams read per system call (`recvmmsg`); 1 reads one at a time.
    public var vectorReads: Int
    /// The largest datagram read; anything longer is truncated by the kernel and then
    /// refused by the session (it cannot authenticate).
    public var maxDatagram: Int
    /// The kernel receive buffer to ask for (SO_RCVBUF), in bytes; nil keeps the system's
    /// default (about 208 KiB on Linux). A collector that many agents send to needs room for
    /// the bursts that arrive while it decodes: a full buffer drops datagrams, which the
    /// agents then repair, adding load exactly when there is too much. The kernel caps the
    /// request at `net.core.rmem_max` unless the process may exceed it (CAP_NET_ADMIN, with
    /// SO_RCVBUFFORCE); `UDPEndpoint.receiveBufferBytes` says what was granted.
    public var receiveBuffer: Int?

    public init(dscp: DSCP? = nil, vectorReads: Int = 16, maxDatagram: Int = 2048, receiveBuffer: Int? = nil) {
        self.dscp = dscp
        self.vectorReads = max(1, vectorReads)
        self.maxDatagram = max(64, maxDatagram)
        self.receiveBuffer = receiveBuffer.map { max(4096, $0) }
    }
}

/// What went through one UDP endpoint.
public struct UDPCounters: Sendable, Equatable {
    public var datagramsIn = 0
    public var bytesIn = 0
    public var datagramsOut = 0
    public var bytesOut = 0
    /// Datagrams the session addressed to a peer address that is not `ip:port`.
    public var unaddressable = 0
    /// Socket errors reported by the kernel (an ICMP port unreachable, say); the socket
    /// stays open and the session's own timers decide what happens next.
    public var socketErrors = 0
    /// Datagrams another shard read and handed to this endpoint (`UDPEndpointGroup`); they
    /// are counted in `datagramsIn` of the shard that read them.
    public var forwardedIn = 0

    /// The counts of several endpoints together.
    public static func + (a: UDPCounters, b: UDPCounters) -> UDPCounters {
        UDPCounters(datagramsIn: a.datagramsIn + b.datagramsIn, bytesIn: a.bytesIn + b.bytesIn, datagramsOut: a.datagramsOut + b.datagramsOut,
                    bytesOut: a.bytesOut + b.bytesOut, unaddressable: a.unaddressable + b.unaddressable,
                    socketErrors: a.socketErrors + b.socketErrors, forwardedIn: a.forwardedIn + b.forwardedIn)
    }
}

/// One sans-IO endpoint (`AgentSession`, `CollectorSession`, anything that is a
/// `DatagramEndpoint`) on one real UDP socket, driven by a SwiftNIO event loop: datagrams
/// read from the socket go to `receive`, everything `pollTransmit` gives is written, and
/// `nextWakeup` becomes an event-loop timer that calls `handleTimeout`. Time is the
/// monotonic clock, as an `Instant` from the moment the socket was bound.
///
/// The endpoint lives on the event loop and only there: reach it with `withEndpoint`,
/// which runs on the loop and sends whatever the change made ready.
public final class UDPEndpoint<E: DatagramEndpoint & Sendable>: Sendable {
    /// The bound socket.
    public let channel: Channel
    let core: Core

    /// Binds `address` (`ip:port`; port 0 picks a free one) and starts driving `endpoint`.
    /// With `reusePort` the socket joins the other sockets bound to the same address with it
    /// (SO_REUSEPORT: the kernel spreads datagrams over them by the sender's address); only
    /// `UDPEndpointGroup` asks for it, on a port it has checked is free.
    public static func bind(_ endpoint: E, to address: String, options: UDPOptions = UDPOptions(),
                            group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, reusePort: Bool = false) async throws -> UDPEndpoint<E> {
        let local = try PeerAddresses.socketAddress(address)
        let loop = group.next()
        let core = Core(endpoint: endpoint, eventLoop: loop)
        // No SO_REUSEADDR: on UDP it lets a bind to port 0 return a port another such socket
        // holds (the kernel then delivers both sockets' datagrams to one), and lets a second
        // process bind a taken port. UDP has no TIME_WAIT, so a restart rebinds without it.
        let bootstrap = DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: CInt(SO_REUSEPORT))), value: reusePort ? 1 : 0)
            .channelOption(.datagramVectorReadMessageCount, value: options.vectorReads)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: options.maxDatagram * options.vectorReads))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(core: core)) }
            }
        let channel: Channel
        do { channel = try await bootstrap.bind(to: local).get() } catch {
            throw RuntimeError.bindFailed(address, "\(error)")
        }
        if let dscp = options.dscp, dscp.value != 0 {
            let option: ChannelOptions.Types.SocketOption
            switch local {
            case .v6: option = .init(level: .ipv6, name: .init(rawValue: CInt(IPV6_TCLASS)))
            default: option = .ipOption(.init(rawValue: CInt(IP_TOS)))
            }
            do { try await channel.setOption(option, value: dscp.trafficClass).get() } catch {
                try? await channel.close().get()
                throw RuntimeError.bindFailed(address, "cannot set DSCP \(dscp): \(error)")
            }
        }
        var granted: Int?
        if let bytes = options.receiveBuffer {
            // SO_RCVBUFFORCE passes rmem_max where the process may (root here); else SO_RCVBUF.
            let force = ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: CInt(SO_RCVBUFFORCE)))
            if (try? await channel.setOption(force, value: bytes).get()) == nil {
                try? await channel.setOption(.socketOption(.so_rcvbuf), value: bytes).get()
            }
            // Linux reports twice what it keeps for data (the rest is bookkeeping).
            granted = (try? await channel.getOption(.socketOption(.so_rcvbuf)).get()).map { Int($0) / 2 }
        }
        try await loop.submit {
            core.channel = channel
            core.pump()
        }.get()
        return UDPEndpoint(channel: channel, core: core, receiveBufferBytes: granted)
    }

    /// The receive buffer the kernel granted for `UDPOptions.receiveBuffer` (bytes for data,
    /// as requested; nil when none was asked for).
    public let receiveBufferBytes: Int?

    init(channel: Channel, core: Core, receiveBufferBytes: Int? = nil) {
        self.channel = channel
        self.core = core
        self.receiveBufferBytes = receiveBufferBytes
    }

    /// The address the socket is bound to (with the port the kernel chose).
    public var localAddress: SocketAddress? { channel.localAddress }

    /// Runs `body` on the endpoint's event loop with the endpoint and the current time,
    /// then sends what became ready and re-arms the timer.
    public func withEndpoint<T: Sendable>(_ body: @escaping @Sendable (inout E, Instant) throws -> T) async throws -> T {
        let core = self.core
        return try await core.eventLoop.submit {
            let now = core.now()
            let result = try body(&core.endpoint, now)
            core.pump()
            return result
        }.get()
    }

    /// Calls `observer` on the event loop after every batch of datagrams read from the
    /// socket was handed to the endpoint (and what it made ready was sent), so an owner can
    /// react to what arrived (the collector wakes its store drain) without polling.
    public func onReads(_ observer: @escaping @Sendable (inout E) -> Void) async throws {
        let core = self.core
        try await core.eventLoop.submit { core.afterReads = observer }.get()
    }

    /// What went through the socket so far.
    public func counters() async throws -> UDPCounters {
        let core = self.core
        return try await core.eventLoop.submit { core.counters }.get()
    }

    /// Datagrams the kernel dropped at this socket because its receive buffer was full
    /// (Linux `SO_MEMINFO`, `SK_MEMINFO_DROPS`): they never reached the endpoint, so no
    /// session counter sees them. Nil where the kernel does not say.
    public func receiveDrops() async -> Int? {
        guard let provider = channel as? SocketOptionProvider else { return nil }
        // SK_MEMINFO_VARS (9) 32-bit counters; SO_MEMINFO is 55 on Linux.
        typealias MemInfo = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        let info: EventLoopFuture<MemInfo> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(55))
        return (try? await info.get()).map { Int($0.8) }
    }

    /// Closes the socket and stops the timer; the endpoint's state stays readable.
    public func close() async {
        let core = self.core
        try? await core.eventLoop.submit {
            core.timer.cancel()
            core.closed = true
            core.route = nil  // it holds the group's other endpoints
        }.get()
        try? await channel.close().get()
    }

    /// The loop-confined state: every member is touched on `eventLoop` only.
    final class Core: @unchecked Sendable {
        let eventLoop: EventLoop
        let clock = MonotonicClock()
        var endpoint: E
        var channel: Channel?
        var timer = WakeupTimer()
        var counters = UDPCounters()
        var closed = false
        var afterReads: (@Sendable (inout E) -> Void)?
        /// Where datagrams the endpoint forwards go (`UDPEndpointGroup` sets it); without it
        /// they are dropped and counted.
        var route: (@Sendable (ForwardedDatagram) -> Void)?
        /// Socket addresses of the peer addresses the endpoint sent to, bounded.
        var resolved: [PeerAddress: SocketAddress] = [:]
        static var maxResolved: Int { 4096 }

        init(endpoint: E, eventLoop: EventLoop) {
            self.endpoint = endpoint
            self.eventLoop = eventLoop
        }

        func now() -> Instant { clock.now() }

        func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
            guard !closed else { return }
            let bytes = Array(envelope.data.readableBytesView)
            counters.datagramsIn += 1
            counters.bytesIn += bytes.count
            endpoint.receive(bytes, from: PeerAddresses.peer(envelope.remoteAddress), at: now())
        }

        /// Writes everything the endpoint has to send, flushes, re-arms the timer.
        func pump() {
            guard !closed, let channel else { return }
            let now = now()
            var wrote = false
            // Bounded: an endpoint that always had something would otherwise starve the loop.
            for _ in 0..<4096 {
                guard let t = endpoint.pollTransmit(at: now) else { break }
                guard let address = address(of: t.destination) else {
                    counters.unaddressable += 1
                    continue
                }
                var buffer = channel.allocator.buffer(capacity: t.datagram.count)
                buffer.writeBytes(t.datagram)
                channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
                counters.datagramsOut += 1
                counters.bytesOut += t.datagram.count
                wrote = true
            }
            if wrote { channel.flush() }
            for _ in 0..<4096 {
                guard let f = endpoint.pollForward() else { break }
                if let route { route(f) } else { counters.unaddressable += 1 }
            }
            arm()
        }

        /// A datagram another shard's endpoint read and forwarded here (on this loop).
        func receiveForwarded(_ f: ForwardedDatagram) {
            guard !closed else { return }
            counters.forwardedIn += 1
            endpoint.receiveForwarded(f.datagram, from: f.source, at: now())
            pump()
            afterReads?(&endpoint)
        }

        func address(of peer: PeerAddress) -> SocketAddress? {
            if let a = resolved[peer] { return a }
            guard let a = try? PeerAddresses.socketAddress(peer.value) else { return nil }
            if resolved.count >= Self.maxResolved { resolved.removeAll(keepingCapacity: true) }
            resolved[peer] = a
            return a
        }

        /// One timer at the endpoint's next wake-up (immediately when it is due).
        func arm() {
            guard !closed else { return }
            timer.arm(at: endpoint.nextWakeup(), now: now(), on: eventLoop) { [self] in
                timer.fired()
                guard !closed else { return }
                endpoint.handleTimeout(at: now())
                pump()
            }
        }
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let core: Core

        init(core: Core) { self.core = core }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            core.receive(unwrapInboundIn(data))
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            core.pump()
            if !core.closed { core.afterReads?(&core.endpoint) }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            // ICMP errors (port unreachable while the peer restarts) are not fatal on UDP.
            core.counters.socketErrors += 1
        }
    }
}
