import Foundation
import Noise
import SansIO
import Session
import WireLimits

/// A captured session's DATA, ready to send under other keys: each datagram's plaintext
/// (header ‖ symbol) and packet number. Shared by every replay agent, read-only.
final class ReplayTemplate: Sendable {
    let plaintexts: [[UInt8]]
    let packetNumbers: [UInt64]
    let windows: Int

    init(plaintexts: [[UInt8]], packetNumbers: [UInt64], windows: Int) {
        self.plaintexts = plaintexts
        self.packetNumbers = packetNumbers
        self.windows = windows
    }
}

/// One load agent that does a real handshake with the collector and then sends a captured
/// agent's DATA datagrams as its own: each plaintext gets this session's connection id
/// (header bytes 1..<5, SPEC §6.3) and is sealed with this session's keys under the
/// template's packet number, paced at `rate` datagrams per second from the time `go` gives.
/// It reads what the collector sends back (ACKs) and answers nothing: a replay cannot
/// repair, so a datagram lost on the way loses its window and stalls that stream's chain.
/// Sans-IO, driven by a `UDPEndpoint` like the real sessions.
struct ReplayAgent: DatagramEndpoint, Sendable {
    enum Phase: Sendable {
        case handshaking(HandshakeInitiator, sentAt: Instant?)
        case established(TransportKeys)
        case sending(TransportKeys, start: Instant, next: Int)
        case done
    }

    let template: ReplayTemplate
    let key: PrivateKey
    let collectorKey: PublicKey
    let collector: PeerAddress
    let rate: Double
    var phase: Phase
    var cookies: CookieState
    var random: SessionRandom

    var handshakes = 0
    var cookieReplies = 0
    var sent = 0
    var received = 0
    var failures = 0

    static let retry: Duration = .seconds(1)
    /// Datagrams due this soon go out with the ones due now: one wake-up per 5 ms and
    /// agent instead of one per datagram.
    static let quantum: Duration = .milliseconds(5)

    init(template: ReplayTemplate, key: PrivateKey, collectorKey: PublicKey, collector: PeerAddress, rate: Double, seed: UInt64) throws {
        self.template = template
        self.key = key
        self.collectorKey = collectorKey
        self.collector = collector
        self.rate = rate
        cookies = CookieState(remoteStatic: collectorKey)
        random = SessionRandom(.seeded(seed))
        phase = .done
        phase = .handshaking(try initiator(at: .zero), sentAt: nil)
    }

    mutating func initiator(at now: Instant) throws -> HandshakeInitiator {
        let wall = Date().timeIntervalSince1970
        var index = UInt32(truncatingIfNeeded: random.next())
        while index == 0 { index = UInt32(truncatingIfNeeded: random.next()) }
        return try HandshakeInitiator(localStatic: key, remoteStatic: collectorKey, localIndex: index,
                                      timestamp: TAI64N(unixSeconds: Int64(wall), nanoseconds: UInt32((wall - wall.rounded(.down)) * 1e9)),
                                      cookies: &cookies, at: now, using: &random)
    }

    var isEstablished: Bool {
        switch phase {
        case .handshaking: false
        default: true
        }
    }

    /// Starts sending at `start` (the first datagram then, the others paced after it).
    mutating func go(at start: Instant) {
        if case .established(let keys) = phase { phase = .sending(keys, start: start, next: 0) }
    }

    /// When datagram `i` is due.
    func due(_ start: Instant, _ i: Int) -> Instant { start + .nanoseconds(Int64(Double(i) / rate * 1e9)) }

    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
        received += 1
        guard case .handshaking(var h, _) = phase, let first = datagram.first else { return }
        do {
            if first == Noise.DatagramType.handshakeResponse.byte0 {
                phase = .established(try h.readResponse(datagram))
            } else if first == Noise.DatagramType.cookieReply.byte0 {
                _ = try cookies.consumeCookieReply(datagram, at: now)
                cookieReplies += 1
                phase = .handshaking(try initiator(at: now), sentAt: nil)
            }
        } catch { failures += 1 }
    }

    mutating func pollTransmit(at now: Instant) -> Transmit? {
        switch phase {
        case .handshaking(let h, let sentAt):
            if let sentAt, now < sentAt + Self.retry { return nil }
            if sentAt != nil, let fresh = try? initiator(at: now) {
                phase = .handshaking(fresh, sentAt: now)
                handshakes += 1
                return Transmit(datagram: fresh.initiation, destination: collector)
            }
            phase = .handshaking(h, sentAt: now)
            handshakes += 1
            return Transmit(datagram: h.initiation, destination: collector)
        case .sending(let keys, let start, let next):
            guard next < template.plaintexts.count else { phase = .done; return nil }
            guard due(start, next) <= now + Self.quantum else { return nil }
            phase = .sending(keys, start: start, next: next + 1)
            var d = template.plaintexts[next]
            let id = keys.remoteIndex
            d[1] = UInt8(id >> 24); d[2] = UInt8(truncatingIfNeeded: id >> 16); d[3] = UInt8(truncatingIfNeeded: id >> 8); d[4] = UInt8(truncatingIfNeeded: id)
            do { try keys.seal(datagram: &d, headerLength: WireLimits.dataHeaderLength, packetNumber: template.packetNumbers[next]) } catch {
                failures += 1
                return nil
            }
            sent += 1
            return Transmit(datagram: d, destination: collector)
        case .established, .done:
            return nil
        }
    }

    func nextWakeup() -> Instant? {
        switch phase {
        case .handshaking(_, let sentAt): sentAt.map { $0 + Self.retry } ?? .zero
        case .sending(_, let start, let next): next < template.plaintexts.count ? due(start, next) : nil
        case .established, .done: nil
        }
    }

    mutating func handleTimeout(at now: Instant) {}

    /// Whether every datagram went out.
    var finished: Bool {
        if case .done = phase { return true }
        return false
    }
}
