import Crypto
import Foundation

/// The result of a completed handshake: the two session keys and the indices both sides
/// put in DATA datagrams, plus who the peer is.
///
/// `seal` and `open` protect DATA and CONTROL datagrams (SPEC §6.4): ChaCha20-Poly1305
/// with nonce = 4 zero bytes ‖ packet number (u64 big-endian), the datagram header as
/// associated data, the payload encrypted in place and a 16-byte tag after it. They run
/// through libcrypto (`ChaChaPolyContext`): one EVP context per direction, keyed when the
/// handshake completes and reused by every call, so a seal or an open allocates nothing.
/// The handshake itself (Noise, cookies) stays on swift-crypto.
///
/// The packet number comes from the caller and the replay check is `ReplayWindow`, so the
/// value holds no per-datagram state. Copies share the two contexts, each behind a lock:
/// a value may be shared between threads, but one session's datagrams are meant to be
/// opened (and sealed) by one thread at a time; a call that finds its context busy on
/// another thread does not wait, it builds a one-off context (correct; about 1.1 µs more
/// per call here). Tools/bench/session.sh measures the open against swift-crypto's.
public struct TransportKeys: Sendable {
    /// Our index: peers put it in the connection id of DATA datagrams sent to us.
    public let localIndex: UInt32
    /// The peer's index: we put it in the connection id of DATA datagrams we send.
    public let remoteIndex: UInt32
    /// The peer's static public key (the responder checks it against its allow list).
    public let peerStatic: PublicKey
    /// The Noise handshake hash h, identical on both sides (a session identifier).
    public let handshakeHash: [UInt8]
    let send: SendableKey
    let receive: SendableKey
    /// libcrypto contexts for `send` (sealing) and `receive` (opening).
    let sealer: ChaChaPolyContext
    let opener: ChaChaPolyContext

    /// The tag length.
    public static let tagLength = 16

    /// The keys of a completed handshake `state`.
    init(localIndex: UInt32, remoteIndex: UInt32, peerStatic: PublicKey, completed state: HandshakeState) throws(NoiseError) {
        (send, receive) = try state.transportKeys()
        sealer = ChaChaPolyContext(key: send, sealing: true)
        opener = ChaChaPolyContext(key: receive, sealing: false)
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.peerStatic = peerStatic
        self.handshakeHash = state.handshakeHash
    }

    /// Keys from raw 32-byte keys, outside a handshake (tests of the AEAD alone).
    init(sendKey: [UInt8], receiveKey: [UInt8], localIndex: UInt32 = 1, remoteIndex: UInt32 = 2) {
        send = SendableKey(SymmetricKey(data: sendKey))
        receive = SendableKey(SymmetricKey(data: receiveKey))
        sealer = ChaChaPolyContext(key: send, sealing: true)
        opener = ChaChaPolyContext(key: receive, sealing: false)
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        peerStatic = PublicKey(unchecked: [UInt8](repeating: 9, count: 32))
        handshakeHash = []
    }

    /// The raw sending key (test vectors, debugging; never log it in production).
    public var sendKey: [UInt8] { send.key.withUnsafeBytes { Array($0) } }
    /// The raw receiving key.
    public var receiveKey: [UInt8] { receive.key.withUnsafeBytes { Array($0) } }

    /// Encrypts `payload` in place and writes its tag to `tag` (16 bytes), authenticating `header`.
    public func seal(header: UnsafeRawBufferPointer, packetNumber: UInt64, payload: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws(NoiseError) {
        guard tag.count == Self.tagLength else { throw .truncated(expected: Self.tagLength, got: tag.count) }
        // libcrypto fails here only when it cannot allocate.
        guard sealer.seal(header: header, packetNumber: packetNumber, payload: payload, tag: tag) else { throw .decryptFailed }
    }

    /// Verifies `tag` over `header` and the encrypted `payload`, then decrypts `payload` in
    /// place. On `.decryptFailed` the payload is left as it was.
    public func open(header: UnsafeRawBufferPointer, packetNumber: UInt64, payload: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) throws(NoiseError) {
        guard tag.count == Self.tagLength else { throw .truncated(expected: Self.tagLength, got: tag.count) }
        guard opener.open(header: header, packetNumber: packetNumber, payload: payload, tag: tag) else { throw .decryptFailed }
    }

    /// Verifies `tag` over `header` and the encrypted `ciphertext`, writing the plaintext
    /// to `plaintext` (the same count, not overlapping): a receiver opens a datagram it
    /// only borrows without copying it first. On `.decryptFailed`, `plaintext` holds bytes
    /// to discard.
    public func open(header: UnsafeRawBufferPointer, packetNumber: UInt64, ciphertext: UnsafeRawBufferPointer,
                     into plaintext: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer) throws(NoiseError) {
        guard tag.count == Self.tagLength else { throw .truncated(expected: Self.tagLength, got: tag.count) }
        guard plaintext.count == ciphertext.count else { throw .truncated(expected: ciphertext.count, got: plaintext.count) }
        guard opener.open(header: header, packetNumber: packetNumber, ciphertext: ciphertext, into: plaintext, tag: tag) else {
            throw .decryptFailed
        }
    }

    /// Seals a datagram held as header ‖ plaintext payload: encrypts the payload in place
    /// and appends the 16-byte tag.
    public func seal(datagram: inout [UInt8], headerLength: Int, packetNumber: UInt64) throws(NoiseError) {
        guard datagram.count >= headerLength else { throw .truncated(expected: headerLength, got: datagram.count) }
        datagram.append(contentsOf: repeatElement(0, count: Self.tagLength))
        let end = datagram.count - Self.tagLength
        let result: Result<Void, NoiseError> = datagram.withUnsafeMutableBytes { all in
            do throws(NoiseError) {
                try seal(header: UnsafeRawBufferPointer(rebasing: all[..<headerLength]), packetNumber: packetNumber,
                         payload: UnsafeMutableRawBufferPointer(rebasing: all[headerLength..<end]),
                         tag: UnsafeMutableRawBufferPointer(rebasing: all[end...]))
                return .success(())
            } catch { return .failure(error) }
        }
        if case .failure(let e) = result {
            datagram.removeLast(Self.tagLength)
            throw e
        }
    }

    /// Opens a sealed datagram (header ‖ encrypted payload ‖ tag): verifies the tag,
    /// decrypts the payload in place and removes the tag. Unchanged on failure.
    public func open(datagram: inout [UInt8], headerLength: Int, packetNumber: UInt64) throws(NoiseError) {
        guard datagram.count >= headerLength + Self.tagLength else {
            throw .truncated(expected: headerLength + Self.tagLength, got: datagram.count)
        }
        let end = datagram.count - Self.tagLength
        let result: Result<Void, NoiseError> = datagram.withUnsafeMutableBytes { all in
            do throws(NoiseError) {
                try open(header: UnsafeRawBufferPointer(rebasing: all[..<headerLength]), packetNumber: packetNumber,
                         payload: UnsafeMutableRawBufferPointer(rebasing: all[headerLength..<end]),
                         tag: UnsafeRawBufferPointer(rebasing: all[end...]))
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
        datagram.removeLast(Self.tagLength)
    }

    /// 4 zero bytes ‖ packet number big-endian, as swift-crypto takes it (the libcrypto path
    /// builds the same 12 bytes in `flamewire_aead_start`; tests compare the two).
    static func nonce(_ pn: UInt64) throws -> ChaChaPoly.Nonce {
        var words: (UInt64, UInt64) = (0, pn.bigEndian)
        return try withUnsafeBytes(of: &words) { try ChaChaPoly.Nonce(data: UnsafeRawBufferPointer(rebasing: $0[4..<16])) }
    }
}
