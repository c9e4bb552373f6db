import NIOCore
import NIOPosix
import SansIO

/// One address served by several sans-IO endpoints, each on its own UDP socket and event
/// loop (its own core): a collector's sessions spread over cores. The sockets share the
/// address through SO_REUSEPORT, so the kernel spreads arriving datagrams over them by the
/// sender's address and port; a datagram that reaches a shard which does not own it is
/// forwarded (`DatagramEndpoint.pollForward`) to the shard that does, on that shard's loop.
/// Replies leave from the socket of the shard that owns the peer, from the same address.
///
/// One shard is a plain `UDPEndpoint` without SO_REUSEPORT.
public final class UDPEndpointGroup<E: DatagramEndpoint & Sendable>: Sendable {
    public let shards: [UDPEndpoint<E>]

    /// Binds `shards` sockets to `address` (`ip:port`; port 0 picks a free one), the i-th
    /// driving `make(i)` on the i-th event loop of `group`.
    ///
    /// The port is first checked free with a socket that does not share it (a bind to port
    /// 0 with SO_REUSEPORT may return a port another such socket holds, as with
    /// SO_REUSEADDR), so a second collector on a taken port fails with "cannot bind"
    /// instead of joining the group and taking part of the traffic. Once bound, the group
    /// holds the port the same way against any bind that does not ask to share it.
    public static func bind(shards: Int, to address: String, options: UDPOptions = UDPOptions(),
                            group: MultiThreadedEventLoopGroup = .singleton,
                            _ make: (Int) -> E) async throws -> UDPEndpointGroup<E> {
        let count = max(1, shards)
        if count == 1 { return UDPEndpointGroup(shards: [try await UDPEndpoint.bind(make(0), to: address, options: options, group: group)]) }
        let local = try PeerAddresses.socketAddress(address)
        let loops = Array(group.makeIterator())
        // On port 0 another process may take the probed port before the group binds it (it
        // was free a moment ago): probe again, a few times.
        var attempt = 0
        while true {
            attempt += 1
            let probe: Channel
            do { probe = try await DatagramBootstrap(group: group).bind(to: local).get() } catch {
                throw RuntimeError.bindFailed(address, "\(error)")
            }
            let port = probe.localAddress?.port ?? local.port ?? 0
            try? await probe.close().get()
            var bound = local
            bound.port = port
            let shared = PeerAddresses.peer(bound).value
            var endpoints: [UDPEndpoint<E>] = []
            do {
                for i in 0..<count {
                    endpoints.append(try await UDPEndpoint.bind(make(i), to: shared, options: options, group: loops[i % loops.count], reusePort: true))
                }
            } catch {
                for e in endpoints { await e.close() }
                if (local.port ?? 0) == 0 && attempt < 8 { continue }
                throw error
            }
            return try await joined(endpoints)
        }
    }

    /// The group of `endpoints` (bound to one address), each shard routing forwarded
    /// datagrams to the others on their loops.
    private static func joined(_ endpoints: [UDPEndpoint<E>]) async throws -> UDPEndpointGroup<E> {
        let cores = endpoints.map(\.core)
        for core in cores {
            try await core.eventLoop.submit {
                core.route = { f in
                    guard cores.indices.contains(f.shard) else { return }
                    let target = cores[f.shard]
                    target.eventLoop.execute { target.receiveForwarded(f) }
                }
            }.get()
        }
        return UDPEndpointGroup(shards: endpoints)
    }

    init(shards: [UDPEndpoint<E>]) { self.shards = shards }

    /// The address the sockets are bound to (with the port the kernel chose).
    public var localAddress: SocketAddress? { shards[0].localAddress }

    /// The receive buffer the kernel granted each socket (see `UDPEndpoint`).
    public var receiveBufferBytes: Int? { shards[0].receiveBufferBytes }

    /// Runs `body` on every shard's loop at once and returns what each gave, in shard order.
    public func withEach<T: Sendable>(_ body: @escaping @Sendable (inout E, Instant) throws -> T) async throws -> [T] {
        if shards.count == 1 { return [try await shards[0].withEndpoint(body)] }
        return try await withThrowingTaskGroup(of: (Int, T).self) { g in
            for (i, s) in shards.enumerated() { g.addTask { (i, try await s.withEndpoint(body)) } }
            var out: [(Int, T)] = []
            for try await r in g { out.append(r) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Calls `observer` after every batch of reads on any shard, on that shard's loop.
    public func onReads(_ observer: @escaping @Sendable (inout E) -> Void) async throws {
        for s in shards { try await s.onReads(observer) }
    }

    /// What went through all sockets so far.
    public func counters() async throws -> UDPCounters {
        var total = UDPCounters()
        for s in shards { total = total + (try await s.counters()) }
        return total
    }

    /// Datagrams the kernel dropped at the sockets (see `UDPEndpoint.receiveDrops`).
    public func receiveDrops() async -> Int? {
        var total: Int?
        for s in shards { if let d = await s.receiveDrops() { total = (total ?? 0) + d } }
        return total
    }

    public func close() async {
        for s in shards { await s.close() }
    }
}
