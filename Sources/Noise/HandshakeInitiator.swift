import SansIO

/// The agent's side of a FlameWire handshake: builds the initiation (which pins the
/// collector's static key) and turns the collector's response into `TransportKeys`.
///
/// Initiation layout: byte 0, sender index (u32), IK message 1 (ephemeral 32, encrypted
/// static 48, encrypted TAI64N timestamp 28), mac1 16, mac2 16: 145 bytes.
public struct HandshakeInitiator: Sendable {
    /// Our index for this session (the collector puts it in what it sends us).
    public let localIndex: UInt32
    /// The collector's pinned static key.
    public let remoteStatic: PublicKey
    /// The datagram to send (resend the same bytes until a response or a timeout).
    public private(set) var initiation: [UInt8]
    var state: HandshakeState
    let responseMac1Key: [UInt8]

    /// Builds the initiation.
    /// - Parameters:
    ///   - localStatic: the agent's static key.
    ///   - remoteStatic: the collector's static public key, pinned in the agent's config.
    ///   - psk: 32 bytes for IKpsk2 (both sides configure it), nil for IK.
    ///   - localIndex: a random index the caller picked that no other session uses.
    ///   - ephemeral: a fresh random key (`PrivateKey(using: &rng)`).
    ///   - timestamp: the current time as TAI64N; it must grow with every initiation.
    ///   - cookies: stamps mac1 and mac2 (with a cookie from a recent cookie reply).
    ///   - now: for the cookie's age.
    public init(
        localStatic: PrivateKey, remoteStatic: PublicKey, psk: [UInt8]? = nil, localIndex: UInt32,
        ephemeral: PrivateKey, timestamp: TAI64N, cookies: inout CookieState, at now: Instant
    ) throws(NoiseError) {
        var state = try HandshakeState(
            pattern: FlameWireHandshake.pattern(psk: psk), role: .initiator, prologue: FlameWireHandshake.prologue,
            localStatic: localStatic, remoteStatic: remoteStatic, ephemeral: ephemeral, psk: psk)
        var out: [UInt8] = [DatagramType.handshakeInitiation.byte0]
        out.reserveCapacity(HandshakeLayout.initiationLength)
        out.appendBigEndian(localIndex)
        out += try state.writeMessage(payload: timestamp.bytes)
        out += [UInt8](repeating: 0, count: 32)
        cookies.stamp(&out, at: now)
        self.localIndex = localIndex
        self.remoteStatic = remoteStatic
        self.state = state
        self.initiation = out
        self.responseMac1Key = Macs.mac1Key(for: localStatic.publicKey)
    }

    /// Builds the initiation with an ephemeral key drawn from `rng`.
    public init(
        localStatic: PrivateKey, remoteStatic: PublicKey, psk: [UInt8]? = nil, localIndex: UInt32,
        timestamp: TAI64N, cookies: inout CookieState, at now: Instant, using rng: inout some RandomNumberGenerator
    ) throws(NoiseError) {
        try self.init(
            localStatic: localStatic, remoteStatic: remoteStatic, psk: psk, localIndex: localIndex,
            ephemeral: PrivateKey(using: &rng), timestamp: timestamp, cookies: &cookies, at: now)
    }

    /// The receiver index of a response (to find the pending initiator it answers), or nil
    /// when `datagram` is not a response.
    public static func receiverIndex(ofResponse datagram: [UInt8]) -> UInt32? {
        guard datagram.count == HandshakeLayout.responseLength, datagram[0] == DatagramType.handshakeResponse.byte0 else { return nil }
        return readBigEndian32(datagram, at: 5)
    }

    /// Checks the collector's response (layout, receiver index, mac1 keyed by our public
    /// key, then the Noise message) and returns the session keys.
    ///
    /// The Noise state is advanced on a copy and kept only on success, so a forged
    /// response (anyone who saw the initiation can compute a valid mac1) fails alone and the
    /// genuine response can still complete this handshake.
    public mutating func readResponse(_ datagram: [UInt8]) throws(NoiseError) -> TransportKeys {
        try HandshakeLayout.check(datagram, is: .handshakeResponse)
        let receiver = readBigEndian32(datagram, at: 5)
        guard receiver == localIndex else { throw .unknownReceiverIndex(receiver) }
        guard Macs.verifyMac1(datagram, mac1Key: responseMac1Key) else { throw .badMac1 }
        var attempt = state
        let payload = try attempt.readMessage(Array(datagram[9..<(HandshakeLayout.responseLength - 32)]))
        guard payload.isEmpty else { throw .decryptFailed }
        let keys = try TransportKeys(
            localIndex: localIndex, remoteIndex: readBigEndian32(datagram, at: 1), peerStatic: remoteStatic, completed: attempt)
        state = attempt
        return keys
    }
}
