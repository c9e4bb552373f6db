import Foundation
import NIOPosix
import Noise
import SansIO
import Session
import Testing
import Synchronization
import UDPRuntime

/// The collector's UDP receive buffer holds a burst that arrives while its event loop is
/// busy (a drain, a keyframe): with the system's default buffer the kernel drops most of it,
/// and the agents' repair then adds load exactly when there is too much.
@Suite(.serialized) struct ReceiveBufferTests {
    static let burst = 2000
    static let size = 1200

    /// Blocks the endpoint's event loop, sends `burst` datagrams to it from a plain socket,
    /// releases the loop and returns how many the endpoint read (within 5 s).
    static func datagramsRead(through options: UDPOptions) async throws -> (read: Int, granted: Int?, drops: Int?) {
        var random = SessionRandom(.seeded(4))
        let session = CollectorSession(config: CollectorConfig(staticKey: PrivateKey(using: &random), allowedAgents: [], random: .seeded(5)))
        // A loop of its own: the test blocks it, and other suites' endpoints must not wait.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try await UDPEndpoint.bind(session, to: "127.0.0.1:0", options: options, group: group)
        let port = try #require(endpoint.localAddress?.port)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = in_port_t(UInt16(port).bigEndian)
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        let started = Mutex(false)
        let busy = Task {
            try await endpoint.withEndpoint { _, _ in
                started.withLock { $0 = true }
                Thread.sleep(forTimeInterval: 0.4)
            }
        }
        for _ in 0..<200 where !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let payload = [UInt8](repeating: 0xA5, count: size)
        for _ in 0..<burst {
            _ = withUnsafePointer(to: &to) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        try await busy.value
        // Until all are read, or the count stands still for 0.5 s (the rest were dropped).
        var read = 0, still = 0
        for _ in 0..<100 where read < burst && still < 10 {
            try await Task.sleep(for: .milliseconds(50))
            let now = try await endpoint.counters().datagramsIn
            still = now == read ? still + 1 : 0
            read = now
        }
        let drops = await endpoint.receiveDrops()
        await endpoint.close()
        try await group.shutdownGracefully()
        return (read, endpoint.receiveBufferBytes, drops)
    }

    @Test func aBurstWhileTheLoopIsBusyIsKept() async throws {
        let (read, granted, drops) = try await Self.datagramsRead(through: UDPOptions(receiveBuffer: 8 << 20))
        let granted_ = try #require(granted)
        #expect(granted_ >= 4 << 20, "the kernel granted \(granted_) bytes")
        #expect(read == Self.burst)
        #expect(drops == 0)
    }

    /// The control: without the larger buffer the same burst loses datagrams, so the test
    /// above measures the option and not a fast machine; the endpoint counts what the
    /// kernel dropped (what `/metrics` shows as `flamewire_receive_buffer_drops_total`).
    @Test func theDefaultBufferDropsTheSameBurstAndCountsIt() async throws {
        let (read, granted, drops) = try await Self.datagramsRead(through: UDPOptions())
        #expect(granted == nil)
        #expect(read < Self.burst)
        #expect(drops == Self.burst - read)
    }
}
