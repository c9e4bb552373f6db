/// Constants shared by both sides of the FlameWire handshake (Protocol/SPEC.md §10).
public enum FlameWireHandshake {
    /// The Noise prologue: the ASCII bytes "FlameWire v1". Both sides hash it first, so a
    /// peer of another protocol or version fails at the first decryption.
    public static let prologue: [UInt8] = Array("FlameWire v1".utf8)

    /// IK without a psk, IKpsk2 with one.
    public static func pattern(psk: [UInt8]?) -> HandshakePattern { psk == nil ? .IK : .IKpsk2 }
}
