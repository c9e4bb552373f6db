import SansIO

/// The collector's side of a FlameWire handshake, in two steps so the caller decides in
/// between: `ReceivedInitiation.read` reveals who is knocking (static key, timestamp);
/// the caller checks its allow list and the timestamp rule; `respond` finishes.
///
/// Response layout: byte 0, sender index (u32), receiver index (u32), IK message 2
/// (ephemeral 32, encrypted empty payload 16), mac1 16, mac2 16: 89 bytes, smaller than
/// the 145-byte initiation it answers.
public struct ReceivedInitiation: Sendable {
    /// The initiator's static key, learnt from message 1: check it against the allow list.
    public let peerStatic: PublicKey
    /// The initiation's timestamp: refuse it unless newer than the last accepted for `peerStatic`.
    public let timestamp: TAI64N
    /// The initiator's index (the receiver index of our response and of DATA we send).
    public let senderIndex: UInt32
    var state: HandshakeState

    /// Reads an initiation: layout, mac1 (before any DH), then IK message 1.
    /// Call `CookieChecker.check` first when under load.
    /// - Parameters:
    ///   - localStatic: the collector's static key.
    ///   - usesPSK: whether this collector runs IKpsk2 (then every agent has a psk).
    public static func read(_ datagram: [UInt8], localStatic: PrivateKey, usesPSK: Bool) throws(NoiseError) -> ReceivedInitiation {
        try HandshakeLayout.check(datagram, is: .handshakeInitiation)
        guard Macs.verifyMac1(datagram, mac1Key: Macs.mac1Key(for: localStatic.publicKey)) else { throw .badMac1 }
        var state = try HandshakeState(
            pattern: usesPSK ? .IKpsk2 : .IK, role: .responder, prologue: FlameWireHandshake.prologue,
            localStatic: localStatic, remoteStatic: nil, ephemeral: nil)
        let payload = try state.readMessage(Array(datagram[5..<(HandshakeLayout.initiationLength - 32)]))
        guard let peer = state.remoteStatic else { throw .decryptFailed }
        return ReceivedInitiation(
            peerStatic: peer, timestamp: try TAI64N(bytes: payload), senderIndex: readBigEndian32(datagram, at: 1), state: state)
    }

    /// Writes the response and returns it with the session keys.
    /// - Parameters:
    ///   - localIndex: a random index the caller picked for this session.
    ///   - ephemeral: a fresh random key.
    ///   - psk: the agent's psk (IKpsk2), nil for IK.
    public func respond(localIndex: UInt32, ephemeral: PrivateKey, psk: [UInt8]? = nil) throws(NoiseError) -> (response: [UInt8], keys: TransportKeys) {
        var state = self.state
        if let psk { try state.setPreSharedKey(psk) } else if state.pattern.usesPSK { throw .pskMismatch }
        try state.setEphemeral(ephemeral)
        var out: [UInt8] = [DatagramType.handshakeResponse.byte0]
        out.reserveCapacity(HandshakeLayout.responseLength)
        out.appendBigEndian(localIndex)
        out.appendBigEndian(senderIndex)
        out += try state.writeMessage(payload: [])
        out += [UInt8](repeating: 0, count: 32)
        // The response is mac1-stamped for the agent; mac2 stays zero (agents do not send cookies).
        Macs.stamp(&out, mac1Key: Macs.mac1Key(for: peerStatic), cookie: nil)
        let keys = try TransportKeys(localIndex: localIndex, remoteIndex: senderIndex, peerStatic: peerStatic, completed: state)
        return (out, keys)
    }

    /// `respond` with an ephemeral key drawn from `rng`.
    public func respond(localIndex: UInt32, psk: [UInt8]? = nil, using rng: inout some RandomNumberGenerator) throws(NoiseError) -> (response: [UInt8], keys: TransportKeys) {
        try respond(localIndex: localIndex, ephemeral: PrivateKey(using: &rng), psk: psk)
    }
}
