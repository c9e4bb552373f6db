import Foundation
import Testing
@testable import Noise

/// The published cacophony vectors for Noise_IK and Noise_IKpsk2 (25519, ChaChaPoly,
/// SHA256): every handshake and transport ciphertext reproduced byte for byte, in both
/// directions, and the handshake hash.
struct CacophonyVectorTests {
    struct Fixture: Decodable {
        var vectors: [Vector]
    }

    struct Vector: Decodable {
        var protocol_name: String
        var init_prologue: String
        var init_psks: [String]?
        var init_static: String
        var init_ephemeral: String
        var init_remote_static: String
        var resp_prologue: String
        var resp_psks: [String]?
        var resp_static: String
        var resp_ephemeral: String
        var handshake_hash: String?
        var messages: [Message]
    }

    struct Message: Decodable {
        var payload: String
        var ciphertext: String
    }

    static func load() throws -> [Vector] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/cacophony-ik", withExtension: "json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).vectors
    }

    @Test func fixtureHoldsBothPatterns() throws {
        let names = try Self.load().map(\.protocol_name)
        #expect(names == [HandshakePattern.IK.protocolName, HandshakePattern.IKpsk2.protocolName])
    }

    @Test(arguments: [HandshakePattern.IK, .IKpsk2])
    func reproducesEveryCiphertext(_ pattern: HandshakePattern) throws {
        let v = try #require(try Self.load().first { $0.protocol_name == pattern.protocolName })
        let respStatic = try PrivateKey(rawRepresentation: unhex(v.resp_static))
        #expect(respStatic.publicKey.rawRepresentation == unhex(v.init_remote_static))
        var initiator = try HandshakeState(
            pattern: pattern, role: .initiator, prologue: unhex(v.init_prologue),
            localStatic: PrivateKey(rawRepresentation: unhex(v.init_static)),
            remoteStatic: PublicKey(rawRepresentation: unhex(v.init_remote_static)),
            ephemeral: PrivateKey(rawRepresentation: unhex(v.init_ephemeral)),
            psk: v.init_psks?.first.map(unhex))
        var responder = try HandshakeState(
            pattern: pattern, role: .responder, prologue: unhex(v.resp_prologue), localStatic: respStatic,
            remoteStatic: nil, ephemeral: PrivateKey(rawRepresentation: unhex(v.resp_ephemeral)),
            psk: v.resp_psks?.first.map(unhex))

        // Handshake: message 0 initiator → responder, message 1 back.
        for (i, m) in v.messages.prefix(2).enumerated() {
            let fromInitiator = i % 2 == 0
            let c = fromInitiator ? try initiator.writeMessage(payload: unhex(m.payload)) : try responder.writeMessage(payload: unhex(m.payload))
            #expect(hex(c) == m.ciphertext, "handshake message \(i)")
            let p = fromInitiator ? try responder.readMessage(c) : try initiator.readMessage(c)
            #expect(hex(p) == m.payload)
        }
        #expect(initiator.isComplete && responder.isComplete)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        if let h = v.handshake_hash { #expect(hex(initiator.handshakeHash) == h) }
        let initStatic = try PrivateKey(rawRepresentation: unhex(v.init_static))
        #expect(responder.remoteStatic == initStatic.publicKey)

        // Transport messages after Split, alternating directions.
        var (iSend, iRecv) = try initiator.split()
        var (rSend, rRecv) = try responder.split()
        for (i, m) in v.messages.enumerated().dropFirst(2) {
            if i % 2 == 0 {
                let c = try iSend.encrypt(unhex(m.payload), associatedData: [])
                #expect(hex(c) == m.ciphertext, "transport message \(i)")
                #expect(hex(try rRecv.decrypt(c, associatedData: [])) == m.payload)
            } else {
                let c = try rSend.encrypt(unhex(m.payload), associatedData: [])
                #expect(hex(c) == m.ciphertext, "transport message \(i)")
                #expect(hex(try iRecv.decrypt(c, associatedData: [])) == m.payload)
            }
        }
        #expect(v.messages.count == 6)
    }
}
