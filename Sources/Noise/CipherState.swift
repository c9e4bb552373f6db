import Crypto
import Foundation

/// Noise's CipherState (rev 34, §5.1) for ChaChaPoly: a key k (or none) and a 64-bit
/// nonce n, encoded as 4 zero bytes ‖ n little-endian (§12.3).
///
/// A failed decryption throws `.decryptFailed` and leaves n unchanged, as the spec says.
/// n = 2^64−1 is reserved: encrypting or decrypting with it throws `.nonceExhausted`.
public struct CipherState: Sendable {
    var key: SendableKey?
    /// The nonce the next EncryptWithAd/DecryptWithAd uses.
    public private(set) var nonce: UInt64 = 0

    /// A CipherState without a key (EncryptWithAd then returns the plaintext unchanged).
    public init() {}

    /// InitializeKey(k): a 32-byte key, or nil for "empty"; resets n to 0.
    public init(key: [UInt8]?) throws(NoiseError) {
        try initializeKey(key)
    }

    /// InitializeKey(k).
    public mutating func initializeKey(_ k: [UInt8]?) throws(NoiseError) {
        if let k {
            guard k.count == 32 else { throw .badKeyLength(expected: 32, got: k.count) }
            key = SendableKey(SymmetricKey(data: k))
        } else {
            key = nil
        }
        nonce = 0
    }

    /// HasKey().
    public var hasKey: Bool { key != nil }

    /// SetNonce(nonce): for out-of-order transports and for tests of nonce exhaustion.
    public mutating func setNonce(_ n: UInt64) { nonce = n }

    /// EncryptWithAd(ad, plaintext): ciphertext ‖ 16-byte tag, then n += 1.
    public mutating func encrypt(_ plaintext: [UInt8], associatedData ad: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { return plaintext }
        guard nonce != .max else { throw .nonceExhausted }
        let out: [UInt8]
        do {
            let box = try ChaChaPoly.seal(plaintext, using: key.key, nonce: Self.nonce(nonce), authenticating: ad)
            out = Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw .decryptFailed
        }
        nonce += 1
        return out
    }

    /// DecryptWithAd(ad, ciphertext): the plaintext, then n += 1. On a bad tag throws
    /// `.decryptFailed` and n stays.
    public mutating func decrypt(_ ciphertext: [UInt8], associatedData ad: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { return ciphertext }
        guard nonce != .max else { throw .nonceExhausted }
        guard ciphertext.count >= 16 else { throw .truncated(expected: 16, got: ciphertext.count) }
        let out: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: Self.nonce(nonce), ciphertext: ciphertext[..<(ciphertext.count - 16)],
                tag: ciphertext[(ciphertext.count - 16)...])
            out = Array(try ChaChaPoly.open(box, using: key.key, authenticating: ad))
        } catch {
            throw .decryptFailed
        }
        nonce += 1
        return out
    }

    /// Rekey(): k = the first 32 bytes of ENCRYPT(k, 2^64−1, empty, 32 zero bytes) (§4.2).
    public mutating func rekey() throws(NoiseError) {
        guard let key else { return }
        do {
            let box = try ChaChaPoly.seal([UInt8](repeating: 0, count: 32), using: key.key, nonce: Self.nonce(.max), authenticating: [UInt8]())
            var k = Array(box.ciphertext)
            self.key = SendableKey(SymmetricKey(data: k))
            k.wipe()
        } catch {
            throw .decryptFailed
        }
    }

    /// The raw key bytes (for deriving transport keys and printing test vectors).
    var keyBytes: [UInt8]? { key?.key.withUnsafeBytes { Array($0) } }

    /// 4 zero bytes ‖ n as 8 little-endian bytes.
    static func nonce(_ n: UInt64) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        return try ChaChaPoly.Nonce(data: bytes)
    }
}

/// A `SymmetricKey` that may cross concurrency domains. swift-crypto 3.12 does not mark
/// `SymmetricKey` Sendable, but its storage is never mutated after creation, so sharing
/// it is safe.
struct SendableKey: @unchecked Sendable {
    let key: SymmetricKey
    init(_ key: SymmetricKey) { self.key = key }
}
