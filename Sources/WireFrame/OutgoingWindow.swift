import FEC

/// Framing limits a sender and receiver agree on.
public struct FrameConfig: Sendable {
    /// Largest UDP payload, header and tag included (SPEC.md §2): 576–1472, default 1400.
    public var maxDatagram: Int
    /// Acceptable probability that a block cannot be rebuilt.
    public var fecTarget: Double
    /// Most parity symbols sent with a block up front.
    public var maxParity: Int

    public init(maxDatagram: Int = 1400, fecTarget: Double = 0.01, maxParity: Int = 64) throws(FrameError) {
        guard (576...1472).contains(maxDatagram) else {
            throw .configuration("maximum datagram size \(maxDatagram) is outside 576–1472 bytes")
        }
        guard fecTarget > 0, fecTarget < 1 else { throw .configuration("FEC target \(fecTarget) must be between 0 and 1") }
        self.maxDatagram = maxDatagram
        self.fecTarget = fecTarget
        self.maxParity = maxParity
    }

    /// Largest symbol that fits a datagram with header and tag.
    public var maxSymbol: Int { maxDatagram - DatagramHeader.length - Protection.tagLength }
}

/// Where a window's datagrams go: connection, stream and window sequence number.
public struct WindowAddress: Hashable, Sendable {
    public var connectionID: UInt32
    public var stream: UInt32
    public var seq: UInt32

    public init(connectionID: UInt32, stream: UInt32, seq: UInt32) {
        self.connectionID = connectionID
        self.stream = stream
        self.seq = seq
    }
}

/// The sender's copy of one window in flight: its blocks, and which parity indices have
/// been sent, so repair can always send symbols the receiver has not seen (SPEC.md §7).
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
            // k is 1…64, always a valid Reed–Solomon block.
            blocks.append((try! ReedSolomon(sourceCount: k), source, k))
        }
    }

    public var blockCount: Int { layout.blockCount }
    public func sourceCount(block b: Int) -> Int { layout.sourceCount(block: b) }
    /// Symbol indices of block b sent so far (source and parity).
    public func sentCount(block b: Int) -> Int { blocks[b].nextIndex }
    /// Parity symbols still available for repair in block b.
    public func repairCapacity(block b: Int) -> Int { ReedSolomon.maxSymbols - blocks[b].nextIndex }

    /// The first transmission: every source symbol, plus parity per block from the loss
    /// estimate (`ParityPolicy`).
    public mutating func initialDatagrams(lossRate: Double, meanBurstLength: Double = 1, config: FrameConfig,
                                          packetNumber: inout UInt64, protection: any PacketProtection) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for b in blocks.indices {
            let k = blocks[b].code.k
            for i in 0..<k { out.append(datagram(block: b, index: i, packetNumber: &packetNumber, protection: protection)) }
            let m = ParityPolicy.parityCount(sourceCount: k, lossRate: lossRate, meanBurstLength: meanBurstLength,
                                             target: config.fecTarget, maxParity: config.maxParity)
            out.append(contentsOf: parity(block: b, count: m, packetNumber: &packetNumber, protection: protection))
        }
        return out
    }

    /// `count` parity symbols of block b with indices never sent before (fewer when the
    /// block's 256 indices run out).
    public mutating func parity(block b: Int, count: Int, packetNumber: inout UInt64, protection: any PacketProtection) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for _ in 0..<min(count, repairCapacity(block: b)) {
            out.append(datagram(block: b, index: blocks[b].nextIndex, packetNumber: &packetNumber, protection: protection))
        }
        return out
    }

    private mutating func datagram(block b: Int, index: Int, packetNumber: inout UInt64, protection: any PacketProtection) -> [UInt8] {
        let s = layout.symbolSize
        let k = blocks[b].code.k
        packetNumber += 1
        let header = DatagramHeader(
            connectionID: address.connectionID, packetNumber: packetNumber, stream: address.stream, seq: address.seq,
            blockIndex: UInt8(b), symbolIndex: UInt8(index), windowLength: UInt32(layout.windowLength), symbolSize: UInt16(s))
        var d: [UInt8] = []
        d.reserveCapacity(DatagramHeader.length + s + Protection.tagLength)
        header.write(into: &d)
        if index < k {
            d.append(contentsOf: blocks[b].source[(index * s)..<((index + 1) * s)])
        } else {
            d.append(contentsOf: repeatElement(0, count: s))
            let code = blocks[b].code
            blocks[b].source.withUnsafeBytes { src in
                d.withUnsafeMutableBytes { out in
                    let dst = UnsafeMutableRawBufferPointer(rebasing: out[DatagramHeader.length..<(DatagramHeader.length + s)])
                    // index is k…255 and the buffers have the right sizes: cannot fail.
                    try! code.encodeParity(index: index, source: src, symbolSize: s, into: dst)
                }
            }
        }
        var symbol = d[DatagramHeader.length...]
        let tag = protection.seal(header: d[0..<DatagramHeader.length], symbol: &symbol, packetNumber: packetNumber)
        d.replaceSubrange(DatagramHeader.length..., with: symbol)
        d.append(contentsOf: tag)
        blocks[b].nextIndex = max(blocks[b].nextIndex, index + 1)
        return d
    }
}
