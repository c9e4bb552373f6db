import FEC
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

/// A window of one stream: what acknowledgements, repair and reassembly name. The
/// connection id is not part of it: a receiver reassembles per authenticated peer, so a
/// window whose datagrams straddle a key rotation still completes (SPEC.md §6.5).
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

/// One symbol of a window to send: which block, which index (source below k, parity from k).
public struct SymbolRef: Hashable, Sendable {
    public var block: Int
    public var index: Int
    public init(block: Int, index: Int) {
        self.block = block
        self.index = index
    }
}

/// The sender's copy of one window in flight: its blocks, and which parity indices have
/// been handed out, so repair always sends symbols the receiver has not seen (SPEC.md §7).
///
/// It builds datagrams on demand (`datagram(_:connectionID:packetNumber:protection:)`),
/// so the session decides when each goes out and gives it its packet number.
public struct OutgoingWindow: Sendable {
    public let address: WindowAddress
    public let layout: WindowLayout
    private var blocks: [(code: ReedSolomon, source: [UInt8], nextIndex: Int)]

    /// Cuts a compressed window into blocks of source symbols.
    public init(address: WindowAddress, compressed: [UInt8], config: FrameConfig) throws(FrameError) {
        self.address = address
        layout = try WindowLayout(windowLength: compressed.count, maxSymbol: config.maxSymbol)
        blocks = []
        for b in 0..<layout.blockCount {
            let k = layout.sourceCount(block: b)
            let start = layout.offset(block: b)
            var source = [UInt8](repeating: 0, count: k * layout.symbolSize)
            let end = min(compressed.count, start + source.count)
            if end > start { source.replaceSubrange(0..<(end - start), with: compressed[start..<end]) }
            let code: ReedSolomon
            do { code = try ReedSolomon(sourceCount: k) } catch { throw .inconsistentLayout("\(k) source symbols in a block") }
            blocks.append((code, source, k))
        }
    }

    public var blockCount: Int { layout.blockCount }
    public func sourceCount(block b: Int) -> Int { layout.sourceCount(block: b) }
    /// Symbol indices of block b handed out so far (source and parity).
    public func sentCount(block b: Int) -> Int { blocks[b].nextIndex }
    /// Parity symbols still available for repair in block b.
    public func repairCapacity(block b: Int) -> Int { WireLimits.maxSymbols - blocks[b].nextIndex }
    /// Bytes of one datagram of this window (every datagram of a window has the same size).
    public var datagramSize: Int { WireLimits.dataHeaderLength + layout.symbolSize + WireLimits.tagLength }

    /// The first transmission: every source symbol, plus parity per block from the loss
    /// estimate (`ParityPolicy`).
    public mutating func initialSymbols(lossRate: Double, meanBurstLength: Double = 1, config: FrameConfig) -> [SymbolRef] {
        var out: [SymbolRef] = []
        for b in blocks.indices {
            let k = blocks[b].code.k
            for i in 0..<k { out.append(SymbolRef(block: b, index: i)) }
            let m = ParityPolicy.parityCount(sourceCount: k, lossRate: lossRate, meanBurstLength: meanBurstLength,
                                             target: config.fecTarget, maxParity: config.maxParity)
            out += parity(block: b, count: m)
        }
        return out
    }

    /// `count` parity symbols of block b with indices never handed out before (fewer when
    /// the block's 256 indices run out).
    public mutating func parity(block b: Int, count: Int) -> [SymbolRef] {
        guard blocks.indices.contains(b) else { return [] }
        let n = max(0, min(count, repairCapacity(block: b)))
        let first = blocks[b].nextIndex
        blocks[b].nextIndex += n
        return (first..<(first + n)).map { SymbolRef(block: b, index: $0) }
    }

    /// The sealed datagram of one symbol.
    public func datagram(_ symbol: SymbolRef, connectionID: UInt32, packetNumber: UInt64, protection: any PacketProtection) -> [UInt8] {
        let s = layout.symbolSize, h = WireLimits.dataHeaderLength
        let b = symbol.block, index = symbol.index
        let k = blocks[b].code.k
        var d: [UInt8] = []
        d.reserveCapacity(datagramSize)
        // The block index comes from this window's own layout, so the header is valid.
        if let header = try? DatagramHeader(connectionID: connectionID, packetNumber: packetNumber, stream: address.stream, seq: address.seq,
                                            blockIndex: UInt8(b), symbolIndex: UInt8(index), layout: layout) {
            header.write(into: &d)
        }
        if index < k {
            d.append(contentsOf: blocks[b].source[(index * s)..<((index + 1) * s)])
        } else {
            d.append(contentsOf: repeatElement(0, count: s))
            let code = blocks[b].code
            blocks[b].source.withUnsafeBytes { src in
                d.withUnsafeMutableBytes { out in
                    let dst = UnsafeMutableRawBufferPointer(rebasing: out[h..<(h + s)])
                    // index is k…255 and the buffers have the right sizes: cannot fail.
                    try? code.encodeParity(index: index, source: src, symbolSize: s, into: dst)
                }
            }
        }
        var payload = d[h...]
        let tag = protection.seal(header: d[0..<h], symbol: &payload, packetNumber: packetNumber)
        d.replaceSubrange(h..., with: payload)
        d.append(contentsOf: tag)
        return d
    }

    /// The datagrams of `symbols`, numbered from `packetNumber` + 1 on (for tests and
    /// tools that need a whole window at once; a session numbers its own).
    public func datagrams(_ symbols: [SymbolRef], connectionID: UInt32, packetNumber: inout UInt64,
                          protection: any PacketProtection) -> [[UInt8]] {
        symbols.map { s in
            packetNumber += 1
            return datagram(s, connectionID: connectionID, packetNumber: packetNumber, protection: protection)
        }
    }
}

extension OutgoingWindow {
    /// The first transmission as datagrams, numbered from `packetNumber` + 1 on: for tests
    /// and tools that send a whole window at once.
    public mutating func initialDatagrams(lossRate: Double, meanBurstLength: Double = 1, config: FrameConfig, connectionID: UInt32 = 1,
                                          packetNumber: inout UInt64, protection: any PacketProtection) -> [[UInt8]] {
        let symbols = initialSymbols(lossRate: lossRate, meanBurstLength: meanBurstLength, config: config)
        return datagrams(symbols, connectionID: connectionID, packetNumber: &packetNumber, protection: protection)
    }

    /// `count` new parity datagrams of block b, numbered from `packetNumber` + 1 on.
    public mutating func parity(block b: Int, count: Int, connectionID: UInt32 = 1, packetNumber: inout UInt64,
                                protection: any PacketProtection) -> [[UInt8]] {
        datagrams(parity(block: b, count: count), connectionID: connectionID, packetNumber: &packetNumber, protection: protection)
    }
}
