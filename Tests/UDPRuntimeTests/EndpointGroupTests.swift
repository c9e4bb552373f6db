import Foundation
import NIOCore
import NIOPosix
import SansIO
import Synchronization
import Testing
import UDPRuntime

/// `UDPEndpointGroup`: several endpoints on one address, one socket and event loop each
/// (SO_REUSEPORT), with datagrams forwarded to the shard that owns them.
@Suite(.serialized) struct EndpointGroupTests {
    /// A shard that owns the datagrams whose first byte is its index: it answers those with
    /// its index and the datagram, and forwards the others to their owner.
    struct Owner: DatagramEndpoint, Sendable {
        let index: Int
        var outbox: [Transmit] = []
        var forwards: [ForwardedDatagram] = []
        var read = 0

        mutating func receive(_ d: [UInt8], from address: PeerAddress, at now: Instant) {
            read += 1
            if Int(d[0]) != index { forwards.append(ForwardedDatagram(shard: Int(d[0]), datagram: d, source: address)) } else { answer(d, address) }
        }
        mutating func receiveForwarded(_ d: [UInt8], from address: PeerAddress, at now: Instant) { answer(d, address) }
        mutating func answer(_ d: [UInt8], _ address: PeerAddress) { outbox.append(Transmit(datagram: [UInt8(index)] + d, destination: address)) }
        mutating func pollForward() -> ForwardedDatagram? { forwards.isEmpty ? nil : forwards.removeFirst() }
        mutating func pollTransmit(at now: Instant) -> Transmit? { outbox.isEmpty ? nil : outbox.removeFirst() }
        func nextWakeup() -> Instant? { nil }
        mutating func handleTimeout(at now: Instant) {}
    }

    /// Datagrams for both shards from 32 client sockets (the kernel gives some of them to each
    /// socket): every one is answered by its owner, from the group's address, and the
    /// ones that reached the other socket were forwarded.
    @Test func everyDatagramIsAnsweredByItsOwner() async throws {
        let group = try await UDPEndpointGroup.bind(shards: 2, to: "127.0.0.1:0") { Owner(index: $0) }
        let port = try #require(group.localAddress?.port)
        var sent: [[UInt8]: Int] = [:]
        var answers: [[UInt8]] = []
        for client in 0..<32 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var to = sockaddr_in()
            to.sin_family = sa_family_t(AF_INET)
            to.sin_port = in_port_t(UInt16(port).bigEndian)
            to.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            for owner in 0..<2 {
                let d: [UInt8] = [UInt8(owner), UInt8(client)]
                sent[d] = owner
                _ = d.withUnsafeBytes { b in withUnsafePointer(to: &to) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                } }
            }
            for _ in 0..<2 {
                var buffer = [UInt8](repeating: 0, count: 64)
                var from = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = buffer.withUnsafeMutableBytes { b in withUnsafeMutablePointer(to: &from) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &length) }
                } }
                guard n > 0 else { break }
                #expect(Int(UInt16(bigEndian: from.sin_port)) == port, "answers come from the group's address")
                answers.append(Array(buffer[0..<n]))
            }
        }
        let reads = try await group.withEach { e, _ in e.read }
        let counters = try await group.counters()
        await group.close()
        #expect(answers.count == sent.count)
        for a in answers { #expect(sent[Array(a.dropFirst())] == Int(a[0]), "answered by shard \(a[0]): \(a)") }
        #expect(reads.reduce(0, +) == 64 && reads.allSatisfy { $0 > 0 }, "the kernel spread 32 senders over both sockets: \(reads)")
        // Each client's two datagrams reach one socket: exactly one of them is the other's.
        #expect(counters.forwardedIn == 32)
        #expect(counters.datagramsIn == 64 && counters.datagramsOut == 64)
    }

    /// The group holds its port: another group, or any socket, cannot bind it, and groups on
    /// port 0 get ports of their own (a bind to port 0 with SO_REUSEPORT alone may share one).
    @Test func aGroupOwnsItsPort() async throws {
        var groups: [UDPEndpointGroup<Owner>] = []
        for _ in 0..<100 { groups.append(try await UDPEndpointGroup.bind(shards: 2, to: "127.0.0.1:0") { Owner(index: $0) }) }
        let ports = groups.compactMap { $0.localAddress?.port }
        #expect(Set(ports).count == 100, "\(100 - Set(ports).count) ports handed out twice")
        let port = ports[0]
        await #expect(throws: RuntimeError.self) {
            let second = try await UDPEndpointGroup.bind(shards: 2, to: "127.0.0.1:\(port)") { Owner(index: $0) }
            await second.close()
        }
        await #expect(throws: RuntimeError.self) {
            let single = try await UDPEndpointGroup.bind(shards: 1, to: "127.0.0.1:\(port)") { Owner(index: $0) }
            await single.close()
        }
        for g in groups { await g.close() }
    }
}
