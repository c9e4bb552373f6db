/// Sealing and opening datagrams: the header is associated data, the symbol the payload.
public protocol PacketProtection: Sendable {
    /// Encrypts `symbol` in place and returns the 16-byte tag.
    func seal(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, packetNumber: UInt64) -> [UInt8]
    /// Checks `tag` and decrypts `symbol` in place; false when the datagram is not authentic.
    func open(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, tag: ArraySlice<UInt8>, packetNumber: UInt64) -> Bool
}

public enum Protection {
    public static let tagLength = 16
}

/// No protection: symbols in clear and an all-zero tag (SPEC.md §6.4). For tests and
/// test vectors only; a receiver on a network must use a real AEAD.
public struct NullProtection: PacketProtection {
    public init() {}

    public func seal(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, packetNumber: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: Protection.tagLength)
    }

    public func open(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, tag: ArraySlice<UInt8>, packetNumber: UInt64) -> Bool {
        tag.allSatisfy { $0 == 0 }
    }
}
