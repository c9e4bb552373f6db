import FEC

/// What one received datagram did.
public enum ReassemblyEvent: Equatable, Sendable {
    /// The datagram completed its window: here are the compressed window bytes.
    case window(WindowAddress, compressed: [UInt8])
    /// Stored; the window still lacks `missing` symbols in total (over all its blocks).
    case progress(WindowAddress, missing: Int)
    /// A symbol already held, or one for a window already delivered.
    case duplicate(WindowAddress)
    /// Dropped; the reason is counted in `dropped`.
    case dropped(FrameError)
}

/// The receiver side of framing: collects symbols of windows in any order, with losses
/// and duplicates, rebuilds each block from any k symbols and emits each window once
/// (SPEC.md §6.5, §7). Memory is bounded in windows and bytes; the oldest partial window
/// is dropped first.
public struct Reassembler: Sendable {
    public var maxPartialWindows = 1024
    /// Bytes of symbols and rebuilt blocks held for partial windows, all windows together.
    public var maxBufferedBytes = 64 << 20
    /// Longer datagrams are dropped (`tooLong`): the largest a sender may use (SPEC.md §2),
    /// so a window is at most 255 blocks of 64 symbols of 1,429 bytes.
    public var maxDatagram = 1472
    /// Recently completed windows, so late symbols are recognised as duplicates.
    public var rememberCompleted = 4096

    public private(set) var dropped: [String: Int] = [:]
    public private(set) var bufferedBytes = 0

    private struct Partial {
        var layout: WindowLayout
        var blocks: [[Int: [UInt8]]]
        var done: [[UInt8]?]
        var arrival: UInt64

        /// Bytes held: received symbols and rebuilt blocks.
        var heldBytes: Int {
            blocks.reduce(0) { $0 + $1.count } * layout.symbolSize + done.reduce(0) { $0 + ($1?.count ?? 0) }
        }

        /// Symbols still needed per block.
        var missingPerBlock: [Int] {
            blocks.indices.map { b in done[b] != nil ? 0 : max(0, layout.sourceCount(block: b) - blocks[b].count) }
        }
    }

    private var partials: [WindowAddress: Partial] = [:]
    private var completed: Set<WindowAddress> = []
    private var completedOrder: [WindowAddress] = []
    private var clock: UInt64 = 0
    private let protection: any PacketProtection

    public init(protection: any PacketProtection) { self.protection = protection }

    public var partialWindows: Int { partials.count }

    /// Symbols still missing per block of a partial window (nil if it is not partial).
    public func missing(_ a: WindowAddress) -> [Int]? {
        partials[a]?.missingPerBlock
    }

    public mutating func receive(_ datagram: [UInt8]) -> ReassemblyEvent {
        guard datagram.count <= maxDatagram else { return drop(.tooLong(datagram.count)) }
        let h: DatagramHeader
        do { h = try DatagramHeader.parse(datagram) } catch { return drop(error) }
        let s = Int(h.symbolSize)
        var symbol = datagram[DatagramHeader.length..<(DatagramHeader.length + s)]
        let tag = datagram[(DatagramHeader.length + s)...]
        guard protection.open(header: datagram[0..<DatagramHeader.length], symbol: &symbol, tag: tag, packetNumber: h.packetNumber) else {
            return drop(.authenticationFailed)
        }
        let a = WindowAddress(connectionID: h.connectionID, stream: h.stream, seq: h.seq)
        if completed.contains(a) { return .duplicate(a) }
        clock += 1
        let layout = h.layout
        var p = partials[a] ?? Partial(layout: layout, blocks: Array(repeating: [:], count: layout.blockCount),
                                       done: Array(repeating: nil, count: layout.blockCount), arrival: clock)
        guard p.layout == layout else {
            return drop(.conflictsWithEarlier("window length \(h.windowLength) / symbol size \(s) differ from earlier symbols"))
        }
        let b = Int(h.blockIndex), i = Int(h.symbolIndex)
        if p.done[b] != nil || p.blocks[b][i] != nil { return .duplicate(a) }
        p.blocks[b][i] = Array(symbol)
        bufferedBytes += s
        if p.blocks[b].count >= layout.sourceCount(block: b) {
            let k = layout.sourceCount(block: b)
            // k distinct symbols of a valid block always decode.
            let code = try! ReedSolomon(sourceCount: k)
            p.done[b] = try! code.decode(p.blocks[b], symbolSize: s)
            bufferedBytes += p.done[b]!.count - p.blocks[b].count * s
            p.blocks[b] = [:]
        }
        if p.done.allSatisfy({ $0 != nil }) {
            partials[a] = nil
            bufferedBytes -= p.heldBytes
            markCompleted(a)
            var out: [UInt8] = []
            out.reserveCapacity(layout.windowLength)
            for block in p.done { out.append(contentsOf: block!) }
            out.removeLast(out.count - layout.windowLength)
            return .window(a, compressed: out)
        }
        partials[a] = p
        enforceBounds(keeping: a)
        if bufferedBytes > maxBufferedBytes {
            // This window alone is over the bound: give it up too.
            bufferedBytes -= p.heldBytes
            partials[a] = nil
            return drop(.overMemoryBound(windowLength: layout.windowLength))
        }
        return .progress(a, missing: p.missingPerBlock.reduce(0, +))
    }

    private mutating func drop(_ e: FrameError) -> ReassemblyEvent {
        dropped[e.reason, default: 0] += 1
        return .dropped(e)
    }

    private mutating func markCompleted(_ a: WindowAddress) {
        completed.insert(a)
        completedOrder.append(a)
        if completedOrder.count > rememberCompleted {
            let n = completedOrder.count - rememberCompleted
            for old in completedOrder[0..<n] { completed.remove(old) }
            completedOrder.removeFirst(n)
        }
    }

    private mutating func enforceBounds(keeping current: WindowAddress) {
        while partials.count > maxPartialWindows || bufferedBytes > maxBufferedBytes {
            guard let oldest = partials.filter({ $0.key != current }).min(by: { $0.value.arrival < $1.value.arrival }) else { return }
            bufferedBytes -= oldest.value.heldBytes
            partials[oldest.key] = nil
            dropped["evicted_partial_window", default: 0] += 1
        }
    }
}
