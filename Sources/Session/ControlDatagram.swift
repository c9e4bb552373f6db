import Noise
import WireFrame
import WireLimits

/// The CONTROL datagram (type 5, SPEC.md §11.1): a 13-byte header, then sealed frames.
///
/// ```
/// 0  1  version << 4 | 5
/// 1  4  connection id (the receiver's index)
/// 5  8  packet number (the sender's, shared with its DATA datagrams)
/// 13 n  frames, encrypted
/// 13+n 16 tag
/// ```
public enum ControlDatagram {
    public static let headerLength = 13
    /// Smallest valid CONTROL datagram: header, one frame byte, tag.
    public static let minimumLength = headerLength + 1 + WireLimits.tagLength

    /// Seals `frames` under `keys`.
    public static func seal(_ frames: [ControlFrame], connectionID: UInt32, packetNumber: UInt64, keys: TransportKeys) -> [UInt8] {
        var d: [UInt8] = [WireLimits.version << 4 | WireFrame.DatagramType.ack.rawValue]
        d.reserveCapacity(64)
        for i in stride(from: 24, through: 0, by: -8) { d.append(UInt8(truncatingIfNeeded: connectionID >> UInt32(i))) }
        for i in stride(from: 56, through: 0, by: -8) { d.append(UInt8(truncatingIfNeeded: packetNumber >> UInt64(i))) }
        d += ControlFrame.encode(frames)
        try? keys.seal(datagram: &d, headerLength: headerLength, packetNumber: packetNumber)
        return d
    }

    /// The connection id and packet number of a CONTROL datagram (nil when too short).
    public static func header(_ d: [UInt8]) -> (connectionID: UInt32, packetNumber: UInt64)? {
        guard d.count >= minimumLength else { return nil }
        var c: UInt32 = 0, p: UInt64 = 0
        for i in 1..<5 { c = c << 8 | UInt32(d[i]) }
        for i in 5..<13 { p = p << 8 | UInt64(d[i]) }
        return (c, p)
    }

    /// Opens a CONTROL datagram with `keys`: its frames' bytes, or nil when it does not authenticate.
    public static func open(_ d: [UInt8], packetNumber: UInt64, keys: TransportKeys) -> [UInt8]? {
        var copy = d
        guard (try? keys.open(datagram: &copy, headerLength: headerLength, packetNumber: packetNumber)) != nil else { return nil }
        return Array(copy[headerLength...])
    }
}
