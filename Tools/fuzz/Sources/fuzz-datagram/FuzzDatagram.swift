import WireLimits
import FEC
import WireFrame
import WireFuzzSupport

/// libFuzzer entry point for datagram parsing and reassembly (`DatagramHeader.parse`,
/// `Reassembler` with `NullProtection`).
///
/// The input (format: `DatagramInput` in WireFuzzSupport) is a control byte that sets the
/// reassembler's bounds, then a sequence of datagrams, fed in order (and optionally a
/// second time). A small reference model of SPEC.md §6.5 and §7 runs beside the
/// reassembler and predicts every event. Findings besides crashes:
/// - a parsed header does not write back to the same 23 bytes, or its layout is not the
///   `BundleLayout` of its bundle length and the datagram's symbol size;
/// - the reassembler drops a datagram for another reason than `parse` gives, or accepts
///   one that `parse` rejects or whose tag is not all zeros;
/// - an event differs from the model's (duplicate, progress with the missing count,
///   bundle, conflicting layout);
/// - a `.bundle` event's bytes are not the header's bundle length, or a block of them is
///   not the unique block consistent with the k symbols it was rebuilt from (source
///   symbols equal, parity symbols re-encode to what was received); when its directory
///   parses, it does not describe the bytes exactly (`BundleCheck.roundTrip`);
/// - `bufferedBytes` is negative, differs from the bytes the model holds, or exceeds
///   `maxBufferedBytes` while more than the current bundle is partial; more partial
///   bundles than `maxPartialBundles`; `partialIDs` or `missing` disagree with the model.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatagram(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = DatagramInput.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    var r = Reassembler()
    r.maxPartialBundles = input.maxPartialBundles
    r.maxBufferedBytes = input.maxBufferedBytes
    r.rememberCompleted = input.rememberCompleted
    var model = Model(rememberCompleted: input.rememberCompleted)
    let passes = input.replay ? 2 : 1
    for _ in 0..<passes {
        for d in input.datagrams { step(&r, &model, d) }
    }
    return 0
}

/// What the reassembler should hold: per partial bundle, per block, the symbols received
/// in order until the block had k of them.
private struct Model {
    struct Bundle {
        var layout: BundleLayout
        var blocks: [[(index: Int, bytes: [UInt8])]]
        var done: [Bool]
        /// When its first symbol arrived (partial bundles are evicted oldest first).
        var order: Int
    }
    var partial: [UInt32: Bundle] = [:]
    var completed: Set<UInt32> = []
    var completedOrder: [UInt32] = []
    var counter = 0
    let rememberCompleted: Int

    init(rememberCompleted: Int) { self.rememberCompleted = rememberCompleted }

    var bufferedBytes: Int {
        partial.values.reduce(0) { sum, w in
            // Symbols of blocks still open, and rebuilt blocks (k symbols each).
            sum + w.blocks.indices.reduce(0) {
                $0 + (w.done[$1] ? w.layout.sourceCount(block: $1) : w.blocks[$1].count) * w.layout.symbolSize
            }
        }
    }

    /// Rebuilt bundles are remembered in batches: at least the last `rememberCompleted`,
    /// trimmed back to them once twice as many were rebuilt.
    mutating func complete(_ a: UInt32) {
        partial[a] = nil
        completed.insert(a)
        completedOrder.append(a)
        if completedOrder.count > rememberCompleted * 2 {
            let n = completedOrder.count - rememberCompleted
            for old in completedOrder[0..<n] { completed.remove(old) }
            completedOrder.removeFirst(n)
        }
    }
}

private func step(_ r: inout Reassembler, _ model: inout Model, _ d: [UInt8]) {
    let parsed: Result<DatagramHeader, FrameError> = Result { () throws(FrameError) in try DatagramHeader.parse(d) }
    let event = r.receive(datagram: d, protection: NullProtection())
    check(r.bufferedBytes >= 0, "bufferedBytes \(r.bufferedBytes) < 0")
    check(r.bufferedBytes <= r.maxBufferedBytes, "bufferedBytes \(r.bufferedBytes) > \(r.maxBufferedBytes)")
    if d.count > 1472 {
        check(event == .dropped(.tooLong(d.count)), "a \(d.count)-byte datagram gave \(event)")
        return
    }

    let h: DatagramHeader
    switch parsed {
    case .failure(let e):
        check(event == .dropped(e), "parse fails with \(e) but the reassembler gives \(event)")
        return
    case .success(let header):
        h = header
    }
    var written: [UInt8] = []
    h.write(into: &written)
    check(written == Array(d[0..<WireLimits.dataHeaderLength]), "header \(h) does not write back to its bytes")
    let s = Int(h.symbolSize)
    check(d.count == WireLimits.dataHeaderLength + s + WireLimits.tagLength, "parse accepted a \(d.count)-byte datagram with symbol size \(s)")
    guard d[(WireLimits.dataHeaderLength + s)...].allSatisfy({ $0 == 0 }) else {
        check(event == .dropped(.authenticationFailed), "a datagram with a non-zero tag gave \(event)")
        return
    }
    let a = h.bundle
    let bundleLength = Int(d[19]) << 24 | Int(d[20]) << 16 | Int(d[21]) << 8 | Int(d[22])
    guard let layout = try? BundleLayout(bundleLength: bundleLength, symbolSize: s) else {
        check(false, "parse accepted a header whose layout is invalid: \(h)")
        return
    }
    check(h.layout == layout && Int(h.bundleLength) == bundleLength, "header layout \(h.layout), the bytes say \(layout)")
    if model.completed.contains(a) {
        check(event == .duplicate(a, packetNumber: h.packetNumber), "a symbol of completed bundle \(a) gave \(event)")
        return
    }
    if model.partial[a] == nil { model.counter += 1 }
    var w = model.partial[a] ?? Model.Bundle(layout: layout, blocks: Array(repeating: [], count: layout.blockCount),
                                            done: Array(repeating: false, count: layout.blockCount), order: model.counter)
    guard w.layout == layout else {
        if case .dropped(.conflictsWithEarlier) = event {} else { check(false, "a datagram contradicting its bundle's layout gave \(event)") }
        return
    }
    let b = Int(h.blockIndex), i = Int(h.symbolIndex)
    check(b < layout.blockCount && Int(h.k) == layout.sourceCount(block: b), "parse accepted block \(b) with k \(h.k) for \(layout)")
    if w.done[b] || w.blocks[b].contains(where: { $0.index == i }) {
        check(event == .duplicate(a, packetNumber: h.packetNumber), "a symbol already held gave \(event)")
        return
    }
    w.blocks[b].append((i, Array(d[WireLimits.dataHeaderLength..<(WireLimits.dataHeaderLength + s)])))
    let k = layout.sourceCount(block: b)
    if w.blocks[b].count >= k { w.done[b] = true }

    if w.done.allSatisfy({ $0 }) {
        guard case .bundle(let got, let bytes, let pn) = event, pn == h.packetNumber else {
            check(false, "the last symbol of bundle \(a) gave \(event)")
            return
        }
        check(got == a, "bundle event for \(got), datagram of \(a)")
        check(bytes.count == bundleLength, "bundle of \(bytes.count) bytes, header says \(bundleLength)")
        verify(bytes, w)
        BundleCheck.roundTrip(bytes) { check(false, "rebuilt bundle \(a): \($0)") }
        model.complete(a)
        check(r.isCompleted(a) && r.missing(a) == nil, "bundle \(a) is not marked completed after its bundle event")
    } else if case .dropped(.overMemoryBound(let l)) = event {
        // The bundle alone was over the memory bound: given up.
        check(l == bundleLength, "overMemoryBound for \(l) bytes, the bundle has \(bundleLength)")
        model.partial[a] = nil
        check(r.missing(a) == nil, "bundle \(a) is still partial after overMemoryBound")
    } else {
        model.partial[a] = w
        let missing = w.blocks.indices.reduce(0) { $0 + (w.done[$1] ? 0 : layout.sourceCount(block: $1) - w.blocks[$1].count) }
        check(event == .progress(a, missing: missing, packetNumber: h.packetNumber), "expected progress with \(missing) missing, got \(event)")
        check(r.missing(a) != nil, "bundle \(a) is not partial after progress")
    }
    // Evictions: bundles the reassembler no longer holds, oldest first. The current bundle is
    // never evicted.
    let evicted = model.partial.filter { $0.key != a && r.missing($0.key) == nil }
    if let newestEvicted = evicted.values.map(\.order).max() {
        let olderKept = model.partial.filter { $0.key != a && evicted[$0.key] == nil && $0.value.order < newestEvicted }
        check(olderKept.isEmpty, "bundles \(olderKept.keys.sorted()) kept while newer ones \(evicted.keys.sorted()) were evicted")
    }
    for other in evicted.keys { model.partial[other] = nil }
    check(r.partialBundles == model.partial.count, "\(r.partialBundles) partial bundles, the model holds \(model.partial.count)")
    let oldestFirst = model.partial.sorted { $0.value.order < $1.value.order }.map(\.key)
    check(r.partialIDs == oldestFirst, "partialIDs \(r.partialIDs), the model has \(oldestFirst) oldest first")
    check(r.bufferedBytes == model.bufferedBytes, "bufferedBytes \(r.bufferedBytes), the model holds \(model.bufferedBytes)")
    if r.partialBundles > 1 {
        check(r.partialBundles <= r.maxPartialBundles, "\(r.partialBundles) partial bundles > \(r.maxPartialBundles)")
        check(r.bufferedBytes <= r.maxBufferedBytes, "bufferedBytes \(r.bufferedBytes) > \(r.maxBufferedBytes) with \(r.partialBundles) partial bundles")
    }
    if let m = r.missing(a), let pw = model.partial[a] {
        let expected = pw.blocks.indices.map { pw.done[$0] ? 0 : pw.layout.sourceCount(block: $0) - pw.blocks[$0].count }
        check(m == expected, "missing per block \(m), the model says \(expected)")
    }
}

/// Each block of a delivered bundle must be the one block consistent with the k symbols it
/// was rebuilt from: the source symbols appear as they were received and the parity
/// symbols are what the rebuilt block encodes to.
private func verify(_ window: [UInt8], _ w: Model.Bundle) {
    let s = w.layout.symbolSize
    for b in w.blocks.indices {
        let k = w.layout.sourceCount(block: b)
        let used = Array(w.blocks[b].prefix(k))
        check(used.count == k, "block \(b) completed with \(used.count) of \(k) symbols")
        let code = try! ReedSolomon(sourceCount: k)
        var symbols: [Int: [UInt8]] = [:]
        for u in used { symbols[u.index] = u.bytes }
        // The padded block, rebuilt independently of the reassembler.
        let block: [UInt8]
        do { block = try code.decode(symbols, symbolSize: s) } catch {
            check(false, "k distinct symbols of block \(b) do not decode: \(error)")
            return
        }
        let start = w.layout.offset(block: b)
        let visible = min(block.count, window.count - start)
        check(Array(window[start..<(start + visible)]) == Array(block[0..<visible]), "block \(b) of the bundle differs from its decoding")
        for u in used {
            if u.index < k {
                check(Array(block[(u.index * s)..<((u.index + 1) * s)]) == u.bytes, "block \(b) does not keep source symbol \(u.index)")
            } else {
                let p = try! code.encodeParity(indices: [u.index], source: block, symbolSize: s)[0]
                check(p == u.bytes, "block \(b) does not re-encode to parity symbol \(u.index)")
            }
        }
    }
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-datagram invariant broken: \(message())") }
}
