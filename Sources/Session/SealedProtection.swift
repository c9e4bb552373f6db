import Noise
import WireFrame

/// ChaCha20-Poly1305 protection of DATA datagrams under a session's transport keys
/// (SPEC.md §6.4): what replaces `NullProtection` on every network path.
public struct SealedProtection: PacketProtection {
    public let keys: TransportKeys

    public init(keys: TransportKeys) { self.keys = keys }

    public func seal(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, packetNumber: UInt64) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: TransportKeys.tagLength)
        header.withUnsafeBytes { h in
            symbol.withUnsafeMutableBytes { p in
                tag.withUnsafeMutableBytes { t in
                    // Sealing fails only for a wrong tag length, which cannot happen here.
                    try? keys.seal(header: h, packetNumber: packetNumber, payload: p, tag: t)
                }
            }
        }
        return tag
    }

    public func open(header: ArraySlice<UInt8>, symbol: inout ArraySlice<UInt8>, tag: ArraySlice<UInt8>, packetNumber: UInt64) -> Bool {
        header.withUnsafeBytes { h in
            tag.withUnsafeBytes { t in
                symbol.withUnsafeMutableBytes { p in
                    (try? keys.open(header: h, packetNumber: packetNumber, payload: p, tag: t)) != nil
                }
            }
        }
    }
}
