import Testing
@testable import Noise

/// The rules of the Noise spec (rev 34) beyond the vectors.
struct NoiseRulesTests {
    static func key(_ b: UInt8) -> PrivateKey { try! PrivateKey(rawRepresentation: [UInt8](repeating: b, count: 32)) }

    @Test func protocolNamesHashOrPad() {
        // 32 bytes: padded (here: exactly the name); 36 bytes: hashed.
        #expect(SymmetricState(protocolName: HandshakePattern.IK.protocolName).handshakeHash == Array(HandshakePattern.IK.protocolName.utf8))
        #expect(SymmetricState(protocolName: "Noise_NN").handshakeHash == Array("Noise_NN".utf8) + [UInt8](repeating: 0, count: 24))
        #expect(SymmetricState(protocolName: HandshakePattern.IKpsk2.protocolName).handshakeHash == NoiseHash.hash(Array(HandshakePattern.IKpsk2.protocolName.utf8)))
    }

    @Test func dhOutputsAre32BytesAndLowOrderKeysAreRefused() throws {
        let a = Self.key(1), b = Self.key(2)
        let ab = try a.sharedSecret(with: b.publicKey)
        #expect(ab.count == 32)
        #expect(ab == (try b.sharedSecret(with: a.publicKey)))
        let zero = try PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        #expect(throws: NoiseError.weakPublicKey) { try a.sharedSecret(with: zero) }
        #expect(throws: NoiseError.badKeyLength(expected: 32, got: 31)) { try PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) }
    }

    @Test func cipherStateWithoutKeyPassesThrough() throws {
        var c = CipherState()
        #expect(try c.encrypt([1, 2, 3], associatedData: [9]) == [1, 2, 3])
        #expect(c.nonce == 0)
    }

    @Test func decryptFailureThrowsAndKeepsTheNonce() throws {
        var a = try CipherState(key: [UInt8](repeating: 7, count: 32))
        var b = a
        var c = try a.encrypt([1, 2, 3], associatedData: [])
        c[0] ^= 1
        #expect(throws: NoiseError.decryptFailed) { try b.decrypt(c, associatedData: []) }
        #expect(b.nonce == 0)
        c[0] ^= 1
        #expect(try b.decrypt(c, associatedData: []) == [1, 2, 3])
        #expect(b.nonce == 1)
        #expect(throws: NoiseError.truncated(expected: 16, got: 3)) { try b.decrypt([1, 2, 3], associatedData: []) }
    }

    @Test func nonceIsLittleEndianAfterFourZeroBytes() throws {
        var a = try CipherState(key: [UInt8](repeating: 7, count: 32))
        a.setNonce(0x0102_0304_0506_0708)
        let c = try a.encrypt([], associatedData: [])
        // The same seal by hand with nonce 00000000 0807060504030201.
        var b = try CipherState(key: [UInt8](repeating: 7, count: 32))
        b.setNonce(0x0102_0304_0506_0708)
        #expect(try b.decrypt(c, associatedData: []) == [])
        let nonce = try CipherState.nonce(0x0102_0304_0506_0708)
        #expect(Array(nonce) == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
    }

    @Test func nonceExhaustsAtTwoToTheSixtyFourMinusOne() throws {
        var a = try CipherState(key: [UInt8](repeating: 7, count: 32))
        a.setNonce(.max - 1)
        _ = try a.encrypt([1], associatedData: [])
        #expect(a.nonce == .max)
        #expect(throws: NoiseError.nonceExhausted) { try a.encrypt([1], associatedData: []) }
        #expect(throws: NoiseError.nonceExhausted) { try a.decrypt([UInt8](repeating: 0, count: 17), associatedData: []) }
    }

    @Test func rekeyChangesTheKey() throws {
        var a = try CipherState(key: [UInt8](repeating: 7, count: 32))
        let before = a.keyBytes
        try a.rekey()
        #expect(a.keyBytes != before && a.keyBytes?.count == 32)
    }

    func pair(_ pattern: HandshakePattern, prologue: [UInt8] = [1], respPrologue: [UInt8] = [1], psk: [UInt8]? = nil, respPSK: [UInt8]? = nil) throws -> (HandshakeState, HandshakeState) {
        let i = try HandshakeState(pattern: pattern, role: .initiator, prologue: prologue, localStatic: Self.key(1),
                                   remoteStatic: Self.key(2).publicKey, ephemeral: Self.key(3), psk: psk)
        let r = try HandshakeState(pattern: pattern, role: .responder, prologue: respPrologue, localStatic: Self.key(2),
                                   remoteStatic: nil, ephemeral: Self.key(4), psk: respPSK)
        return (i, r)
    }

    @Test func aFailedHandshakeCannotBeUsedAgain() throws {
        var (i, r) = try pair(.IK)
        var m = try i.writeMessage(payload: [5])
        m[40] ^= 0x80
        #expect(throws: NoiseError.decryptFailed) { try r.readMessage(m) }
        m[40] ^= 0x80
        #expect(throws: NoiseError.handshakeFailed) { try r.readMessage(m) }
        #expect(throws: NoiseError.handshakeFailed) { try r.split() }
    }

    @Test func prologuesMustMatch() throws {
        var (i, r) = try pair(.IK, prologue: Array("FlameWire v1".utf8), respPrologue: Array("FlameWire v2".utf8))
        let m = try i.writeMessage(payload: [])
        #expect(throws: NoiseError.decryptFailed) { try r.readMessage(m) }
    }

    @Test func pskMismatchFailsAtTheInitiator() throws {
        var (i, r) = try pair(.IKpsk2, psk: [UInt8](repeating: 1, count: 32), respPSK: [UInt8](repeating: 2, count: 32))
        _ = try r.readMessage(try i.writeMessage(payload: []))
        let m2 = try r.writeMessage(payload: [])
        #expect(throws: NoiseError.decryptFailed) { try i.readMessage(m2) }
    }

    @Test func pskRulesAndTurnOrder() throws {
        #expect(throws: NoiseError.pskMismatch) { try pair(.IK, psk: [UInt8](repeating: 1, count: 32)) }
        #expect(throws: NoiseError.badKeyLength(expected: 32, got: 3)) { try pair(.IKpsk2, psk: [1, 2, 3]) }
        var (i, r) = try pair(.IK)
        #expect(throws: NoiseError.self) { try r.writeMessage(payload: []) }
        #expect(throws: NoiseError.self) { try i.split() }
        let m1 = try i.writeMessage(payload: [])
        #expect(throws: NoiseError.self) { try i.writeMessage(payload: []) }
        #expect(throws: NoiseError.truncated(expected: 32, got: 10)) { try r.readMessage(Array(m1.prefix(10))) }
    }
}
