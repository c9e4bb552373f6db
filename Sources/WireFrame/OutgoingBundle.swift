import FEC
import WireLimits

/// The sender's copy of one bundle in flight: its windows, its blocks, and which parity
/// indices have been handed out, so repair always sends symbols the receiver has not seen
/// (SPEC.md §6.2, §7).
///
/// It builds datagrams on demand (`datagram(_:connectionID:packetNumber:protection:)`),
/// so the session decides when each goes out and gives it its packet number.
public struct OutgoingBundle: Sendable {
    public let id: UInt32
    public let directory: BundleDirectory
    public let layout: BundleLayout
    private var blocks: [(code: ReedSolomon, source: [UInt8], nextIndex: Int)]

    /// The windows the bundle carries, in order.
    public var windows: [WindowAddress] { directory.entries.map(\.address) }

    /// Puts `windows` (compressed, in order) behind a directory and cuts the bundle into
    /// blocks of source symbols: as `layout` says when given, else the fewest that fit.
    public init(id: UInt32, windows: [(WindowAddress, [UInt8])], config: FrameConfig, layout chosen: BundleLayout? = nil) throws(FrameError) {
        guard !windows.isEmpty, windows.count <= WireLimits.maxBundleWindows else {
            throw .configuration("a bundle carries 1–\(WireLimits.maxBundleWindows) windows, not \(windows.count)")
        }
        guard windows.allSatisfy({ !$0.1.isEmpty }) else { throw .configuration("a bundle cannot carry an empty window") }
        let (directory, bytes) = BundleDirectory.make(windows)
        try self.init(id: id, directory: directory, bytes: bytes, config: config, layout: chosen)
    }

    /// A bundle from its bytes (directory and windows), as `BundleDirectory.bundle` makes them.
    public init(id: UInt32, bundle bytes: [UInt8], config: FrameConfig, layout chosen: BundleLayout? = nil) throws(FrameError) {
        try self.init(id: id, directory: try BundleDirectory.parse(bytes).0, bytes: bytes, config: config, layout: chosen)
    }

    /// `bytes` is `directory` followed by its windows.
    private init(id: UInt32, directory: BundleDirectory, bytes: [UInt8], config: FrameConfig, layout chosen: BundleLayout?) throws(FrameError) {
        self.id = id
        self.directory = directory
        if let chosen {
            guard chosen.bundleLength == bytes.count, chosen.symbolSize <= config.maxSymbol else {
                throw .configuration("layout of \(chosen.bundleLength) bytes in symbols of \(chosen.symbolSize) does not fit this bundle")
            }
            layout = chosen
        } else {
            layout = try BundleLayout(bundleLength: bytes.count, maxSymbol: config.maxSymbol)
        }
        blocks = []
        for b in 0..<layout.blockCount {
            let k = layout.sourceCount(block: b)
            let start = layout.offset(block: b)
            var source = [UInt8](repeating: 0, count: k * layout.symbolSize)
            let end = min(bytes.count, start + source.count)
            if end > start { source.replaceSubrange(0..<(end - start), with: bytes[start..<end]) }
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
    /// Bytes of one datagram of this bundle (every datagram of a bundle has the same size).
    public var datagramSize: Int { layout.datagramSize }

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
        // The block index comes from this bundle's own layout, so the header is valid.
        if let header = try? DatagramHeader(connectionID: connectionID, packetNumber: packetNumber, bundle: id,
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
    /// tools that need a whole bundle at once; a session numbers its own).
    public func datagrams(_ symbols: [SymbolRef], connectionID: UInt32, packetNumber: inout UInt64,
                          protection: any PacketProtection) -> [[UInt8]] {
        symbols.map { s in
            packetNumber += 1
            return datagram(s, connectionID: connectionID, packetNumber: packetNumber, protection: protection)
        }
    }
}

extension OutgoingBundle {
    /// The first transmission as datagrams, numbered from `packetNumber` + 1 on: for tests
    /// and tools that send a whole bundle at once.
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
