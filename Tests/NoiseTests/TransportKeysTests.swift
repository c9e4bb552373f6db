import Foundation
import SansIO
import Testing
@testable import Noise

/// DATA protection with the session keys (SPEC §6.4).
struct TransportKeysTests {
    static func session() throws -> (agent: TransportKeys, collector: TransportKeys) {
        var cookies = CookieState(remoteStatic: HandshakeMessageTests.collector.publicKey)
        var initiator = try HandshakeMessageTests.initiate(cookies: &cookies)
        let received = try ReceivedInitiation.read(initiator.initiation, localStatic: HandshakeMessageTests.collector, usesPSK: false)
        let (m2, c) = try received.respond(localIndex: 2, ephemeral: NoiseRulesTests.key(8))
        return (try initiator.readResponse(m2), c)
    }

    static let header: [UInt8] = [0x11] + [UInt8](repeating: 0xAB, count: 26)

    @Test func sealOpenRoundTripInPlace() throws {
        let (a, c) = try Self.session()
        var d = Self.header + Array("symbol".utf8)
        try a.seal(datagram: &d, headerLength: 27, packetNumber: 1)
        #expect(d.count == 27 + 6 + 16)
        #expect(Array(d.prefix(27)) == Self.header, "the header stays in clear")
        #expect(Array(d[27..<33]) != Array("symbol".utf8))
        var e = d
        try c.open(datagram: &e, headerLength: 27, packetNumber: 1)
        #expect(e == Self.header + Array("symbol".utf8))
        // Agent → collector only: the agent cannot open its own datagram.
        var f = d
        #expect(throws: NoiseError.decryptFailed) { try a.open(datagram: &f, headerLength: 27, packetNumber: 1) }
        #expect(f == d, "unchanged on failure")
    }

    @Test func headerAndPacketNumberAreAuthenticated() throws {
        let (a, c) = try Self.session()
        var d = Self.header + [1, 2, 3]
        try a.seal(datagram: &d, headerLength: 27, packetNumber: 5)
        var wrongHeader = d
        wrongHeader[3] ^= 1
        #expect(throws: NoiseError.decryptFailed) { try c.open(datagram: &wrongHeader, headerLength: 27, packetNumber: 5) }
        var copy = d
        #expect(throws: NoiseError.decryptFailed) { try c.open(datagram: &copy, headerLength: 27, packetNumber: 6) }
        var short = Array(d.prefix(30))
        #expect(throws: NoiseError.truncated(expected: 43, got: 30)) { try c.open(datagram: &short, headerLength: 27, packetNumber: 5) }
    }

    @Test func nonceIsFourZeroBytesThenBigEndianPacketNumber() throws {
        #expect(Array(try TransportKeys.nonce(0x0102_0304_0506_0708)) == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    /// Prints a rough rate for 1357-byte symbols (no assertion: machines differ).
    @Test func microMeasurement() throws {
        let (a, c) = try Self.session()
        var d = Self.header + [UInt8](repeating: 7, count: 1357) + [UInt8](repeating: 0, count: 16)
        let n = 20_000
        let start = ContinuousClock.now
        try d.withUnsafeMutableBytes { all in
            let header = UnsafeRawBufferPointer(rebasing: all[..<27])
            let payload = UnsafeMutableRawBufferPointer(rebasing: all[27..<(27 + 1357)])
            let tag = UnsafeMutableRawBufferPointer(rebasing: all[(27 + 1357)...])
            for pn in 0..<UInt64(n) {
                try a.seal(header: header, packetNumber: pn, payload: payload, tag: tag)
                try c.open(header: header, packetNumber: pn, payload: payload, tag: UnsafeRawBufferPointer(tag))
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        print("TransportKeys: \(n) seal+open of 1357-byte symbols in \(String(format: "%.3f", elapsed)) s (\(Int(Double(n) / elapsed)) pairs/s)")
        #expect(Array(d[27..<40]) == [UInt8](repeating: 7, count: 13))
    }
}
