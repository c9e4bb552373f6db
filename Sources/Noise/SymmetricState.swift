/// Noise's SymmetricState (rev 34, §5.2) with SHA-256: the chaining key ck, the
/// handshake hash h and a CipherState.
public struct SymmetricState: Sendable {
    /// The CipherState keyed by MixKey (empty until the first MixKey).
    public private(set) var cipherState = CipherState()
    /// ck, in storage zeroed when it is replaced (every MixKey) and when the state goes.
    var ck: SecretBytes
    /// ck (a copy: tests and vectors).
    public var chainingKey: [UInt8] { ck.bytes }
    /// h: after the handshake, the value both sides can bind to the session (GetHandshakeHash).
    public private(set) var handshakeHash: [UInt8]

    /// InitializeSymmetric(protocol_name): h = the name padded with zeros to 32 bytes when
    /// it fits, else SHA-256(name); ck = h; no key.
    public init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= NoiseHash.hashLength {
            handshakeHash = name + [UInt8](repeating: 0, count: NoiseHash.hashLength - name.count)
        } else {
            handshakeHash = NoiseHash.hash(name)
        }
        ck = SecretBytes(handshakeHash)
    }

    /// MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k).
    public mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        var (newCK, k) = NoiseHash.hkdf2(chainingKey: ck, inputKeyMaterial: inputKeyMaterial)
        ck = SecretBytes(wiping: &newCK)
        cipherState.key = SendableKey(.init(data: k))
        k.wipe()
        cipherState.setNonce(0)
    }

    /// MixHash(data): h = SHA-256(h ‖ data).
    public mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = NoiseHash.hash(handshakeHash, data)
    }

    /// MixKeyAndHash(ikm): ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h);
    /// InitializeKey(temp_k). Used by the psk token.
    public mutating func mixKeyAndHash(_ inputKeyMaterial: [UInt8]) {
        var newCK: [UInt8], k: [UInt8]
        let h: [UInt8]
        (newCK, h, k) = NoiseHash.hkdf3(chainingKey: ck, inputKeyMaterial: inputKeyMaterial)
        ck = SecretBytes(wiping: &newCK)
        mixHash(h)
        cipherState.key = SendableKey(.init(data: k))
        k.wipe()
        cipherState.setNonce(0)
    }

    /// EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext).
    public mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let c = try cipherState.encrypt(plaintext, associatedData: handshakeHash)
        mixHash(c)
        return c
    }

    /// DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext).
    public mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let p = try cipherState.decrypt(ciphertext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return p
    }

    /// Split(): temp_k1, temp_k2 = HKDF(ck, empty, 2); two CipherStates (initiator→responder
    /// first).
    public func split() -> (CipherState, CipherState) {
        let (k1, k2) = splitKeys()
        var c1 = CipherState(), c2 = CipherState()
        c1.key = k1
        c2.key = k2
        return (c1, c2)
    }

    /// The two keys of Split(), initiator→responder first.
    func splitKeys() -> (SendableKey, SendableKey) {
        var (k1, k2) = NoiseHash.hkdf2(chainingKey: ck, inputKeyMaterial: [])
        defer { k1.wipe(); k2.wipe() }
        return (SendableKey(.init(data: k1)), SendableKey(.init(data: k2)))
    }
}
