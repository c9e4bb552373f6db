import WireLimits
import WireFrame
import WireFuzzSupport

/// libFuzzer entry point for the directory of a rebuilt bundle (`BundleDirectory.parse`,
/// `BundleDirectory.bundle`, `OutgoingBundle`, SPEC.md §6.2).
///
/// The input is used twice. Findings besides crashes:
/// - as a rebuilt bundle, as is: `parse` refuses it with another error than `badDirectory`,
///   or it accepts it and the directory does not describe it exactly: 1–255 entries, one
///   window each, of its length (≥ 1), back to back after the directory up to the last
///   byte, and directory and windows re-encode (`BundleDirectory.bundle`) to exactly the
///   input (`BundleCheck.roundTrip`);
/// - as a list of windows (`windows(from:)`): their bundle does not parse back to the same
///   addresses and bytes, is accepted with a byte more or a byte less, or its
///   `OutgoingBundle` (in symbols of 1–64 bytes chosen by the input, or the fewest of
///   1,361 bytes) has another directory, or its datagrams, fed to a `Reassembler` last
///   first, do not rebuild exactly the bundle.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    BundleCheck.roundTrip(bytes) { check(false, $0) }
    checkBuilt(bytes)
    return 0
}

/// Windows taken from the input: byte 0 picks the symbol size (below), then per window a
/// length byte (1–256 bytes), a 4-byte stream and a 4-byte seq (big-endian; unless the
/// stream's top bit is set both are cut to a few bits, so short varints are common) and
/// the window's bytes, cut short at the end of the input. At most 255 windows.
private func windows(from b: [UInt8]) -> [(WindowAddress, [UInt8])] {
    var out: [(WindowAddress, [UInt8])] = []
    var i = 1
    func u32(_ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for j in at..<(at + 4) { v = v << 8 | UInt32(j < b.count ? b[j] : 0) }
        return v
    }
    while i + 9 < b.count, out.count < WireLimits.maxBundleWindows {
        let length = 1 + Int(b[i])
        var stream = u32(i + 1), seq = u32(i + 5)
        if stream & 0x8000_0000 == 0 { stream &= 0xFF; seq &= 0x3FFF }
        i += 9
        let end = min(b.count, i + length)
        out.append((WindowAddress(stream: stream, seq: seq), Array(b[i..<end])))
        i = end
    }
    return out
}

private func checkBuilt(_ input: [UInt8]) {
    let ws = windows(from: input)
    guard !ws.isEmpty else { return }
    let bundle = BundleDirectory.bundle(ws)
    guard let (dir, slices) = BundleCheck.roundTrip(bundle, fail: { check(false, "a bundle of \(ws.count) windows: \($0)") }) else {
        check(false, "the bundle of \(ws.count) windows does not parse")
        return
    }
    check(dir.entries.map(\.address) == ws.map(\.0), "addresses \(dir.entries.map(\.address)) parse back from \(ws.map(\.0))")
    check(slices.map { Array($0) } == ws.map(\.1), "windows of the bundle parse back to other bytes")
    for wrong in [bundle + [0], Array(bundle.dropLast())] {
        if (try? BundleDirectory.parse(wrong)) != nil { check(false, "a bundle of \(bundle.count) bytes is accepted as \(wrong.count) bytes") }
    }

    // The sender's side and back through reassembly.
    guard let config = try? FrameConfig() else { return }
    var layout: BundleLayout?
    if input[0] & 0x80 != 0 {
        // Tiny symbols: several blocks from a few KB (at most 4 KB, so a run stays fast).
        guard bundle.count <= 4096 else { return }
        layout = try? BundleLayout(bundleLength: bundle.count, symbolSize: 1 + Int(input[0] & 63))
        if layout == nil { return }
    }
    var out: OutgoingBundle
    do { out = try OutgoingBundle(id: UInt32(input.count), windows: ws, config: config, layout: layout) } catch {
        check(false, "OutgoingBundle refuses \(ws.count) windows of \(bundle.count) bytes in all: \(error)")
        return
    }
    check(out.directory == dir && out.windows == ws.map(\.0), "OutgoingBundle has directory \(out.directory.entries), not \(dir.entries)")
    check(out.layout.bundleLength == bundle.count, "OutgoingBundle layout \(out.layout) for \(bundle.count) bytes")
    var pn: UInt64 = 0
    let datagrams = out.initialDatagrams(lossRate: 0, config: config, packetNumber: &pn, protection: NullProtection())
    var r = Reassembler()
    var rebuilt: [UInt8]?
    for d in datagrams.reversed() {
        check(d.count == out.datagramSize, "datagram of \(d.count) bytes, the bundle's are \(out.datagramSize)")
        switch r.receive(datagram: d, protection: NullProtection()) {
        case .bundle(let id, let bytes, _):
            check(id == out.id && rebuilt == nil, "bundle event for \(id) (rebuilt before: \(rebuilt != nil))")
            rebuilt = bytes
        case .progress(let id, _, _): check(id == out.id, "progress for bundle \(id), sent \(out.id)")
        case .duplicate(let id, _): check(false, "symbol of bundle \(id) taken as a duplicate")
        case .dropped(let e): check(false, "datagram dropped: \(e)")
        }
    }
    check(rebuilt == bundle, "the datagrams rebuild \(rebuilt?.count ?? -1) bytes, not the \(bundle.count)-byte bundle")
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-bundle invariant broken: \(message())") }
}
