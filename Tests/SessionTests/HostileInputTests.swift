import Testing
import NetSim
import Noise
import SansIO
import Session
import TestSupport
import WireFrame

/// Forged, replayed, wrong-key, truncated and bit-flipped datagrams: none accepted, none
/// answered, each counted by reason (SPEC.md §10.4, §6.5).
@Suite struct HostileInputTests {
    /// A working session, and copies of what crossed the wire.
    struct Captured {
        var agent: AgentSession
        var collector: CollectorSession
        var initiation: [UInt8] = []
        var data: [[UInt8]] = []
        var control: [[UInt8]] = []
        var now: Instant
    }

    static func capture() throws -> Captured {
        let h = Harness()
        let sim = try h.simulation(agent: try h.agentConfig(), collector: h.collectorConfig())
        let total = Counter()
        Harness.feed(sim, until: .zero + .seconds(3), total: total)
        var initiation: [UInt8] = [], data: [[UInt8]] = [], control: [[UInt8]] = []
        sim.observer = { e in
            guard case .transmitted(.a, let t, _, _) = e else { return }
            switch t.datagram.first {
            case 0x22: initiation = t.datagram
            case 0x21: data.append(t.datagram)
            case 0x25: control.append(t.datagram)
            default: break
            }
        }
        try sim.run(until: .zero + .seconds(5))
        #expect(sim.a.stats.windowsDecoded == total.value)
        _ = sim.b.pollEvents()
        return Captured(agent: sim.a, collector: sim.b, initiation: initiation, data: data, control: control, now: sim.now)
    }

    /// Feeds `d` and checks the collector neither accepts nor answers it.
    static func refuse(_ c: inout Captured, _ d: [UInt8], reason: SessionDropReason, _ comment: Comment) {
        let before = c.collector.dropped[reason, default: 0]
        c.collector.receive(d, from: PeerAddress("attacker:666"), at: c.now)
        #expect(c.collector.pollTransmit(at: c.now) == nil, comment)
        #expect(c.collector.pollEvents().isEmpty, comment)
        #expect(c.collector.dropped[reason, default: 0] == before + 1, "\(comment): \(c.collector.dropped) before \(c.collector.dropped)")
    }

    @Test func nothingForgedIsAcceptedOrAnswered() throws {
        var c = try Self.capture()
        let d = try #require(c.data.last)
        #expect(c.collector.dropped.isEmpty)
        let sentBefore = c.collector.bytesSent
        // Replayed DATA: the same packet number again.
        Self.refuse(&c, d, reason: .replayed, "replayed DATA")
        // A copy of a received packet number is a replay even when its bytes differ.
        var flippedCopy = d
        flippedCopy[40] ^= 1
        Self.refuse(&c, flippedCopy, reason: .replayed, "altered copy of a received packet")
        // A genuine datagram the collector has not seen yet, then bit flips of it anywhere
        // after byte 0: the header is authenticated, the symbol encrypted.
        _ = try c.agent.submit(try foldedProfile("main;x 1\n"), stream: 1, mode: .delta, takenAt: c.now, at: c.now)
        let fresh = try #require(c.agent.pollTransmit(at: c.now)?.datagram)
        #expect(fresh.first == 0x21)
        for at in [1, 6, 14, 18, 22, 30, fresh.count - 1] {
            var f = fresh
            f[at] ^= 0x04
            // A flip in the connection id names no session; anywhere else the tag fails
            // (a flip in the window length may first break the layout).
            let reason: SessionDropReason = (1...4).contains(at) ? .unknownConnection : .authenticationFailed
            Self.refuse(&c, f, reason: reason, "bit \(at) flipped")
        }
        // Truncated.
        Self.refuse(&c, Array(fresh.prefix(39)), reason: .tooShort, "truncated DATA")
        Self.refuse(&c, Array(fresh.prefix(fresh.count - 1)), reason: .authenticationFailed, "one byte short")

        // Forged with the right connection id and a fresh packet number but no key.
        var forged = d
        for i in 5..<13 { forged[i] = 0xFF }
        Self.refuse(&c, forged, reason: .authenticationFailed, "forged DATA")
        // Keepalive replayed.
        if let k = c.control.last { Self.refuse(&c, k, reason: .replayed, "replayed CONTROL") }
        // The initiation replayed: its timestamp is not newer than the accepted one.
        Self.refuse(&c, c.initiation, reason: .replayedInitiation, "replayed initiation")
        // An initiation whose mac1 is wrong (sent by someone without the collector's public key).
        var badMac = c.initiation
        badMac[badMac.count - 20] ^= 1
        Self.refuse(&c, badMac, reason: .badMac1, "initiation with a bad mac1")
        // Garbage of every type.
        for t: UInt8 in [0x21, 0x22, 0x23, 0x24, 0x25, 0x2F, 0x11] {
            Self.refuse(&c, [t] + [UInt8](repeating: 0xAB, count: 60), reason: Self.garbageReason(t), "garbage of type \(t)")
        }
        #expect(c.collector.bytesSent == sentBefore)
        // The genuine datagram is still accepted after all that: nothing forged was committed.
        let drops = c.collector.dropped.values.reduce(0, +)
        c.collector.receive(fresh, from: Harness.agentAddress, at: c.now)
        #expect(c.collector.dropped.values.reduce(0, +) == drops)
        #expect(c.collector.pollEvents().count == 1)
    }

    static func garbageReason(_ byte0: UInt8) -> SessionDropReason {
        switch byte0 {
        case 0x21: return .bundleTooLarge  // the header's L = 0xABABABAB fails first
        case 0x22: return .badHandshake
        case 0x23, 0x24: return .unexpectedType
        case 0x25: return .unknownConnection
        case 0x2F: return .unknownType
        default: return .unknownVersion
        }
    }

    /// A valid-mac1 initiation from a key the collector does not allow: no answer.
    @Test func allowListIsEnforcedSilently() throws {
        let h = Harness()
        var c = CollectorSession(config: h.collectorConfig(allowed: []))
        var agent = AgentSession(config: try h.agentConfig())
        agent.handleTimeout(at: .zero)
        let polled = agent.pollTransmit(at: .zero)
        let t = try #require(polled)
        c.receive(t.datagram, from: PeerAddress("a:1"), at: .zero)
        #expect(c.pollTransmit(at: .zero) == nil)
        #expect(c.dropped[.unknownAgent] == 1)
    }

    /// Under a flood of valid-mac1 initiations the collector answers with cookie replies
    /// (smaller than what it got), and accepts an initiation that carries the cookie.
    @Test func underLoadTheCollectorAnswersWithCookies() throws {
        let h = Harness()
        var config = h.collectorConfig()
        config.loadThreshold = 2
        var c = CollectorSession(config: config)
        var agent = AgentSession(config: try h.agentConfig())
        var replies = 0
        var established = false
        var now = Instant.zero
        for _ in 0..<10 where !established {
            agent.handleTimeout(at: now)
            while let t = agent.pollTransmit(at: now) {
                for _ in 0..<3 { c.receive(t.datagram, from: PeerAddress("a:1"), at: now) }  // the same initiation three times
                while let r = c.pollTransmit(at: now) {
                    #expect(r.datagram.count < t.datagram.count)
                    if r.datagram.first == 0x24 { replies += 1 }
                    agent.receive(r.datagram, from: PeerAddress("collector:1"), at: now)
                }
            }
            established = agent.status == .established
            now = now + .seconds(2)
        }
        #expect(replies >= 1)
        #expect(established)
    }
}
