import Foundation
import NetSim
import NIOCore
import NIOPosix
import Noise
import Profile
import Relay
import SansIO
import Session
import TestSupport
import Testing
import UDPRuntime
import WireCodec
import WireFrame
import WirePipeline

/// Agent and collector sessions on real loopback UDP sockets, driven by the NIO runtime,
/// through the impairment relay: the same machines the simulator tests, on the real path.
@Suite(.serialized) struct SessionsOverUDPTests {
    static let info = StreamInfo(service: "udp-test", profileType: "cpu", columns: [ValueType(type: "samples", unit: "count")],
                                 columnKinds: [.counter])

    struct Keys {
        let agent: PrivateKey
        let collector: PrivateKey
        init() {
            var r = SessionRandom(.seeded(99))
            agent = PrivateKey(using: &r)
            collector = PrivateKey(using: &r)
        }
    }

    static func wait(seconds: Double, _ done: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if try await done() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return try await done()
    }

    /// Over IPv4 and IPv6 loopback.
    @Test(arguments: ["127.0.0.1", "[::1]"])
    func windowsCrossALossyRelayAndTotalsAreEqual(host: String) async throws {
        let keys = Keys()
        let collector = try await UDPEndpoint.bind(
            CollectorSession(config: CollectorConfig(staticKey: keys.collector, allowedAgents: [keys.agent.publicKey], random: .seeded(8))),
            to: "\(host):0")
        let collectorPort = try #require(collector.localAddress?.port)
        var link = LinkConfig()
        link.delay = .milliseconds(40)
        link.lossProbability = 0.12
        let relay = try await Relay.start(RelayConfig(listen: "\(host):0", forward: "\(host):\(collectorPort)", upstream: link, downstream: link, seed: 3))
        let relayPort = try #require(relay.localAddress?.port)
        var agentSession = AgentSession(config: AgentConfig(
            staticKey: keys.agent, collectorKey: keys.collector.publicKey, collector: PeerAddress("\(host):\(relayPort)"),
            frame: try FrameConfig(fecTarget: 0.003), wallClockAtZero: TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0), random: .seeded(7)))
        try agentSession.addStream(1, info: Self.info)
        let agent = try await UDPEndpoint.bind(agentSession, to: "\(host):0", options: UDPOptions(dscp: .af41))

        var submitted = 0
        for i in 1...30 {
            let p = try foldedProfile("main;work \(i)\nmain;idle \(i % 3 + 1)\nmain;gc 1\n")
            let outcome = try await agent.withEndpoint { a, now in try a.submit(p, stream: 1, mode: .delta, takenAt: now, at: now) }
            if case .sent = outcome { submitted += 1 }
            try await Task.sleep(for: .milliseconds(60))
        }
        let settled = try await Self.wait(seconds: 20) {
            try await agent.withEndpoint { a, _ in a.stats.windowsDecoded > 0 && a.windowsInFlight == 0 }
        }
        #expect(settled, "the agent's windows are all acknowledged decoded")
        let agentKey = keys.agent.publicKey
        let agentState = try await agent.withEndpoint { a, _ in a.encoder(1)?.state }
        let collectorState = try await collector.withEndpoint { c, _ -> StreamState? in
            guard let d = c.receiver(of: agentKey)?.decoder(1), let last = d.heldSequences.last else { return nil }
            return d.state(seq: last)
        }
        #expect(agentState != nil && collectorState == agentState, "the collector's state of the stream equals the agent's")
        let stats = try await agent.withEndpoint { a, _ in a.stats }
        #expect(stats.handshakes >= 1 && submitted > 0)
        let r = try await relay.counters()
        #expect(r.upstream.droppedRandomLoss > 0, "the relay lost datagrams on the way: \(r.upstream)")
        let ac = try await agent.counters(), cc = try await collector.counters()
        #expect(ac.datagramsOut == r.upstream.sentDatagrams, "every datagram the agent wrote reached the relay")
        #expect(cc.datagramsIn == r.upstream.deliveredDatagrams, "the collector read what the relay delivered")
        let dropped = try await collector.withEndpoint { c, _ in c.dropped }
        #expect(dropped.isEmpty, "nothing the collector received was refused: \(dropped)")
        await agent.close()
        await relay.close()
        await collector.close()
    }

    /// The DSCP mark is on the datagrams as they arrive: a receiver asks the kernel for
    /// each datagram's TOS byte (IP_RECVTOS), so this reads the mark off the packet.
    /// Over IPv4 (IP_TOS) and IPv6 (IPV6_TCLASS, traffic class 67 in Linux's ancillary data).
    @Test(.serialized, arguments: ["127.0.0.1", "::1"])
    func datagramsCarryTheDSCPMark(host: String) async throws {
        let v6 = host.contains(":")
        let script = v6 ? """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
            s.bind(("::1", 0))
            s.settimeout(10)
            print(s.getsockname()[1], flush=True)
            data, anc, flags, addr = s.recvmsg(2048, 64)
            tc = [int.from_bytes(c[2][:4], sys.byteorder) for c in anc if c[0] == socket.IPPROTO_IPV6 and c[1] == socket.IPV6_TCLASS]
            print(tc[0] if tc else -1, len(data), flush=True)
            """ : """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
            s.bind(("127.0.0.1", 0))
            s.settimeout(10)
            print(s.getsockname()[1], flush=True)
            data, anc, flags, addr = s.recvmsg(2048, 64)
            tos = [c[2][0] for c in anc if c[0] == socket.IPPROTO_IP and c[1] == socket.IP_TOS]
            print(tos[0] if tos else -1, len(data), flush=True)
            """
        let peer = v6 ? "[::1]" : "127.0.0.1"
        for (dscp, expected) in [(DSCP.af41, 34 << 2), (try DSCP(parsing: "ef"), 46 << 2), (try DSCP(parsing: "0"), 0)] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            p.arguments = ["-c", script]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            defer { if p.isRunning { p.terminate() } }
            let reader = out.fileHandleForReading
            var text = ""
            func line() -> String? {
                while !text.contains("\n") {
                    let d = reader.availableData
                    if d.isEmpty { return nil }
                    text += String(decoding: d, as: UTF8.self)
                }
                let l = String(text[..<text.firstIndex(of: "\n")!])
                text = String(text[text.index(after: text.firstIndex(of: "\n")!)...])
                return l
            }
            let port = try #require(line().flatMap { Int($0) })
            let keys = Keys()
            var a = AgentSession(config: AgentConfig(
                staticKey: keys.agent, collectorKey: keys.collector.publicKey, collector: PeerAddress("\(peer):\(port)"),
                frame: try FrameConfig(fecTarget: 0.003), wallClockAtZero: TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0), random: .seeded(7)))
            try a.addStream(1, info: Self.info)
            // The agent's first datagram is its handshake initiation.
            let agent = try await UDPEndpoint.bind(a, to: "\(peer):0", options: UDPOptions(dscp: dscp))
            let result = try #require(line()).split(separator: " ")
            await agent.close()
            #expect(result.count == 2 && Int(result[0]) == expected, "DSCP \(dscp): TOS byte \(result) on the wire, expected \(expected)")
            #expect(result.count == 2 && Int(result[1]) == HandshakeLayout.initiationLength)
            p.waitUntilExit()
        }
    }
}
