/// The 27-byte header of a DATA datagram (SPEC.md §6.3), big-endian.
///
/// Only what the receiver cannot derive travels: the symbol size is the datagram's length
/// minus header and tag, and the block count and a block's source symbol count follow
/// from the window length and the symbol size (§6.2).
public struct DatagramHeader: Equatable, Hashable, Sendable {
    public static let length = 27
    public static let version: UInt8 = 1
    public static let typeData: UInt8 = 1

    public var connectionID: UInt32
    public var packetNumber: UInt64
    public var stream: UInt32
    public var seq: UInt32
    public var blockIndex: UInt8
    public var symbolIndex: UInt8
    public var windowLength: UInt32
    /// Not on the wire: the datagram's length minus header and tag.
    public var symbolSize: UInt16

    public init(connectionID: UInt32, packetNumber: UInt64, stream: UInt32, seq: UInt32, blockIndex: UInt8,
                symbolIndex: UInt8, windowLength: UInt32, symbolSize: UInt16) {
        self.connectionID = connectionID
        self.packetNumber = packetNumber
        self.stream = stream
        self.seq = seq
        self.blockIndex = blockIndex
        self.symbolIndex = symbolIndex
        self.windowLength = windowLength
        self.symbolSize = symbolSize
    }

    /// The window's layout (valid for a parsed header).
    public var layout: WindowLayout { try! WindowLayout(windowLength: Int(windowLength), symbolSize: Int(symbolSize)) }
    /// Blocks of the window.
    public var blockCount: Int { layout.blockCount }
    /// Source symbols of this datagram's block.
    public var k: Int { layout.sourceCount(block: Int(blockIndex)) }

    /// Appends the header's 27 bytes to `out`.
    public func write(into out: inout [UInt8]) {
        out.append(Self.version << 4 | Self.typeData)
        put(UInt64(connectionID), 4, &out)
        put(packetNumber, 8, &out)
        put(UInt64(stream), 4, &out)
        put(UInt64(seq), 4, &out)
        out.append(blockIndex)
        out.append(symbolIndex)
        put(UInt64(windowLength), 4, &out)
    }

    private func put(_ v: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// Parses and checks the header of `datagram` against the layout rules of SPEC.md §6.5.
    public static func parse(_ d: [UInt8]) throws(FrameError) -> DatagramHeader {
        guard d.count > length + Protection.tagLength else { throw .tooShort(d.count) }
        guard d[0] >> 4 == version else { throw .unknownVersion(d[0] >> 4) }
        guard d[0] & 0x0F == typeData else { throw .unknownType(d[0] & 0x0F) }
        let symbolSize = d.count - length - Protection.tagLength
        guard symbolSize <= Int(UInt16.max) else { throw .badLength(datagram: d.count, symbolSize: symbolSize) }
        func get(_ at: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(d[at + i]) }
            return v
        }
        let h = DatagramHeader(
            connectionID: UInt32(get(1, 4)), packetNumber: get(5, 8), stream: UInt32(get(13, 4)), seq: UInt32(get(17, 4)),
            blockIndex: d[21], symbolIndex: d[22], windowLength: UInt32(get(23, 4)), symbolSize: UInt16(symbolSize))
        let layout = try WindowLayout(windowLength: Int(h.windowLength), symbolSize: symbolSize)
        guard Int(h.blockIndex) < layout.blockCount else {
            throw .inconsistentLayout("block \(h.blockIndex), but \(layout.blockCount) blocks fit the window")
        }
        return h
    }
}

/// How a compressed window is cut into symbols and blocks (SPEC.md §6.2).
public struct WindowLayout: Equatable, Sendable {
    public static let maxSourceSymbols = 64
    public static let maxBlocks = 255

    public let windowLength: Int
    public let symbolSize: Int
    /// Source symbols in the whole window.
    public let sourceSymbols: Int
    public var blockCount: Int { (sourceSymbols + Self.maxSourceSymbols - 1) / Self.maxSourceSymbols }

    /// The layout a sender uses for `windowLength` bytes and a largest symbol of `maxSymbol`.
    public init(windowLength: Int, maxSymbol: Int) throws(FrameError) {
        guard windowLength > 0 else { throw .inconsistentLayout("empty window") }
        let n = (windowLength + maxSymbol - 1) / maxSymbol
        try self.init(windowLength: windowLength, symbolSize: (windowLength + n - 1) / n)
    }

    /// The layout implied by a header's window length and symbol size.
    public init(windowLength: Int, symbolSize: Int) throws(FrameError) {
        guard windowLength > 0, symbolSize > 0 else { throw .inconsistentLayout("window length \(windowLength), symbol size \(symbolSize)") }
        self.windowLength = windowLength
        self.symbolSize = symbolSize
        sourceSymbols = (windowLength + symbolSize - 1) / symbolSize
        guard blockCount <= Self.maxBlocks else { throw .windowTooLarge(windowLength) }
    }

    public func sourceCount(block b: Int) -> Int { min(Self.maxSourceSymbols, sourceSymbols - Self.maxSourceSymbols * b) }
    /// Byte offset of block b in the padded window.
    public func offset(block b: Int) -> Int { Self.maxSourceSymbols * b * symbolSize }
}

/// Why a datagram was dropped. The receiver counts each reason.
public enum FrameError: Error, Equatable, Hashable, CustomStringConvertible, Sendable {
    case tooShort(Int)
    case tooLong(Int)
    case overMemoryBound(windowLength: Int)
    case unknownVersion(UInt8)
    case unknownType(UInt8)
    case badLength(datagram: Int, symbolSize: Int)
    case inconsistentLayout(String)
    case windowTooLarge(Int)
    case authenticationFailed
    case conflictsWithEarlier(String)
    case configuration(String)

    /// A short name for counters (`frame_dropped_total{reason="…"}`).
    public var reason: String {
        switch self {
        case .tooShort: return "too_short"
        case .tooLong: return "too_long"
        case .overMemoryBound: return "over_memory_bound"
        case .unknownVersion: return "unknown_version"
        case .unknownType: return "unknown_type"
        case .badLength: return "bad_length"
        case .inconsistentLayout: return "inconsistent_layout"
        case .windowTooLarge: return "window_too_large"
        case .authenticationFailed: return "authentication_failed"
        case .conflictsWithEarlier: return "conflicts_with_earlier"
        case .configuration: return "configuration"
        }
    }

    public var description: String {
        switch self {
        case .tooShort(let n): return "datagram of \(n) bytes has no room for a symbol after the header and tag (43 bytes)"
        case .tooLong(let n): return "datagram of \(n) bytes is longer than this receiver accepts (at most MAX_DATAGRAM, 1472)"
        case .overMemoryBound(let l): return "a window of \(l) compressed bytes does not fit the receiver's memory bound"
        case .unknownVersion(let v): return "datagram has protocol version \(v); this receiver speaks version 1"
        case .unknownType(let t): return "datagram has unknown type \(t)"
        case .badLength(let d, let s): return "datagram of \(d) bytes cannot hold a \(s)-byte symbol with header and tag"
        case .inconsistentLayout(let why): return "datagram header is inconsistent: \(why)"
        case .windowTooLarge(let l): return "a window of \(l) compressed bytes needs more than 255 blocks"
        case .authenticationFailed: return "datagram failed authentication"
        case .conflictsWithEarlier(let why): return "datagram contradicts earlier datagrams of its window: \(why)"
        case .configuration(let why): return why
        }
    }
}
