import FEC
import SansIO
import WireLimits

/// What one received symbol did. Every event but a drop names the datagram's packet
/// number, which acknowledgements report and RTT is measured from.
public enum ReassemblyEvent: Equatable, Sendable {
    /// The symbol completed its window: here are the compressed window bytes.
    case window(WindowAddress, compressed: [UInt8], packetNumber: UInt64)
    /// Stored; the window still lacks `missing` symbols in total (over all its blocks).
    case progress(WindowAddress, missing: Int, packetNumber: UInt64)
    /// A symbol already held, or one for a window already delivered.
    case duplicate(WindowAddress, packetNumber: UInt64)
    /// Dropped; the reason is counted in `dropped`.
    case dropped(FrameError)
}

/// The receiver side of framing for one peer: collects opened symbols of windows in any
/// order, with losses and duplicates, rebuilds each block from any k symbols and emits
/// each window once (SPEC.md §6.5, §7). Memory is bounded in windows and bytes; the
/// oldest partial window is given up first.
///
/// Sans-IO and key-free: the session parses the header, opens the datagram (keys rotate
/// under it) and hands over the plaintext symbol with the current time.
public struct Reassembler: Sendable {
    public var maxPartialWindows = WireLimits.maxPartialWindows
    /// Bytes of symbols and rebuilt blocks held for partial windows, all windows together.
    public var maxBufferedBytes = WireLimits.maxBufferedBytes
    /// Recently completed windows, so late symbols are recognised as duplicates.
    public var rememberCompleted = 4096

    public private(set) var dropped: [DropReason: Int] = [:]
    public private(set) var bufferedBytes = 0

    private struct Partial {
        var layout: WindowLayout
        var blocks: [[Int: [UInt8]]]
        var done: [[UInt8]?]
        var firstArrival: Instant
        var order: UInt64

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
    private var counter: UInt64 = 0

    public init() {}

    public var partialWindows: Int { partials.count }
    /// The windows in reassembly, in address order.
    public var partialAddresses: [WindowAddress] { partials.keys.sorted() }

    /// Symbols still missing per block of a partial window (nil if it is not partial).
    public func missing(_ a: WindowAddress) -> [Int]? {
        partials[a]?.missingPerBlock
    }

    /// Whether the window was completed recently (late symbols of it are duplicates).
    public func isCompleted(_ a: WindowAddress) -> Bool { completed.contains(a) }

    /// Counts a datagram the caller dropped before reassembly (a header or authentication
    /// failure), so one table holds every drop of this peer.
    public mutating func count(_ e: FrameError) { dropped[e.reason, default: 0] += 1 }

    /// Takes one authenticated symbol (`symbol.count == header.symbolSize`).
    public mutating func receive(_ header: DatagramHeader, symbol: ArraySlice<UInt8>, at now: Instant) -> ReassemblyEvent {
        let a = header.address, pn = header.packetNumber
        let layout = header.layout, s = layout.symbolSize
        guard symbol.count == s else { return drop(.inconsistentLayout("symbol of \(symbol.count) bytes, header says \(s)")) }
        if completed.contains(a) { return .duplicate(a, packetNumber: pn) }
        counter += 1
        var p = partials[a] ?? Partial(layout: layout, blocks: Array(repeating: [:], count: layout.blockCount),
                                       done: Array(repeating: nil, count: layout.blockCount), firstArrival: now, order: counter)
        guard p.layout == layout else {
            return drop(.conflictsWithEarlier("window length \(layout.windowLength) / symbol size \(s) differ from earlier symbols"))
        }
        let b = Int(header.blockIndex), i = Int(header.symbolIndex)
        if p.done[b] != nil || p.blocks[b][i] != nil { return .duplicate(a, packetNumber: pn) }
        p.blocks[b][i] = Array(symbol)
        bufferedBytes += s
        let k = layout.sourceCount(block: b)
        if p.blocks[b].count >= k {
            // k distinct authenticated symbols of a valid block always decode.
            guard let code = try? ReedSolomon(sourceCount: k), let block = try? code.decode(p.blocks[b], symbolSize: s) else {
                bufferedBytes -= p.heldBytes
                partials[a] = nil
                return drop(.inconsistentLayout("block \(b) of \(a) does not decode"))
            }
            p.done[b] = block
            bufferedBytes += block.count - p.blocks[b].count * s
            p.blocks[b] = [:]
        }
        if p.done.allSatisfy({ $0 != nil }) {
            partials[a] = nil
            bufferedBytes -= p.heldBytes
            markCompleted(a)
            var out: [UInt8] = []
            out.reserveCapacity(layout.blockCount * WireLimits.maxSourceSymbols * s)
            for block in p.done { if let block { out.append(contentsOf: block) } }
            out.removeLast(out.count - layout.windowLength)
            return .window(a, compressed: out, packetNumber: pn)
        }
        partials[a] = p
        enforceBounds(keeping: a)
        if bufferedBytes > maxBufferedBytes {
            // This window alone is over the bound: give it up too.
            bufferedBytes -= p.heldBytes
            partials[a] = nil
            return drop(.overMemoryBound(windowLength: layout.windowLength))
        }
        return .progress(a, missing: p.missingPerBlock.reduce(0, +), packetNumber: pn)
    }

    /// Gives up partial windows whose first symbol arrived before `cutoff` (the sender
    /// stopped repairing them, SPEC.md §11) and returns them.
    @discardableResult
    public mutating func expire(before cutoff: Instant) -> [WindowAddress] {
        let old = partials.filter { $0.value.firstArrival < cutoff }
        for (a, p) in old {
            bufferedBytes -= p.heldBytes
            partials[a] = nil
        }
        return old.keys.sorted()
    }

    private mutating func drop(_ e: FrameError) -> ReassemblyEvent {
        count(e)
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
            guard let oldest = partials.filter({ $0.key != current }).min(by: { $0.value.order < $1.value.order }) else { return }
            bufferedBytes -= oldest.value.heldBytes
            partials[oldest.key] = nil
            dropped[.evictedPartialWindow, default: 0] += 1
        }
    }
}

extension Reassembler {
    /// One DATA datagram through the receiver's checks in the order of SPEC.md §6.5:
    /// header, then authentication with `protection`, then reassembly. Every drop is
    /// counted. (A session does the same with its replay window between the steps.)
    public mutating func receive(datagram d: [UInt8], protection: any PacketProtection,
                                 maxDatagram: Int = WireLimits.maxDatagramRange.upperBound, at now: Instant = .zero) -> ReassemblyEvent {
        let h: DatagramHeader
        do { h = try DatagramHeader.parse(d, maxDatagram: maxDatagram) } catch {
            count(error)
            return .dropped(error)
        }
        guard let symbol = protection.openData(d, header: h) else {
            count(.authenticationFailed)
            return .dropped(.authenticationFailed)
        }
        return receive(h, symbol: symbol, at: now)
    }
}
