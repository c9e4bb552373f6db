import Foundation
import SansIO
import Testing
@testable import Noise

/// `Protocol/vectors/handshake-1.txt`: fixed keys, ephemerals, timestamp, indices and psk
/// give exact initiation and response bytes, transport keys and one sealed DATA datagram.
/// Every run regenerates the text and compares it with the committed file byte for byte;
/// `FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter HandshakeVectorTests` rewrites it.
struct HandshakeVectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let file = root.appendingPathComponent("Protocol/vectors/handshake-1.txt")

    static func bytes(_ range: ClosedRange<UInt8>) -> [UInt8] { Array(range) }

    static let agentStatic = bytes(0x01...0x20)
    static let collectorStatic = bytes(0x21...0x40)
    static let agentEphemeral = bytes(0x41...0x60)
    static let collectorEphemeral = bytes(0x61...0x80)
    static let psk = bytes(0xA0...0xBF)
    static let timestamp = TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 123_456_789)
    static let agentIndex: UInt32 = 0x0A0B_0C0D
    static let collectorIndex: UInt32 = 0x0102_0304
    static let symbol = Array("flame".utf8)

    struct Case {
        var lines: [String] = []
        var initiation: [UInt8] = []
        var response: [UInt8] = []
        var sealed: [UInt8] = []
        var plain: [UInt8] = []
        var agent: TransportKeys?
        var collector: TransportKeys?
    }

    static func run(psk: [UInt8]?) throws -> Case {
        var c = Case()
        let agent = try PrivateKey(rawRepresentation: agentStatic)
        let collector = try PrivateKey(rawRepresentation: collectorStatic)
        var cookies = CookieState(remoteStatic: collector.publicKey)
        var initiator = try HandshakeInitiator(
            localStatic: agent, remoteStatic: collector.publicKey, psk: psk, localIndex: agentIndex,
            ephemeral: PrivateKey(rawRepresentation: agentEphemeral), timestamp: timestamp, cookies: &cookies, at: .zero)
        c.initiation = initiator.initiation
        let received = try ReceivedInitiation.read(c.initiation, localStatic: collector, usesPSK: psk != nil)
        let (response, collectorKeys) = try received.respond(
            localIndex: collectorIndex, ephemeral: PrivateKey(rawRepresentation: collectorEphemeral), psk: psk)
        c.response = response
        let agentKeys = try initiator.readResponse(response)
        c.agent = agentKeys
        c.collector = collectorKeys

        // DATA (SPEC §6.3): connection id = the collector's index, packet number 1, bundle 1,
        // block 0, symbol 0, L = 5, then the symbol.
        var header: [UInt8] = [DatagramType.data.byte0]
        header.appendBigEndian(agentKeys.remoteIndex)
        header.appendBigEndian(UInt64(1))
        header.appendBigEndian(UInt32(1))
        header += [0, 0]
        header.appendBigEndian(UInt32(symbol.count))
        c.plain = header + symbol
        c.sealed = c.plain
        try agentKeys.seal(datagram: &c.sealed, headerLength: 23, packetNumber: 1)

        let name = FlameWireHandshake.pattern(psk: psk).protocolName
        c.lines = [
            "[\(psk == nil ? "ik" : "ikpsk2")]",
            "# \(name), prologue \"FlameWire v1\" = \(hex(FlameWireHandshake.prologue))",
            "agent_static_private = \(hex(agentStatic))",
            "agent_static_public = \(hex(agent.publicKey.rawRepresentation))",
            "collector_static_private = \(hex(collectorStatic))",
            "collector_static_public = \(hex(collector.publicKey.rawRepresentation))",
            "agent_ephemeral_private = \(hex(agentEphemeral))",
            "collector_ephemeral_private = \(hex(collectorEphemeral))",
            "psk = \(psk.map(hex) ?? "-")",
            "timestamp = \(hex(timestamp.bytes))",
            "agent_index = \(hex(withUnsafeBytes(of: agentIndex.bigEndian) { Array($0) }))",
            "collector_index = \(hex(withUnsafeBytes(of: collectorIndex.bigEndian) { Array($0) }))",
            "# initiation (\(c.initiation.count) bytes): type, sender index, ephemeral, static (48), timestamp (28), mac1, mac2 (zero: no cookie)",
            "initiation = \(hex(c.initiation))",
            "# response (\(c.response.count) bytes): type, sender index, receiver index, ephemeral, empty payload (16), mac1, mac2 (zero)",
            "response = \(hex(c.response))",
            "handshake_hash = \(hex(agentKeys.handshakeHash))",
            "# transport keys: the agent sends with the first Split output, the collector with the second",
            "agent_send_key = \(hex(agentKeys.sendKey))",
            "collector_send_key = \(hex(collectorKeys.sendKey))",
            "# DATA datagram agent -> collector: 23-byte header (connection id = collector_index, pn 1, bundle 1, block 0, symbol 0, L 5) and the symbol \"flame\"",
            "data_plain = \(hex(c.plain))",
            "# sealed (\(c.sealed.count) bytes): header unchanged, symbol encrypted, 16-byte tag; nonce 00000000 0000000000000001",
            "data_sealed = \(hex(c.sealed))",
        ]
        return c
    }

    static func text() throws -> String {
        let header = [
            "# FlameWire handshake test vectors (Protocol/SPEC.md §10). Generated by",
            "# Tests/NoiseTests/HandshakeVectorTests.swift; regenerate with",
            "# FLAMEWIRE_UPDATE_VECTORS=1 swift test --filter HandshakeVectorTests",
            "# All values are hex. Private keys are raw X25519 scalars (clamped by X25519).",
            "",
        ]
        let ik = try run(psk: nil).lines
        let psk = try run(psk: Self.psk).lines
        return (header + ik + [""] + psk).joined(separator: "\n") + "\n"
    }

    @Test func vectorFileMatches() throws {
        let fresh = try Self.text()
        if ProcessInfo.processInfo.environment["FLAMEWIRE_UPDATE_VECTORS"] == "1" {
            if (try? String(contentsOf: Self.file, encoding: .utf8)) != fresh { try Data(fresh.utf8).write(to: Self.file) }
            return
        }
        let old = try String(contentsOf: Self.file, encoding: .utf8)
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = fresh.split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        #expect(old == fresh, """
            handshake-1.txt differs from a fresh run at line \(i + 1):
              committed: \(i < a.count ? String(a[i].prefix(120)) : "<end>")
              fresh:     \(i < b.count ? String(b[i].prefix(120)) : "<end>")
            If the change is intended, regenerate with FLAMEWIRE_UPDATE_VECTORS=1.
            """)
    }

    /// The vectors are what they say: sizes, the collector opens the DATA datagram, psk changes everything.
    @Test func vectorsAreConsistent() throws {
        let ik = try Self.run(psk: nil), psk = try Self.run(psk: Self.psk)
        for c in [ik, psk] {
            #expect(c.initiation.count == 145 && c.response.count == 89 && c.sealed.count == 23 + 5 + 16)
            var d = c.sealed
            try #require(c.collector).open(datagram: &d, headerLength: 23, packetNumber: 1)
            #expect(d == c.plain)
        }
        #expect(Array(ik.initiation.prefix(37)) == Array(psk.initiation.prefix(37)), "same type, index and ephemeral")
        #expect(ik.initiation[37...] != psk.initiation[37...])
        #expect(ik.agent?.sendKey != psk.agent?.sendKey)
    }
}

/// `Tools/handshake-check/check.py`, written from Protocol/SPEC.md §10 alone with Python's
/// `cryptography` package, reproduces the vector file: the spec is implementable without
/// the Swift code. Skipped (as a known issue) where python3 or the package is missing.
struct IndependentHandshakeCheckTests {
    @Test func pythonImplementationAgrees() throws {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        let probe = try? Self.run(python, ["-c", "import cryptography"])
        guard FileManager.default.isExecutableFile(atPath: python.path), probe?.status == 0 else {
            withKnownIssue("python3 with the cryptography package is not installed (apt-get install python3-cryptography)") {
                Issue.record("independent handshake check skipped")
            }
            return
        }
        let root = HandshakeVectorTests.root
        let (status, output) = try Self.run(python, [
            root.appendingPathComponent("Tools/handshake-check/check.py").path, HandshakeVectorTests.file.path,
        ])
        #expect(status == 0, "check.py failed:\n\(output)")
        #expect(output == "ik ok\nikpsk2 ok\n")
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
