import WireLimits

/// Framing limits a sender and receiver agree on.
public struct FrameConfig: Sendable, Equatable {
    /// Largest UDP payload, header and tag included (SPEC.md §2): 576–1472, default 1400.
    public var maxDatagram: Int
    /// Acceptable probability that a block cannot be rebuilt.
    public var fecTarget: Double
    /// Most parity symbols sent with a block up front.
    public var maxParity: Int

    public init(maxDatagram: Int = WireLimits.defaultMaxDatagram, fecTarget: Double = WireLimits.defaultFECTarget,
                maxParity: Int = 64) throws(FrameError) {
        guard WireLimits.maxDatagramRange.contains(maxDatagram) else {
            throw .configuration("maximum datagram size \(maxDatagram) is outside 576–1472 bytes")
        }
        guard fecTarget > 0, fecTarget < 1 else { throw .configuration("FEC target \(fecTarget) must be between 0 and 1") }
        guard maxParity >= 0 else { throw .configuration("most parity symbols per block \(maxParity) must not be negative") }
        self.maxDatagram = maxDatagram
        self.fecTarget = fecTarget
        self.maxParity = maxParity
    }

    /// Largest symbol that fits a datagram with header and tag.
    public var maxSymbol: Int { maxDatagram - WireLimits.dataHeaderLength - WireLimits.tagLength }
}

/// A window of one stream: what bundle directories, decoding and acknowledgements name
/// (SPEC.md §3). Reassembly and repair name bundles instead (§6.2).
public struct WindowAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var stream: UInt32
    public var seq: UInt32

    public init(stream: UInt32, seq: UInt32) {
        self.stream = stream
        self.seq = seq
    }

    public static func < (a: WindowAddress, b: WindowAddress) -> Bool { (a.stream, a.seq) < (b.stream, b.seq) }
    public var description: String { "stream \(stream) window \(seq)" }
}

/// One symbol of a bundle to send: which block, which index (source below k, parity from k).
public struct SymbolRef: Hashable, Sendable {
    public var block: Int
    public var index: Int
    public init(block: Int, index: Int) {
        self.block = block
        self.index = index
    }
}

