import NIOPosix
import Noise
import SansIO
import Session
import Testing
import UDPRuntime

/// An endpoint owns its port. With `SO_REUSEADDR` on a UDP socket, Linux may hand a port
/// already bound by another such socket to a bind to port 0, and then delivers the
/// datagrams for both to one of them: in the load bench two agents of 300 typically shared
/// a port, one received the other's acknowledgements (dropped as `unknownConnection`), the
/// other heard nothing, went silent and gave its windows up. Two agents on one host could
/// do the same, and a second collector on a taken port would start instead of failing.
@Suite(.serialized) struct BindTests {
    static func collector(_ seed: UInt64) -> CollectorSession {
        var random = SessionRandom(.seeded(seed))
        return CollectorSession(config: CollectorConfig(staticKey: PrivateKey(using: &random), allowedAgents: [], random: .seeded(seed + 1)))
    }

    /// 600 binds to port 0 (about six shared pairs expected with `SO_REUSEADDR`): every
    /// endpoint gets a port no other holds.
    @Test func everyEndpointBoundToPortZeroGetsAPortOfItsOwn() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var endpoints: [UDPEndpoint<CollectorSession>] = []
        for i in 0..<600 { endpoints.append(try await UDPEndpoint.bind(Self.collector(UInt64(i) * 2 + 10), to: "127.0.0.1:0", group: group)) }
        let ports = endpoints.compactMap { $0.localAddress?.port }
        for e in endpoints { await e.close() }
        try await group.shutdownGracefully()
        #expect(ports.count == 600)
        #expect(Set(ports).count == ports.count, "\(ports.count - Set(ports).count) ports handed out twice")
    }

    /// A port that is bound cannot be bound again: the second collector fails with a clear
    /// error instead of taking part of the first one's traffic.
    @Test func aBoundPortCannotBeBoundAgain() async throws {
        let first = try await UDPEndpoint.bind(Self.collector(3), to: "127.0.0.1:0")
        let port = try #require(first.localAddress?.port)
        await #expect(throws: RuntimeError.self) {
            let second = try await UDPEndpoint.bind(Self.collector(5), to: "127.0.0.1:\(port)")
            await second.close()
        }
        await first.close()
    }
}
