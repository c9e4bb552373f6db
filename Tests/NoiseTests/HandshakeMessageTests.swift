import SansIO
import Testing
@testable import Noise

/// The FlameWire handshake datagrams on top of IK / IKpsk2.
struct HandshakeMessageTests {
    static let agent = NoiseRulesTests.key(0x11)
    static let collector = NoiseRulesTests.key(0x22)
    static let t = Instant(nanoseconds: 1_000_000_000)
    static let stamp = TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 5)

    static func initiate(psk: [UInt8]? = nil, seed: UInt64 = 1, cookies: inout CookieState) throws -> HandshakeInitiator {
        var rng = SeededRNG(seed: seed)
        return try HandshakeInitiator(localStatic: agent, remoteStatic: collector.publicKey, psk: psk, localIndex: 0xA1A2_A3A4,
                                      timestamp: stamp, cookies: &cookies, at: t, using: &rng)
    }

    @Test(arguments: [nil, [UInt8](repeating: 9, count: 32)])
    func fullHandshakeGivesMatchingKeys(psk: [UInt8]?) throws {
        var cookies = CookieState(remoteStatic: Self.collector.publicKey)
        var initiator = try Self.initiate(psk: psk, cookies: &cookies)
        let m1 = initiator.initiation
        #expect(m1.count == HandshakeLayout.initiationLength && m1[0] == 0x22)
        #expect(Array(m1[1..<5]) == [0xA1, 0xA2, 0xA3, 0xA4])
        #expect(Array(m1.suffix(16)) == [UInt8](repeating: 0, count: 16), "no cookie: mac2 is zero")

        let received = try ReceivedInitiation.read(m1, localStatic: Self.collector, usesPSK: psk != nil)
        #expect(received.peerStatic == Self.agent.publicKey)
        #expect(received.timestamp == Self.stamp)
        #expect(received.senderIndex == 0xA1A2_A3A4)
        var rng = SeededRNG(seed: 2)
        let (m2, rKeys) = try received.respond(localIndex: 0xB1B2_B3B4, psk: psk, using: &rng)
        #expect(m2.count == HandshakeLayout.responseLength && m2[0] == 0x23)
        #expect(m2.count < m1.count, "a collector never answers with more bytes than it received")
        #expect(HandshakeInitiator.receiverIndex(ofResponse: m2) == 0xA1A2_A3A4)
        let iKeys = try initiator.readResponse(m2)
        #expect(iKeys.sendKey == rKeys.receiveKey && iKeys.receiveKey == rKeys.sendKey && iKeys.sendKey != iKeys.receiveKey)
        #expect(iKeys.localIndex == 0xA1A2_A3A4 && iKeys.remoteIndex == 0xB1B2_B3B4)
        #expect(rKeys.localIndex == 0xB1B2_B3B4 && rKeys.remoteIndex == 0xA1A2_A3A4)
        #expect(iKeys.peerStatic == Self.collector.publicKey && rKeys.peerStatic == Self.agent.publicKey)
        #expect(iKeys.handshakeHash == rKeys.handshakeHash)
    }

    @Test func badMac1IsRefusedBeforeAnyDH() throws {
        var cookies = CookieState(remoteStatic: Self.collector.publicKey)
        var m1 = try Self.initiate(cookies: &cookies).initiation
        m1[HandshakeLayout.initiationLength - 32] ^= 1
        #expect(throws: NoiseError.badMac1) { try ReceivedInitiation.read(m1, localStatic: Self.collector, usesPSK: false) }
        let checker = CookieChecker(localStatic: Self.collector.publicKey)
        #expect(throws: NoiseError.badMac1) { try checker.check(m1, source: [1], underLoad: false, at: Self.t) }
        // An initiation for another collector has a wrong mac1 too.
        var other = CookieState(remoteStatic: NoiseRulesTests.key(0x33).publicKey)
        let m1b = try HandshakeInitiator(localStatic: Self.agent, remoteStatic: NoiseRulesTests.key(0x33).publicKey, localIndex: 1,
                                         ephemeral: NoiseRulesTests.key(5), timestamp: Self.stamp, cookies: &other, at: Self.t).initiation
        #expect(throws: NoiseError.badMac1) { try checker.check(m1b, source: [1], underLoad: false, at: Self.t) }
    }

    @Test func layoutErrors() throws {
        #expect(throws: NoiseError.truncated(expected: 145, got: 144)) {
            try ReceivedInitiation.read([0x22] + [UInt8](repeating: 0, count: 143), localStatic: Self.collector, usesPSK: false)
        }
        #expect(throws: NoiseError.unknownVersion(1)) { try DatagramType(byte0: 0x12) }
        #expect(throws: NoiseError.unknownType(9)) { try DatagramType(byte0: 0x29) }
        #expect(throws: NoiseError.unknownType(1)) {
            try ReceivedInitiation.read([0x21] + [UInt8](repeating: 0, count: 144), localStatic: Self.collector, usesPSK: false)
        }
        #expect(DatagramType.allCases.map(\.byte0) == [0x21, 0x22, 0x23, 0x24, 0x25])
    }

    @Test func tamperedOrMisdirectedResponsesFail() throws {
        var cookies = CookieState(remoteStatic: Self.collector.publicKey)
        var initiator = try Self.initiate(cookies: &cookies)
        let received = try ReceivedInitiation.read(initiator.initiation, localStatic: Self.collector, usesPSK: false)
        let (m2, _) = try received.respond(localIndex: 7, ephemeral: NoiseRulesTests.key(6))
        var wrongIndex = m2
        wrongIndex[8] ^= 1
        #expect(throws: NoiseError.unknownReceiverIndex(0xA1A2_A3A5)) { try initiator.readResponse(wrongIndex) }
        var badMac = m2
        badMac[60] ^= 1
        #expect(throws: NoiseError.badMac1) { try initiator.readResponse(badMac) }
        // A forged response with a valid mac1 (the agent's public key is no secret) fails
        // alone: the genuine response still completes the handshake.
        var forged = m2
        forged[20] ^= 1
        Macs.stamp(&forged, mac1Key: Macs.mac1Key(for: Self.agent.publicKey), cookie: nil)
        #expect(throws: NoiseError.decryptFailed) { try initiator.readResponse(forged) }
        _ = try initiator.readResponse(m2)
    }

    @Test func pskModeMustMatch() throws {
        var cookies = CookieState(remoteStatic: Self.collector.publicKey)
        let ik = try Self.initiate(cookies: &cookies)
        #expect(throws: NoiseError.decryptFailed) { try ReceivedInitiation.read(ik.initiation, localStatic: Self.collector, usesPSK: true) }
        let psk = try Self.initiate(psk: [UInt8](repeating: 1, count: 32), cookies: &cookies)
        let received = try ReceivedInitiation.read(psk.initiation, localStatic: Self.collector, usesPSK: true)
        #expect(throws: NoiseError.pskMismatch) { try received.respond(localIndex: 1, ephemeral: NoiseRulesTests.key(6)) }
    }

    @Test func timestampsOrderAndEncode() throws {
        let a = TAI64N(unixSeconds: 10, nanoseconds: 999_999_999), b = TAI64N(unixSeconds: 11, nanoseconds: 0)
        #expect(a < b)
        #expect(TAI64N(seconds: 1, nanoseconds: 2).bytes == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(try TAI64N(bytes: b.bytes) == b)
        #expect(TAI64N(unixSeconds: 0, nanoseconds: 0).seconds == 0x4000_0000_0000_000A)
    }
}
