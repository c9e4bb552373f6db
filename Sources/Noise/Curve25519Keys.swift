import Crypto

/// An X25519 private key (32 bytes), the static or ephemeral key of one side.
///
/// Held as raw bytes so the type is `Sendable` (swift-crypto's key types are not marked
/// so); the Crypto key is rebuilt for each Diffie–Hellman, which costs far less than the
/// DH itself.
public struct PrivateKey: Sendable, Equatable {
    /// The 32 raw bytes, as X25519 takes them (clamping happens inside the DH).
    public let rawRepresentation: [UInt8]
    /// The matching public key.
    public let publicKey: PublicKey

    /// A key from its 32 raw bytes (a key file, a test vector).
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(NoiseError) {
        let raw = Array(bytes)
        guard raw.count == 32 else { throw .badKeyLength(expected: 32, got: raw.count) }
        do {
            let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
            rawRepresentation = raw
            publicKey = PublicKey(unchecked: Array(key.publicKey.rawRepresentation))
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
            let raw = rng.bytes(32)
            if let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) {
                rawRepresentation = raw
                publicKey = PublicKey(unchecked: Array(key.publicKey.rawRepresentation))
                return
            }
        }
    }

    /// X25519(self, peer): the 32-byte shared secret. Throws `.weakPublicKey` for an
    /// all-zero result (a low-order peer key), which Noise allows and WireGuard requires
    /// rejecting.
    public func sharedSecret(with peer: PublicKey) throws(NoiseError) -> [UInt8] {
        let out: [UInt8]
        do {
            let mine = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawRepresentation)
            let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.rawRepresentation)
            let secret = try mine.sharedSecretFromKeyAgreement(with: theirs)
            out = secret.withUnsafeBytes { Array($0) }
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
