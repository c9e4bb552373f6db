import FEC
import SansIO
import WireLimits

/// What one received symbol did. Every event but a drop names the datagram's packet
/// number, which acknowledgements report and RTT is measured from.
public enum ReassemblyEvent: Equatable, Sendable {
    /// The symbol completed its bundle: here are the bundle's bytes (directory and windows).
    case bundle(UInt32, bytes: [UInt8], packetNumber: UInt64)
    /// Stored; the bundle still lacks `missing` symbols in total (over all its blocks).
    case progress(UInt32, missing: Int, packetNumber: UInt64)
    /// A symbol already held, or one of a bundle already rebuilt.
    case duplicate(UInt32, packetNumber: UInt64)
    /// Dropped; the reason is counted in `dropped`.
    case dropped(FrameError)
}

/// The receiver side of framing for one peer: collects opened symbols of bundles in any
/// order, with losses and duplicates, rebuilds each block from any k symbols and emits
/// each bundle once (SPEC.md §6.5, §7). Memory is bounded in bundles and bytes; the
/// oldest partial bundle is given up first.
///
/// Sans-IO and key-free: the session parses the header, opens the datagram (keys rotate
/// under it) and hands over the plaintext symbol with the current time.
public struct Reassembler: Sendable {
    public var maxPartialBundles = WireLimits.maxPartialBundles
    /// Bytes of symbols and rebuilt blocks held for partial bundles, all bundles together.
    public var maxBufferedBytes = WireLimits.maxBufferedBytes
    /// Recently rebuilt bundles remembered (at least this many, at most twice), so late
    /// symbols are recognised as duplicates.
    public var rememberCompleted = 4096

    public private(set) var dropped: [DropReason: Int] = [:]
    public private(set) var bufferedBytes = 0
    /// Blocks rebuilt with parity in place of lost source symbols (FEC recoveries).
    public private(set) var blocksRecovered = 0

    /// One block in reassembly: the symbols received so far, back to back, and their indices.
    private struct Block {
        var symbols: [UInt8] = []
        var indices: [Int] = []
        var seen = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var rebuilt: [UInt8]?

        func has(_ i: Int) -> Bool {
            let word: UInt64
            switch i >> 6 {
            case 0: word = seen.0
            case 1: word = seen.1
            case 2: word = seen.2
            default: word = seen.3
            }
            return word & (1 << UInt64(i & 63)) != 0
        }

        mutating func mark(_ i: Int) {
            let bit = UInt64(1) << UInt64(i & 63)
            switch i >> 6 {
            case 0: seen.0 |= bit
            case 1: seen.1 |= bit
            case 2: seen.2 |= bit
            default: seen.3 |= bit
            }
        }
    }

    private struct Partial {
        var layout: BundleLayout
        var blocks: [Block]
        var firstArrival: Instant
        var order: UInt64
        var heldBytes = 0
        var blocksLeft: Int

        /// Symbols still needed per block.
        var missingPerBlock: [Int] {
            blocks.indices.map { b in blocks[b].rebuilt != nil ? 0 : max(0, layout.sourceCount(block: b) - blocks[b].indices.count) }
        }
    }

    private var partials: [UInt32: Partial] = [:]
    private var completed: Set<UInt32> = []
    private var completedOrder: [UInt32] = []
    private var counter: UInt64 = 0

    public init() {}

    public var partialBundles: Int { partials.count }
    /// The bundles in reassembly, oldest first.
    public var partialIDs: [UInt32] { partials.sorted { $0.value.order < $1.value.order }.map(\.key) }

    /// Symbols still missing per block of a partial bundle (nil if it is not partial).
    public func missing(_ id: UInt32) -> [Int]? { partials[id]?.missingPerBlock }

    /// Whether the bundle was rebuilt recently (late symbols of it are duplicates).
    public func isCompleted(_ id: UInt32) -> Bool { completed.contains(id) }

    /// Counts a datagram the caller dropped before reassembly (a header or authentication
    /// failure) or a bundle it could not use, so one table holds every drop of this peer.
    public mutating func count(_ e: FrameError) { dropped[e.reason, default: 0] += 1 }

    /// Takes one authenticated symbol (`symbol.count == header.symbolSize`).
    public mutating func receive(_ header: DatagramHeader, symbol: ArraySlice<UInt8>, at now: Instant) -> ReassemblyEvent {
        let id = header.bundle, pn = header.packetNumber
        let layout = header.layout, s = layout.symbolSize
        guard symbol.count == s else { return drop(.inconsistentLayout("symbol of \(symbol.count) bytes, header says \(s)")) }
        if completed.contains(id) { return .duplicate(id, packetNumber: pn) }
        let b = Int(header.blockIndex), i = Int(header.symbolIndex)
        if partials[id] == nil {
            counter += 1
            partials[id] = Partial(layout: layout, blocks: Array(repeating: Block(), count: layout.blockCount), firstArrival: now,
                                   order: counter, blocksLeft: layout.blockCount)
        }
        // Mutated in place: one lookup, no copy of the symbols held.
        var outcome: ReassemblyEvent?
        var grew = 0
        var recovered = false
        Self.modify(&partials[id]) { p in
            guard p.layout == layout else {
                outcome = .dropped(.conflictsWithEarlier("bundle length \(layout.bundleLength) / symbol size \(s) differ from earlier symbols"))
                return
            }
            if p.blocks[b].rebuilt != nil || p.blocks[b].has(i) {
                outcome = .duplicate(id, packetNumber: pn)
                return
            }
            p.blocks[b].mark(i)
            p.blocks[b].symbols.append(contentsOf: symbol)
            p.blocks[b].indices.append(i)
            grew = s
            let k = layout.sourceCount(block: b)
            if p.blocks[b].indices.count >= k {
                var byIndex: [Int: [UInt8]] = [:]
                for (n, index) in p.blocks[b].indices.enumerated() { byIndex[index] = Array(p.blocks[b].symbols[(n * s)..<((n + 1) * s)]) }
                // k distinct authenticated symbols of a valid block always decode.
                guard let code = try? ReedSolomon(sourceCount: k), let block = try? code.decode(byIndex, symbolSize: s) else {
                    grew = 0  // the bundle is given up below with what it held
                    outcome = .dropped(.inconsistentLayout("block \(b) of bundle \(id) does not decode"))
                    return
                }
                grew += block.count - p.blocks[b].symbols.count
                recovered = p.blocks[b].indices.contains { $0 >= k }
                p.blocks[b] = Block(rebuilt: block)
                p.blocksLeft -= 1
            }
            p.heldBytes += grew
        }
        bufferedBytes += grew
        if recovered { blocksRecovered += 1 }
        if let outcome {
            if case .dropped(let e) = outcome {
                if case .inconsistentLayout = e, let p = partials[id] {
                    bufferedBytes -= p.heldBytes
                    partials[id] = nil
                }
                count(e)
            }
            return outcome
        }
        guard let p = partials[id] else { return drop(.inconsistentLayout("bundle \(id) vanished")) }
        if p.blocksLeft == 0 {
            partials[id] = nil
            bufferedBytes -= p.heldBytes
            markCompleted(id)
            var out: [UInt8] = []
            out.reserveCapacity(layout.blockCount * WireLimits.maxSourceSymbols * s)
            for block in p.blocks { if let r = block.rebuilt { out.append(contentsOf: r) } }
            out.removeLast(out.count - layout.bundleLength)
            return .bundle(id, bytes: out, packetNumber: pn)
        }
        enforceBounds(keeping: id)
        if bufferedBytes > maxBufferedBytes {
            // This bundle alone is over the bound: give it up too.
            bufferedBytes -= p.heldBytes
            partials[id] = nil
            return drop(.overMemoryBound(bundleLength: layout.bundleLength))
        }
        return .progress(id, missing: p.missingPerBlock.reduce(0, +), packetNumber: pn)
    }

    /// Gives up partial bundles whose first symbol arrived before `cutoff` (the sender
    /// stopped repairing them, SPEC.md §11) and returns them.
    @discardableResult
    public mutating func expire(before cutoff: Instant) -> [UInt32] {
        // Called on every acknowledgement: a scan, and no copy of the partials.
        var old: [UInt32] = []
        for (id, p) in partials where p.firstArrival < cutoff { old.append(id) }
        for id in old { bufferedBytes -= partials.removeValue(forKey: id)?.heldBytes ?? 0 }
        return old.sorted()
    }

    private static func modify(_ p: inout Partial?, _ body: (inout Partial) -> Void) {
        guard p != nil else { return }
        body(&p!)
    }

    private mutating func drop(_ e: FrameError) -> ReassemblyEvent {
        count(e)
        return .dropped(e)
    }

    private mutating func markCompleted(_ id: UInt32) {
        completed.insert(id)
        completedOrder.append(id)
        if completedOrder.count > rememberCompleted * 2 {
            let n = completedOrder.count - rememberCompleted
            for old in completedOrder[0..<n] { completed.remove(old) }
            completedOrder.removeFirst(n)
        }
    }

    private mutating func enforceBounds(keeping current: UInt32) {
        while partials.count > maxPartialBundles || bufferedBytes > maxBufferedBytes {
            guard let oldest = partials.filter({ $0.key != current }).min(by: { $0.value.order < $1.value.order }) else { return }
            bufferedBytes -= oldest.value.heldBytes
            partials[oldest.key] = nil
            dropped[.evictedPartialBundle, default: 0] += 1
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
