import CLibcrypto
import Crypto
import Synchronization

/// ChaCha20-Poly1305 (RFC 8439) under one transport key in one direction, through
/// libcrypto's EVP interface (`Sources/CLibcrypto/shim.h`): the DATA and CONTROL
/// protection of SPEC §6.4 and §10.8, in place and without allocating.
///
/// The EVP context is keyed once, when the handshake completes; each seal or open then only
/// sets the nonce (4 zero bytes ‖ packet number big-endian), feeds the header as associated
/// data and runs over the payload where it lies. The output is byte for byte what
/// swift-crypto's `ChaChaPoly` gives (NoiseTests checks both on random inputs).
///
/// An `EVP_CIPHER_CTX` must not be used by two threads at once, and `TransportKeys` is a
/// `Sendable` value whose copies share this object, so the context sits behind a `Mutex`.
/// A call takes it with `withLockIfAvailable` (one uncontended atomic exchange each way);
/// when another thread holds it, the call does not wait but builds a one-off context from
/// the key (about 1.1 µs here, against 2.8 µs for
/// the open of a 1400-byte datagram), so concurrent use of one session's keys
/// is correct, merely slower. The context, and libcrypto's copy of the key in it, are freed
/// (and cleansed by `EVP_CIPHER_CTX_free`) when the last copy of the keys goes.
final class ChaChaPolyContext: Sendable {
    /// The reused context; nil only if libcrypto could not make one (every call then takes
    /// the one-off path).
    private let context: Mutex<OpaquePointer?>
    /// The key, for one-off contexts. `SymmetricKey` keeps it in swift-crypto's
    /// `SecureBytes`, which zeroes its storage when freed.
    let key: SendableKey
    /// Seals (true) or opens (false).
    let sealing: Bool

    init(key: SendableKey, sealing: Bool) {
        self.key = key
        self.sealing = sealing
        context = Mutex(Self.makeContext(key, sealing: sealing))
    }

    deinit {
        context.withLock { c in
            if let made = c { flamewire_aead_free(made) }
            c = nil
        }
    }

    private static func makeContext(_ key: SendableKey, sealing: Bool) -> OpaquePointer? {
        key.key.withUnsafeBytes { k -> OpaquePointer? in
            guard k.count == 32, let base = k.baseAddress else { return nil }
            return flamewire_aead_new(base.assumingMemoryBound(to: UInt8.self), sealing ? 1 : 0)
        }
    }

    /// Runs `body` with the shared context, or with a one-off context when another thread
    /// holds the shared one. False when libcrypto fails or `body` does.
    @inline(__always)
    private func withContext(_ body: (OpaquePointer) -> Int32) -> Bool {
        let shared: Int32?? = context.withLockIfAvailable { c -> Int32? in
            guard let made = c else { return nil }
            return body(made)
        }
        if case .some(.some(let r)) = shared { return r == 1 }
        guard let once = Self.makeContext(key, sealing: sealing) else { return false }
        defer { flamewire_aead_free(once) }
        return body(once) == 1
    }

    /// Encrypts `payload` in place and writes the 16-byte tag to `tag` (whose count the
    /// caller checked), authenticating `header`.
    func seal(header: UnsafeRawBufferPointer, packetNumber: UInt64, payload: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) -> Bool {
        precondition(sealing && tag.count == 16)
        guard let t = tag.baseAddress else { return false }
        return withContext { ctx in
            flamewire_aead_seal(ctx, packetNumber, header.baseAddress?.assumingMemoryBound(to: UInt8.self), header.count,
                                payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count, t.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Verifies `tag` (16 bytes) over `header` and the encrypted `payload`, decrypting the
    /// payload in place. False when not authentic; the payload is then as it was.
    func open(header: UnsafeRawBufferPointer, packetNumber: UInt64, payload: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
        precondition(!sealing && tag.count == 16)
        guard let t = tag.baseAddress else { return false }
        return withContext { ctx in
            flamewire_aead_open(ctx, packetNumber, header.baseAddress?.assumingMemoryBound(to: UInt8.self), header.count,
                                payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count, t.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Verifies `tag` (16 bytes) over `header` and the `ciphertext`, writing the plaintext
    /// to `plaintext` (same count, not overlapping). False when not authentic; `plaintext`
    /// then holds bytes to discard. The ciphertext is only read.
    func open(header: UnsafeRawBufferPointer, packetNumber: UInt64, ciphertext: UnsafeRawBufferPointer,
              into plaintext: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
        precondition(!sealing && tag.count == 16 && plaintext.count == ciphertext.count)
        guard let t = tag.baseAddress else { return false }
        return withContext { ctx in
            flamewire_aead_open_into(ctx, packetNumber, header.baseAddress?.assumingMemoryBound(to: UInt8.self), header.count,
                                     ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                     plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), ciphertext.count,
                                     t.assumingMemoryBound(to: UInt8.self))
        }
    }
}
