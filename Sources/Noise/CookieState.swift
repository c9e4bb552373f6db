import Crypto
import Foundation
import SansIO

/// The agent's (initiator's) side of cookies: stamps mac1 and mac2 on initiations, and
/// keeps the cookie from a cookie reply for 120 s so the next initiation carries a valid
/// mac2 (which a collector under load requires).
public struct CookieState: Sendable {
    /// How long a received cookie is used (the collector's secret lifetime).
    public static let cookieLifetime: Duration = .seconds(120)

    let mac1Key: [UInt8]
    let cookieKey: SendableKey
    var cookie: [UInt8]?
    var cookieReceivedAt: Instant?
    /// mac1 of the last stamped initiation: the associated data of the reply that answers it.
    var lastMac1: [UInt8]?

    /// - Parameter remoteStatic: the collector's (pinned) static public key.
    public init(remoteStatic: PublicKey) {
        mac1Key = Macs.mac1Key(for: remoteStatic)
        cookieKey = SendableKey(SymmetricKey(data: Macs.cookieKey(for: remoteStatic)))
    }

    /// The cookie if one was received less than 120 s before `now`.
    public func currentCookie(at now: Instant) -> [UInt8]? {
        guard let cookie, let t = cookieReceivedAt, now - t < Self.cookieLifetime else { return nil }
        return cookie
    }

    /// Writes mac1 and mac2 (the current cookie's, or zeros) into the last 32 bytes of
    /// `message` and remembers mac1 for a cookie reply.
    public mutating func stamp(_ message: inout [UInt8], at now: Instant) {
        lastMac1 = Macs.stamp(&message, mac1Key: mac1Key, cookie: currentCookie(at: now))
    }

    /// Decrypts a cookie reply to the last stamped initiation and stores its cookie.
    /// Returns the reply's receiver index (the caller checks it names its pending handshake).
    /// Throws `.unexpectedCookieReply` without a stamped initiation, `.decryptFailed` for
    /// a reply that does not answer it.
    @discardableResult
    public mutating func consumeCookieReply(_ reply: [UInt8], at now: Instant) throws(NoiseError) -> UInt32 {
        try HandshakeLayout.check(reply, is: .cookieReply)
        guard let lastMac1 else { throw .unexpectedCookieReply }
        let value: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: ChaChaPoly.Nonce(data: reply[5..<17]), ciphertext: reply[17..<33], tag: reply[33..<49])
            value = Array(try ChaChaPoly.open(box, using: cookieKey.key, authenticating: lastMac1))
        } catch {
            throw .decryptFailed
        }
        cookie = value
        cookieReceivedAt = now
        return readBigEndian32(reply, at: 1)
    }
}
