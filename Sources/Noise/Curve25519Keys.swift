import Crypto

/// An X25519 private key (32 bytes), the static or ephemeral key of one side.
///
/// Held as raw bytes so the type is `Sendable` (swift-crypto's key types are not marked
/// so); the Crypto key is rebuilt for each Diffie–Hellman, which costs far less than the
/// DH itself. The bytes live in `SecretBytes`, zeroed when the last copy of the key goes
/// (a handshake drops its ephemeral key as soon as it completes).
public struct PrivateKey: Sendable, Equatable {
    let secret: SecretBytes
    /// The 32 raw bytes, as X25519 takes them (clamping happens inside the DH). A copy,
    /// which this type does not wipe: for key files and test vectors.
    public var rawRepresentation: [UInt8] { secret.bytes }
    /// The matching public key.
    public let publicKey: PublicKey

    /// A key from its 32 raw bytes (a key file, a test vector).
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(NoiseError) {
        var raw = Array(bytes)
        defer { raw.wipe() }
        guard raw.count == 32 else { throw .badKeyLength(expected: 32, got: raw.count) }
        do {
            let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
            publicKey = PublicKey(unchecked: Array(key.publicKey.rawRepresentation))
            secret = SecretBytes(raw)
        } catch {
            throw .badKeyLength(expected: 32, got: raw.count)
        }
    }

    /// A fresh key from `rng` (production passes `SystemRandomNumberGenerator`; tests a
    /// seeded generator, so a run is reproducible).
    public init(using rng: inout some RandomNumberGenerator) {
        // Any 32 bytes make a valid X25519 private key, so the first draw always succeeds;
        // the loop only keeps every path free of traps and of the global generator.
        while true {
            var raw = rng.bytes(32)
            if let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) {
                publicKey = PublicKey(unchecked: Array(key.publicKey.rawRepresentation))
                secret = SecretBytes(wiping: &raw)
                return
            }
            raw.wipe()
        }
    }

    public static func == (a: PrivateKey, b: PrivateKey) -> Bool { a.secret.isEqual(to: b.secret) }

    /// X25519(self, peer): the 32-byte shared secret (the caller wipes it after use).
    /// Throws `.weakPublicKey` for an all-zero result (a low-order peer key), which Noise
    /// allows and WireGuard requires rejecting.
    public func sharedSecret(with peer: PublicKey) throws(NoiseError) -> [UInt8] {
        let out: [UInt8]
        do {
            let mine = try secret.withUnsafeBytes { try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: $0) }
            let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.rawRepresentation)
            let shared = try mine.sharedSecretFromKeyAgreement(with: theirs)
            out = shared.withUnsafeBytes { Array($0) }
        } catch {
            throw .weakPublicKey
        }
        guard out.count == 32 else { throw .badKeyLength(expected: 32, got: out.count) }
        guard out.contains(where: { $0 != 0 }) else { throw .weakPublicKey }
        return out
    }
}

/// An X25519 public key (32 bytes): what a collector's operator hands to agents to pin,
/// and what a collector checks against its allow list.
public struct PublicKey: Sendable, Hashable {
    /// The 32 raw bytes.
    public let rawRepresentation: [UInt8]

    /// A key from its 32 raw bytes.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(NoiseError) {
        let raw = Array(bytes)
        guard raw.count == 32 else { throw .badKeyLength(expected: 32, got: raw.count) }
        rawRepresentation = raw
    }

    init(unchecked raw: [UInt8]) { rawRepresentation = raw }

    /// The key's bytes in one call (a collector looks peers up by key on every datagram).
    public func hash(into hasher: inout Hasher) {
        rawRepresentation.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (a: PublicKey, b: PublicKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
}
