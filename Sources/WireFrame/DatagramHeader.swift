/// The 35-byte header of a DATA datagram (SPEC.md §6.3), big-endian.
public struct DatagramHeader: Equatable, Hashable, Sendable {
    public static let length = 35
    public static let version: UInt8 = 1
    public static let typeData: UInt8 = 1

    public var connectionID: UInt64
    public var packetNumber: UInt64
    public var stream: UInt32
    public var seq: UInt32
    public var blockIndex: UInt8
    public var blockCount: UInt8
    public var k: UInt8
    public var symbolIndex: UInt8
    public var symbolSize: UInt16
    public var windowLength: UInt32

    public init(connectionID: UInt64, packetNumber: UInt64, stream: UInt32, seq: UInt32, blockIndex: UInt8, blockCount: UInt8,
                k: UInt8, symbolIndex: UInt8, symbolSize: UInt16, windowLength: UInt32) {
        self.connectionID = connectionID
        self.packetNumber = packetNumber
        self.stream = stream
        self.seq = seq
        self.blockIndex = blockIndex
        self.blockCount = blockCount
        self.k = k
        self.symbolIndex = symbolIndex
        self.symbolSize = symbolSize
        self.windowLength = windowLength
    }

    /// Appends the header's 35 bytes to `out`.
    public func write(into out: inout [UInt8]) {
        out.append(Self.version << 4 | Self.typeData)
        put(connectionID, 8, &out)
        put(packetNumber, 8, &out)
        put(UInt64(stream), 4, &out)
        put(UInt64(seq), 4, &out)
        out.append(blockIndex)
        out.append(blockCount)
        out.append(k)
        out.append(symbolIndex)
        put(UInt64(symbolSize), 2, &out)
        put(UInt64(windowLength), 4, &out)
    }

    private func put(_ v: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// Parses and checks the header of `datagram` against the layout rules of SPEC.md §6.5.
    public static func parse(_ d: [UInt8]) throws(FrameError) -> DatagramHeader {
        guard d.count >= length + Protection.tagLength else { throw .tooShort(d.count) }
        guard d[0] >> 4 == version else { throw .unknownVersion(d[0] >> 4) }
        guard d[0] & 0x0F == typeData else { throw .unknownType(d[0] & 0x0F) }
        func get(_ at: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(d[at + i]) }
            return v
        }
        let h = DatagramHeader(
            connectionID: get(1, 8), packetNumber: get(9, 8), stream: UInt32(get(17, 4)), seq: UInt32(get(21, 4)),
            blockIndex: d[25], blockCount: d[26], k: d[27], symbolIndex: d[28], symbolSize: UInt16(get(29, 2)),
            windowLength: UInt32(get(31, 4)))
        guard h.symbolSize > 0, length + Int(h.symbolSize) + Protection.tagLength == d.count else {
            throw .badLength(datagram: d.count, symbolSize: Int(h.symbolSize))
        }
        let layout = try WindowLayout(windowLength: Int(h.windowLength), symbolSize: Int(h.symbolSize))
        guard h.blockCount > 0, Int(h.blockCount) == layout.blockCount, h.blockIndex < h.blockCount else {
            throw .inconsistentLayout("block \(h.blockIndex) of \(h.blockCount), but \(layout.blockCount) blocks fit the window")
        }
        guard Int(h.k) == layout.sourceCount(block: Int(h.blockIndex)) else {
            throw .inconsistentLayout("k = \(h.k), but block \(h.blockIndex) has \(layout.sourceCount(block: Int(h.blockIndex))) source symbols")
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
        case .tooShort(let n): return "datagram of \(n) bytes is shorter than a header and a tag (51 bytes)"
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
