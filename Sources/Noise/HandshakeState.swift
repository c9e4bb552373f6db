/// Noise's HandshakeState (rev 34, §5.3) for IK and IKpsk2: writes and reads the two
/// handshake messages, then splits into transport CipherStates.
///
/// Sans-IO: the ephemeral key is passed in (from a caller's random-number generator or a
/// test vector). After any decrypt or DH failure the state refuses further use
/// (`.handshakeFailed`), as the spec requires a failed HandshakeState to be deleted.
public struct HandshakeState: Sendable {
    /// IK or IKpsk2.
    public let pattern: HandshakePattern
    /// Initiator or responder.
    public let role: HandshakeRole
    var symmetric: SymmetricState
    let localStatic: PrivateKey
    var localEphemeral: PrivateKey?
    /// rs: the peer's static key (given to the initiator, learnt by the responder from message 1).
    public private(set) var remoteStatic: PublicKey?
    /// re: the peer's ephemeral key, once read.
    public private(set) var remoteEphemeral: PublicKey?
    var psk: [UInt8]?
    var messageIndex = 0
    var failed = false

    /// - Parameters:
    ///   - prologue: bytes both sides hash in first (FlameWire: "FlameWire v1"); a
    ///     mismatch makes the first message fail to decrypt.
    ///   - remoteStatic: the responder's static key; required for the initiator (IK pins it),
    ///     must be nil for the responder.
    ///   - ephemeral: this side's ephemeral private key, freshly random for every handshake.
    ///     The responder may leave it nil until it decides to answer (`setEphemeral`).
    ///   - psk: 32 bytes for IKpsk2, nil for IK. A responder may supply it after reading
    ///     message 1 (`setPreSharedKey`), once it knows which peer is talking.
    public init(
        pattern: HandshakePattern, role: HandshakeRole, prologue: [UInt8], localStatic: PrivateKey,
        remoteStatic: PublicKey?, ephemeral: PrivateKey?, psk: [UInt8]? = nil
    ) throws(NoiseError) {
        if let psk {
            guard pattern.usesPSK else { throw .pskMismatch }
            guard psk.count == 32 else { throw .badKeyLength(expected: 32, got: psk.count) }
        }
        // Pre-message "<- s": the responder's static key, known to both sides.
        let responderStatic: PublicKey
        switch role {
        case .initiator:
            guard let remoteStatic else { throw .wrongState("the initiator must know the responder's static key (IK)") }
            responderStatic = remoteStatic
        case .responder:
            guard remoteStatic == nil else { throw .wrongState("the responder learns the initiator's static key from message 1") }
            responderStatic = localStatic.publicKey
        }
        self.pattern = pattern
        self.role = role
        self.localStatic = localStatic
        self.localEphemeral = ephemeral
        self.remoteStatic = remoteStatic
        self.psk = psk
        symmetric = SymmetricState(protocolName: pattern.protocolName)
        symmetric.mixHash(prologue)
        symmetric.mixHash(responderStatic.rawRepresentation)
    }

    /// Supplies the psk of an IKpsk2 handshake before the psk token is processed.
    public mutating func setPreSharedKey(_ key: [UInt8]) throws(NoiseError) {
        guard pattern.usesPSK else { throw .pskMismatch }
        guard key.count == 32 else { throw .badKeyLength(expected: 32, got: key.count) }
        psk = key
    }

    /// Supplies this side's ephemeral key before its "e" token (a responder that defers it).
    public mutating func setEphemeral(_ key: PrivateKey) throws(NoiseError) {
        guard messageIndex == 0 || role == .responder && messageIndex == 1 else {
            throw .wrongState("the ephemeral key is fixed once it has been sent")
        }
        localEphemeral = key
    }

    /// True after both messages were written or read: `split()` may be called.
    public var isComplete: Bool { messageIndex == pattern.messages.count }

    /// h: identical on both sides after the handshake.
    public var handshakeHash: [UInt8] { symmetric.handshakeHash }

    /// Whether it is this side's turn to write.
    public var isMyTurn: Bool {
        !isComplete && (messageIndex % 2 == 0) == (role == .initiator)
    }

    /// WriteMessage(payload): the next handshake message carrying `payload` (encrypted
    /// when a key is established, which in IK is always).
    public mutating func writeMessage(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !failed else { throw .handshakeFailed }
        guard isMyTurn else { throw .wrongState("writeMessage when it is the peer's turn or the handshake is complete") }
        var out: [UInt8] = []
        do throws(NoiseError) {
            for token in pattern.messages[messageIndex] {
                switch token {
                case .e:
                    guard let e = localEphemeral?.publicKey.rawRepresentation else {
                        throw NoiseError.wrongState("no ephemeral key given")
                    }
                    out += e
                    symmetric.mixHash(e)
                    if pattern.usesPSK { symmetric.mixKey(e) }
                case .s:
                    out += try symmetric.encryptAndHash(localStatic.publicKey.rawRepresentation)
                case .psk:
                    guard let psk else { throw NoiseError.pskMismatch }
                    symmetric.mixKeyAndHash(psk)
                default:
                    try mixDH(token)
                }
            }
            out += try symmetric.encryptAndHash(payload)
        } catch {
            failed = true
            throw error
        }
        messageIndex += 1
        dropEphemeralWhenComplete()
        return out
    }

    /// ReadMessage(message): checks and consumes the peer's next handshake message and
    /// returns its payload. Any failure makes this state unusable.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !failed else { throw .handshakeFailed }
        guard !isComplete, !isMyTurn else { throw .wrongState("readMessage when it is our turn or the handshake is complete") }
        var rest = message[...]
        do throws(NoiseError) {
            for token in pattern.messages[messageIndex] {
                switch token {
                case .e:
                    let e = try take(32, from: &rest, total: message.count)
                    remoteEphemeral = try PublicKey(rawRepresentation: e)
                    symmetric.mixHash(e)
                    if pattern.usesPSK { symmetric.mixKey(e) }
                case .s:
                    let n = symmetric.cipherState.hasKey ? 48 : 32
                    let s = try symmetric.decryptAndHash(try take(n, from: &rest, total: message.count))
                    remoteStatic = try PublicKey(rawRepresentation: s)
                case .psk:
                    guard let psk else { throw NoiseError.pskMismatch }
                    symmetric.mixKeyAndHash(psk)
                default:
                    try mixDH(token)
                }
            }
            let payload = try symmetric.decryptAndHash(Array(rest))
            messageIndex += 1
            dropEphemeralWhenComplete()
            return payload
        } catch {
            failed = true
            throw error
        }
    }

    /// The ephemeral private key is needed only for the DH tokens: once both messages are
    /// done this state lets go of it (its storage is zeroed when no copy of it is left).
    private mutating func dropEphemeralWhenComplete() {
        if isComplete { localEphemeral = nil }
    }

    /// Split(): (send, receive) CipherStates for this side, after the last message.
    public func split() throws(NoiseError) -> (send: CipherState, receive: CipherState) {
        guard !failed else { throw .handshakeFailed }
        guard isComplete else { throw .wrongState("split before the handshake is complete") }
        let (c1, c2) = symmetric.split()
        return role == .initiator ? (c1, c2) : (c2, c1)
    }

    /// The session keys of Split() for this side as (send, receive), after the last message.
    func transportKeys() throws(NoiseError) -> (send: SendableKey, receive: SendableKey) {
        guard !failed else { throw .handshakeFailed }
        guard isComplete else { throw .wrongState("split before the handshake is complete") }
        let (k1, k2) = symmetric.splitKeys()
        return role == .initiator ? (k1, k2) : (k2, k1)
    }

    /// The DH tokens: ee, es, se, ss (first letter: initiator's key, second: responder's).
    mutating func mixDH(_ token: HandshakePattern.Token) throws(NoiseError) {
        let initiator = role == .initiator
        var secret: [UInt8]
        switch token {
        case .ee:
            secret = try ephemeral().sharedSecret(with: try need(remoteEphemeral))
        case .ss:
            secret = try localStatic.sharedSecret(with: try need(remoteStatic))
        case .es:
            secret = initiator
                ? try ephemeral().sharedSecret(with: try need(remoteStatic))
                : try localStatic.sharedSecret(with: try need(remoteEphemeral))
        case .se:
            secret = initiator
                ? try localStatic.sharedSecret(with: try need(remoteEphemeral))
                : try ephemeral().sharedSecret(with: try need(remoteStatic))
        default:
            return
        }
        symmetric.mixKey(secret)
        secret.wipe()
    }

    private func ephemeral() throws(NoiseError) -> PrivateKey {
        guard let localEphemeral else { throw .wrongState("no ephemeral key given") }
        return localEphemeral
    }

    private func need(_ key: PublicKey?) throws(NoiseError) -> PublicKey {
        guard let key else { throw .wrongState("a DH token before the peer's key is known") }
        return key
    }

    private func take(_ n: Int, from rest: inout ArraySlice<UInt8>, total: Int) throws(NoiseError) -> [UInt8] {
        guard rest.count >= n else { throw .truncated(expected: total - rest.count + n, got: total) }
        let bytes = Array(rest.prefix(n))
        rest = rest.dropFirst(n)
        return bytes
    }
}
