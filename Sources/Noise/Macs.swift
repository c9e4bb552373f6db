import Crypto

/// mac1 and mac2 of handshake datagrams (the last 32 bytes: mac1 then mac2), modelled on
/// WireGuard with HMAC-SHA256 instead of keyed BLAKE2s:
///
///     mac1 = HMAC-SHA256(SHA-256("mac1----" ‖ receiver static public key), bytes before mac1)[0..<16]
///     mac2 = HMAC-SHA256(cookie, bytes before mac2)[0..<16], or 16 zero bytes without a cookie
///
/// The receiver of the message is the collector for an initiation and the agent for a
/// response: mac1 proves the sender knows the receiver's public key, before any DH.
public enum Macs {
    /// SHA-256("mac1----" ‖ key): the mac1 key of messages sent to `key`'s owner.
    public static func mac1Key(for key: PublicKey) -> [UInt8] {
        NoiseHash.hash(Array("mac1----".utf8), key.rawRepresentation)
    }

    /// SHA-256("cookie--" ‖ key): the key that encrypts cookie replies from `key`'s owner.
    public static func cookieKey(for key: PublicKey) -> [UInt8] {
        NoiseHash.hash(Array("cookie--".utf8), key.rawRepresentation)
    }

    /// The first 16 bytes of HMAC-SHA256(key, data).
    static func mac(key: [UInt8], _ data: ArraySlice<UInt8>) -> [UInt8] {
        key.withUnsafeBytes { mac(key: $0, data) }
    }

    static func mac(key: UnsafeRawBufferPointer, _ data: ArraySlice<UInt8>) -> [UInt8] {
        var m = HMAC<SHA256>(key: SymmetricKey(data: key))
        m.update(data: data)
        return Array(Array(m.finalize()).prefix(16))
    }

    /// Offset of mac1 in a message of `count` bytes.
    static func mac1Offset(_ count: Int) -> Int { count - 32 }
    /// Offset of mac2.
    static func mac2Offset(_ count: Int) -> Int { count - 16 }

    /// Writes mac1 (with `mac1Key`) and mac2 (with `cookie`, or zeros) into the last 32
    /// bytes of `message`; returns mac1.
    @discardableResult
    static func stamp(_ message: inout [UInt8], mac1Key: [UInt8], cookie: [UInt8]?) -> [UInt8] {
        let o1 = mac1Offset(message.count), o2 = mac2Offset(message.count)
        let mac1 = mac(key: mac1Key, message[..<o1])
        message.replaceSubrange(o1..<o2, with: mac1)
        let mac2 = cookie.map { mac(key: $0, message[..<o2]) } ?? [UInt8](repeating: 0, count: 16)
        message.replaceSubrange(o2..., with: mac2)
        return mac1
    }

    /// Whether mac1 of `message` is right for `mac1Key`.
    static func verifyMac1(_ message: [UInt8], mac1Key: [UInt8]) -> Bool {
        let o1 = mac1Offset(message.count)
        return constantTimeEqual(mac(key: mac1Key, message[..<o1]), message[o1..<(o1 + 16)])
    }

    /// Whether mac2 of `message` is right for `cookie`.
    static func verifyMac2(_ message: [UInt8], cookie: [UInt8]) -> Bool {
        let o2 = mac2Offset(message.count)
        return constantTimeEqual(mac(key: cookie, message[..<o2]), message[o2...])
    }

    /// mac1 of a stamped message (the associated data of the cookie reply answering it).
    static func mac1(of message: [UInt8]) -> [UInt8] {
        let o1 = mac1Offset(message.count)
        return Array(message[o1..<(o1 + 16)])
    }
}
