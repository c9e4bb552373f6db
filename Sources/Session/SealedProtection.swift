import Noise
import WireFrame
import WireLimits

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

    /// Opens the DATA datagram `d` (its header parsed as `header`) without copying it:
    /// the symbol is decrypted into the front of `scratch`, which grows when it is too
    /// small. True when the tag verifies; the plaintext symbol is then
    /// `scratch[0..<header.symbolSize]`. False leaves bytes to discard there.
    public func openData(_ d: [UInt8], header: DatagramHeader, into scratch: inout [UInt8]) -> Bool {
        let h = WireLimits.dataHeaderLength, s = header.symbolSize, tag = WireLimits.tagLength
        guard d.count == h + s + tag else { return false }
        if scratch.count < s { scratch = [UInt8](repeating: 0, count: max(s, WireLimits.maxDatagramRange.upperBound)) }
        return d.withUnsafeBytes { all in
            scratch.withUnsafeMutableBytes { out in
                (try? keys.open(header: UnsafeRawBufferPointer(rebasing: all[..<h]), packetNumber: header.packetNumber,
                                ciphertext: UnsafeRawBufferPointer(rebasing: all[h..<(h + s)]),
                                into: UnsafeMutableRawBufferPointer(rebasing: out[..<s]),
                                tag: UnsafeRawBufferPointer(rebasing: all[(h + s)...]))) != nil
            }
        }
    }
}
