import WireLimits

/// What byte 0 of a datagram says it is (SPEC.md §6.3, §10): the low nibble of byte 0.
/// The session layer handles every type but DATA; framing handles DATA.
public enum DatagramType: UInt8, Sendable, CaseIterable {
    case data = 1
    case handshakeInitiation = 2
    case handshakeResponse = 3
    case cookieReply = 4
    case ack = 5

    /// Classifies a datagram by its first byte, before anything else is read: a datagram
    /// of another version or of no known type is a drop, every known type goes to its
    /// handler. `maxDatagram` is the receiver's configured limit (SPEC.md §6.5).
    public static func of(_ d: some Collection<UInt8>, maxDatagram: Int = WireLimits.maxDatagramRange.upperBound) throws(FrameError) -> DatagramType {
        guard let first = d.first else { throw .tooShort(0) }
        guard d.count <= min(maxDatagram, WireLimits.maxDatagramRange.upperBound) else { throw .tooLong(d.count) }
        guard first >> 4 == WireLimits.version else { throw .unknownVersion(first >> 4) }
        guard let t = DatagramType(rawValue: first & 0x0F) else { throw .unknownType(first & 0x0F) }
        return t
    }
}

/// The 23-byte header of a DATA datagram (SPEC.md §6.3), big-endian.
///
/// A DATA datagram carries one symbol of a **bundle**: the windows an agent sends together
/// (one tick's snapshots, SPEC.md §6.2), protected by one code so that parity spreads over
/// many symbols. Only what the receiver cannot derive travels: the symbol size is the
/// datagram's length minus header and tag, and the block count and a block's source symbol
/// count follow from the bundle length and the symbol size.
public struct DatagramHeader: Equatable, Hashable, Sendable {
    public var connectionID: UInt32
    public var packetNumber: UInt64
    /// The bundle, numbered by the agent (SPEC.md §6.2).
    public var bundle: UInt32
    public var blockIndex: UInt8
    public var symbolIndex: UInt8
    /// The bundle's layout: its length L and symbol size S (S is not on the wire).
    public let layout: BundleLayout

    /// A header for a symbol of `layout`; fails when the block index is outside the bundle.
    public init(connectionID: UInt32, packetNumber: UInt64, bundle: UInt32, blockIndex: UInt8,
                symbolIndex: UInt8, layout: BundleLayout) throws(FrameError) {
        guard Int(blockIndex) < layout.blockCount else {
            throw .inconsistentLayout("block \(blockIndex), but \(layout.blockCount) blocks fit the bundle")
        }
        self.connectionID = connectionID
        self.packetNumber = packetNumber
        self.bundle = bundle
        self.blockIndex = blockIndex
        self.symbolIndex = symbolIndex
        self.layout = layout
    }

    public var bundleLength: UInt32 { UInt32(layout.bundleLength) }
    public var symbolSize: Int { layout.symbolSize }
    /// Blocks of the bundle.
    public var blockCount: Int { layout.blockCount }
    /// Source symbols of this datagram's block.
    public var k: Int { layout.sourceCount(block: Int(blockIndex)) }

    /// Appends the header's 23 bytes to `out`.
    public func write(into out: inout [UInt8]) {
        out.append(WireLimits.version << 4 | DatagramType.data.rawValue)
        put(UInt64(connectionID), 4, &out)
        put(packetNumber, 8, &out)
        put(UInt64(bundle), 4, &out)
        out.append(blockIndex)
        out.append(symbolIndex)
        put(UInt64(layout.bundleLength), 4, &out)
    }

    private func put(_ v: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// Parses and checks the header of a DATA datagram against the rules of SPEC.md §6.5,
    /// in their order: length, version, type, layout. Authentication comes after.
    public static func parse(_ d: [UInt8], maxDatagram: Int = WireLimits.maxDatagramRange.upperBound) throws(FrameError) -> DatagramHeader {
        guard d.count > WireLimits.dataHeaderLength + WireLimits.tagLength else { throw .tooShort(d.count) }
        let type = try DatagramType.of(d, maxDatagram: maxDatagram)
        guard type == .data else { throw .unknownType(type.rawValue) }
        let symbolSize = d.count - WireLimits.dataHeaderLength - WireLimits.tagLength
        return try d.withUnsafeBufferPointer { p throws(FrameError) in
            func get(_ at: Int, _ n: Int) -> UInt64 {
                var v: UInt64 = 0
                for i in 0..<n { v = v << 8 | UInt64(p[at + i]) }
                return v
            }
            let layout = try BundleLayout(bundleLength: Int(get(19, 4)), symbolSize: symbolSize)
            return try DatagramHeader(connectionID: UInt32(get(1, 4)), packetNumber: get(5, 8), bundle: UInt32(get(13, 4)),
                                      blockIndex: p[17], symbolIndex: p[18], layout: layout)
        }
    }
}

/// How a bundle is cut into symbols and blocks (SPEC.md §6.2).
public struct BundleLayout: Equatable, Hashable, Sendable {
    public let bundleLength: Int
    public let symbolSize: Int
    /// Source symbols in the whole bundle.
    public let sourceSymbols: Int
    public var blockCount: Int { (sourceSymbols + WireLimits.maxSourceSymbols - 1) / WireLimits.maxSourceSymbols }

    /// The layout of `bundleLength` bytes cut into symbols of at most `maxSymbol` bytes,
    /// as few as fit.
    public init(bundleLength: Int, maxSymbol: Int) throws(FrameError) {
        guard bundleLength > 0 else { throw .inconsistentLayout("empty bundle") }
        guard maxSymbol > 0 else { throw .configuration("largest symbol \(maxSymbol) must be positive") }
        let n = (bundleLength + maxSymbol - 1) / maxSymbol
        try self.init(bundleLength: bundleLength, symbolSize: (bundleLength + n - 1) / n)
    }

    /// The layout implied by a header's bundle length and symbol size.
    public init(bundleLength: Int, symbolSize: Int) throws(FrameError) {
        guard bundleLength > 0, symbolSize > 0 else { throw .inconsistentLayout("bundle length \(bundleLength), symbol size \(symbolSize)") }
        self.bundleLength = bundleLength
        self.symbolSize = symbolSize
        sourceSymbols = (bundleLength + symbolSize - 1) / symbolSize
        guard blockCount <= WireLimits.maxBlocks else { throw .bundleTooLarge(bundleLength) }
    }

    public func sourceCount(block b: Int) -> Int { min(WireLimits.maxSourceSymbols, sourceSymbols - WireLimits.maxSourceSymbols * b) }
    /// Bytes of each datagram of this layout: header, symbol and tag.
    public var datagramSize: Int { WireLimits.dataHeaderLength + symbolSize + WireLimits.tagLength }
    /// Bytes of the source datagrams alone: the bundle sent once, with no parity.
    public var sourceBytes: Int { sourceSymbols * datagramSize }
    /// Byte offset of block b in the padded bundle.
    public func offset(block b: Int) -> Int { WireLimits.maxSourceSymbols * b * symbolSize }
}
