import Crypto
import Foundation
import SansIO

/// The collector's (responder's) defence against handshake floods, as in WireGuard §5.3.
///
/// 1. `check` verifies mac1 first: one HMAC, no DH. A datagram with a bad mac1 is dropped
///    without a reply (only holders of the collector's public key get any work done).
/// 2. When the caller says it is under load, it also requires mac2, a MAC keyed by a
///    cookie only the sender's address can receive. Without a valid mac2 the collector
///    answers with `cookieReply` (smaller than the initiation) instead of doing DH.
///
/// cookie = HMAC-SHA256(secret, source address bytes)[0..<16], where the secret is 32
/// random bytes the caller supplies and replaces every 120 s (`setSecret`). New cookies are
/// always made under the current secret, but mac2 is also accepted under the previous one
/// (kept across one rotation, until no cookie it made can still be in use), so an agent
/// whose cookie was made just before a rotation is not sent a second cookie reply.
public struct CookieChecker: Sendable {
    /// How long a cookie secret, and so a cookie, stays valid.
    public static let secretLifetime: Duration = .seconds(120)

    let mac1Key: [UInt8]
    let cookieKey: SendableKey
    var secret: SecretBytes?
    var secretSetAt: Instant?
    /// The secret before the last rotation, and until when mac2 made with its cookies counts.
    var previousSecret: SecretBytes?
    var previousValidUntil: Instant?

    /// - Parameter localStatic: the collector's static public key.
    public init(localStatic: PublicKey) {
        mac1Key = Macs.mac1Key(for: localStatic)
        cookieKey = SendableKey(SymmetricKey(data: Macs.cookieKey(for: localStatic)))
    }

    /// Whether the secret is missing or older than 120 s, so the caller should `setSecret`.
    public func needsNewSecret(at now: Instant) -> Bool {
        guard secret != nil, let t = secretSetAt else { return true }
        return now - t >= Self.secretLifetime
    }

    /// Installs a fresh 32-byte random secret (from the caller's RNG) at time `now`.
    public mutating func setSecret(_ bytes: [UInt8], at now: Instant) throws(NoiseError) {
        guard bytes.count == 32 else { throw .badKeyLength(expected: 32, got: bytes.count) }
        install(SecretBytes(bytes), at: now)
    }

    /// Replaces the secret from `rng` when `needsNewSecret(at:)`.
    public mutating func rotateSecretIfNeeded(at now: Instant, using rng: inout some RandomNumberGenerator) {
        if needsNewSecret(at: now) {
            var fresh = rng.bytes(32)
            install(SecretBytes(wiping: &fresh), at: now)
        }
    }

    /// Makes `fresh` the current secret and the current one the previous. The last cookie
    /// under the old secret was made before now (and before the old secret went stale); an
    /// agent uses a cookie for 120 s after it arrives, so the old secret counts that long.
    private mutating func install(_ fresh: SecretBytes, at now: Instant) {
        if let old = secret, let t = secretSetAt {
            let lastCookie = min(now, t + Self.secretLifetime)
            previousSecret = old
            previousValidUntil = lastCookie + CookieState.cookieLifetime
        }
        secret = fresh
        secretSetAt = now
    }

    /// What to do with a handshake datagram whose mac1 is valid.
    public enum Verdict: Sendable, Equatable {
        /// Process it (do the DH).
        case accept
        /// Under load and without a valid mac2: answer with `cookieReply` and do nothing else.
        case sendCookieReply
    }

    /// Checks mac1 (always) and mac2 (when `underLoad`) of an initiation or response.
    /// Throws `.badMac1` (drop silently) or a layout error.
    /// - Parameter source: the sender's address bytes, as the runtime gives them (e.g. IP ‖ port).
    public func check(_ datagram: [UInt8], source: [UInt8], underLoad: Bool, at now: Instant) throws(NoiseError) -> Verdict {
        guard let first = datagram.first else { throw .truncated(expected: 1, got: 0) }
        let type = try DatagramType(byte0: first)
        guard type == .handshakeInitiation || type == .handshakeResponse else { throw .unknownType(type.rawValue) }
        try HandshakeLayout.check(datagram, is: type)
        guard Macs.verifyMac1(datagram, mac1Key: mac1Key) else { throw .badMac1 }
        guard underLoad else { return .accept }
        if let c = cookie(for: source, at: now), Macs.verifyMac2(datagram, cookie: c) { return .accept }
        if let c = previousCookie(for: source, at: now), Macs.verifyMac2(datagram, cookie: c) { return .accept }
        return .sendCookieReply
    }

    /// The cookie of `source` under the current secret (nil when the secret is stale).
    public func cookie(for source: [UInt8], at now: Instant) -> [UInt8]? {
        guard !needsNewSecret(at: now), let secret else { return nil }
        return secret.withUnsafeBytes { Macs.mac(key: $0, source[...]) }
    }

    /// The cookie of `source` under the previous secret, while a cookie made with it may
    /// still be in use (nil otherwise). Only ever checked, never handed out.
    func previousCookie(for source: [UInt8], at now: Instant) -> [UInt8]? {
        guard let previousSecret, let until = previousValidUntil, now < until else { return nil }
        return previousSecret.withUnsafeBytes { Macs.mac(key: $0, source[...]) }
    }

    /// The cookie reply to `datagram` (an initiation or response whose mac1 is valid) from
    /// `source`: byte 0, receiver index (the datagram's sender index), a 12-byte nonce from
    /// `rng`, and the cookie encrypted with ChaCha20-Poly1305 under SHA-256("cookie--" ‖
    /// our public key), with the datagram's mac1 as associated data.
    /// Throws `.wrongState` when no fresh secret is set.
    public func cookieReply(to datagram: [UInt8], source: [UInt8], at now: Instant, using rng: inout some RandomNumberGenerator) throws(NoiseError) -> [UInt8] {
        guard datagram.count >= 5 + 32 else { throw .truncated(expected: 37, got: datagram.count) }
        guard let cookie = cookie(for: source, at: now) else {
            throw .wrongState("no cookie secret newer than 120 s: call setSecret or rotateSecretIfNeeded first")
        }
        let nonce = rng.bytes(12)
        var out: [UInt8] = [DatagramType.cookieReply.byte0]
        out.reserveCapacity(HandshakeLayout.cookieReplyLength)
        out += datagram[1..<5]
        out += nonce
        do {
            let box = try ChaChaPoly.seal(cookie, using: cookieKey.key, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: Macs.mac1(of: datagram))
            out += box.ciphertext
            out += box.tag
        } catch {
            throw .decryptFailed
        }
        return out
    }
}
