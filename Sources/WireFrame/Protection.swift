import WireLimits

/// Sealing and opening datagrams: the header is associated data, the symbol the payload
/// (SPEC.md §6.4). The session layer supplies the keys (and rotates them); framing only
/// calls these two functions, so reassembly never sees a key.
public protocol PacketProtection: Sendable {
    /// Encrypts `symbol` in place and returns the 16-byte tag.
    func seal(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, packetNumber: UInt64) -> [UInt8]
    /// Checks `tag` and decrypts `symbol` in place; false when the datagram is not authentic.
    func open(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, tag: ArraySlice<UInt8>, packetNumber: UInt64) -> Bool
}

extension PacketProtection {
    /// Opens a DATA datagram whose header parsed: the plaintext symbol, or nil when the tag
    /// does not verify (`authenticationFailed`).
    public func openData(_ d: [UInt8], header: DatagramHeader) -> ArraySlice<UInt8>? {
        let h = WireLimits.dataHeaderLength, s = header.symbolSize
        var symbol = d[h..<(h + s)]
        guard open(header: d[0..<h], symbol: &symbol, tag: d[(h + s)...], packetNumber: header.packetNumber) else { return nil }
        return symbol
    }
}

/// No protection: symbols in clear and an all-zero tag (SPEC.md §6.4). For tests and
/// test vectors only; a receiver on a network must use a real AEAD.
public struct NullProtection: PacketProtection {
    public init() {}

    public func seal(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, packetNumber: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: WireLimits.tagLength)
    }

    public func open(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, tag: ArraySlice<UInt8>, packetNumber: UInt64) -> Bool {
        tag.allSatisfy { $0 == 0 }
    }
}
