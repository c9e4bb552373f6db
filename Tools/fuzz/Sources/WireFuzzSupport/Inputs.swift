import WireLimits
import FEC
import WireFrame

// Input formats of the wire fuzzers. The harnesses parse them; the seed generator
// (`wire-seeds`) writes them, so both sides live here.

/// `fuzz-datagram` input: one control byte, then datagrams.
///
/// Control byte:
/// - bits 0–1: `maxPartialBundles` 1, 2, 3 or 1024;
/// - bits 2–3: `maxBufferedBytes` 2 KiB, 16 KiB, 256 KiB or 64 MiB;
/// - bit 4: `rememberCompleted` 2 instead of 4096;
/// - bit 5: feed every datagram a second time after the first pass;
/// - bit 6: self-delimiting datagrams: each is the 23 header bytes, then as many symbol
///   bytes as the low 11 bits of the bundle length (header bytes 21–22) say, then 16 tag
///   bytes (the last one may be cut short); otherwise each datagram is a 2-byte big-endian
///   length and that many bytes.
public struct DatagramInput: Sendable {
    public var control: UInt8
    public var datagrams: [[UInt8]]

    public init(control: UInt8, datagrams: [[UInt8]]) {
        self.control = control
        self.datagrams = datagrams
    }

    public var maxPartialBundles: Int { [1, 2, 3, 1024][Int(control & 3)] }
    public var maxBufferedBytes: Int { [2048, 16384, 262_144, 64 << 20][Int(control >> 2 & 3)] }
    public var rememberCompleted: Int { control & 0x10 != 0 ? 2 : 4096 }
    public var replay: Bool { control & 0x20 != 0 }
    public var selfDelimiting: Bool { control & 0x40 != 0 }

    public static func parse(_ bytes: [UInt8]) -> DatagramInput {
        guard let control = bytes.first else { return DatagramInput(control: 0, datagrams: []) }
        var out: [[UInt8]] = []
        var i = 1
        if control & 0x40 != 0 {
            while i < bytes.count {
                // Header and tag, and a symbol as long as the low 11 bits of the bundle length
                // field say (the header has no symbol size: SPEC.md §6.3).
                let h = WireLimits.dataHeaderLength
                var n = h + WireLimits.tagLength
                if i + h <= bytes.count { n += (Int(bytes[i + h - 2]) << 8 | Int(bytes[i + h - 1])) & 0x7FF }
                let end = min(bytes.count, i + n)
                out.append(Array(bytes[i..<end]))
                i = end
            }
        } else {
            while i + 2 <= bytes.count {
                let n = Int(bytes[i]) << 8 | Int(bytes[i + 1])
                let end = min(bytes.count, i + 2 + n)
                out.append(Array(bytes[(i + 2)..<end]))
                i = end
            }
        }
        return DatagramInput(control: control, datagrams: out)
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = [control]
        for d in datagrams {
            if !selfDelimiting {
                precondition(d.count <= 0xFFFF)
                out.append(UInt8(d.count >> 8))
                out.append(UInt8(d.count & 0xFF))
            }
            out.append(contentsOf: d)
        }
        return out
    }
}

/// `fuzz-fec` input: a block description, the symbols a receiver holds, and source bytes.
///
/// - byte 0: k − 1 (k = 1 + byte0 & 63; with flag 0x40, k = 1 + byte0, so 256 is possible);
/// - byte 1: symbol size, low 8 bits;
/// - byte 2: flags: bits 0–1 symbol size bits 8–9 (sizes 0–1023); bits 2–3 kernel
///   (0 portable, 1 SSSE3, 2 AVX2, 3 all three, compared); bit 4 corrupt mode; bit 6 wide k;
/// - byte 3: n, the number of symbol entries that follow;
/// - n entries: the symbol index (1 byte); in corrupt mode one more byte per entry,
///   `op`: op & 3 = 0 keep, 1 flip byte (op >> 2) of the symbol, 2 wrong size,
///   3 index out of range;
/// - the rest: source bytes, repeated (or zeros if none) up to k × size.
public struct FECInput: Sendable {
    public enum Op: Equatable, Sendable { case keep, flip(Int), wrongSize, badIndex }
    public var k: Int
    public var symbolSize: Int
    public var kernel: Int
    public var corrupt: Bool
    public var entries: [(index: Int, op: Op)]
    public var source: [UInt8]

    public init(k: Int, symbolSize: Int, kernel: Int, corrupt: Bool, entries: [(index: Int, op: Op)], source: [UInt8]) {
        self.k = k
        self.symbolSize = symbolSize
        self.kernel = kernel
        self.corrupt = corrupt
        self.entries = entries
        self.source = source
    }

    public static func parse(_ b: [UInt8]) -> FECInput? {
        guard b.count >= 4 else { return nil }
        let flags = b[2]
        let k = flags & 0x40 != 0 ? 1 + Int(b[0]) : 1 + Int(b[0] & 63)
        let size = Int(b[1]) | Int(flags & 3) << 8
        let corrupt = flags & 0x10 != 0
        var i = 4
        var entries: [(Int, Op)] = []
        for _ in 0..<Int(b[3]) {
            guard i < b.count else { break }
            let index = Int(b[i])
            i += 1
            var op = Op.keep
            if corrupt {
                guard i < b.count else { break }
                let o = b[i]
                i += 1
                switch o & 3 {
                case 1: op = .flip(Int(o >> 2))
                case 2: op = .wrongSize
                case 3: op = .badIndex
                default: op = .keep
                }
            }
            entries.append((index, op))
        }
        let rest = Array(b[i...])
        var source = [UInt8](repeating: 0, count: k * size)
        if !rest.isEmpty { for j in source.indices { source[j] = rest[j % rest.count] &+ UInt8(truncatingIfNeeded: j / rest.count) } }
        return FECInput(k: k, symbolSize: size, kernel: Int(flags >> 2 & 3), corrupt: corrupt, entries: entries, source: source)
    }

    /// Bytes that parse back to this input (`source` is written as is, so it must be
    /// k × size bytes or shorter).
    public var bytes: [UInt8] {
        var flags = UInt8(symbolSize >> 8 & 3) | UInt8(kernel & 3) << 2
        if corrupt { flags |= 0x10 }
        let wide = k > 64
        if wide { flags |= 0x40 }
        var out: [UInt8] = [UInt8(k - 1), UInt8(symbolSize & 0xFF), flags, UInt8(entries.count)]
        for e in entries {
            out.append(UInt8(e.index & 0xFF))
            if corrupt {
                switch e.op {
                case .keep: out.append(0)
                case .flip(let at): out.append(UInt8(at & 63) << 2 | 1)
                case .wrongSize: out.append(2)
                case .badIndex: out.append(3)
                }
            }
        }
        out.append(contentsOf: source)
        return out
    }
}

/// `fuzz-window` input: one mode byte, then a window payload.
///
/// Mode byte:
/// - bits 0–1: what the decoder holds first: 0 nothing; 1 the fixed stream's keyframe
///   (seq 1); 2 the keyframe and the delta seq 2; 3 as 2, and the payload is decoded twice;
/// - bit 2: the payload is snappy-compressed (decompressed with a 1 MiB limit first);
/// - bit 3: with bits 0–1 = 0, the decoder hashes content ids to 8 bits, so collision
///   salts and `idConflict` are reachable (the protocol's collision test vectors use 8).
public enum WindowInput {
    public static func bytes(mode: UInt8, payload: [UInt8]) -> [UInt8] { [mode] + payload }
}

/// Builds the datagrams of a bundle directly from a symbol size, without the 576-byte
/// floor of `FrameConfig`: tiny symbols make multi-block seeds of a few KB. `bundle` is
/// any bytes (reassembly does not read the directory); `BundleDirectory.bundle` makes real ones.
public enum TinyFrames {
    public static func datagrams(bundle: [UInt8], symbolSize s: Int, parity m: Int, connection: UInt32 = 1, id: UInt32 = 1,
                                 packetNumber: inout UInt64) throws -> [[UInt8]] {
        let layout = try BundleLayout(bundleLength: bundle.count, symbolSize: s)
        var out: [[UInt8]] = []
        for b in 0..<layout.blockCount {
            let k = layout.sourceCount(block: b)
            var source = [UInt8](repeating: 0, count: k * s)
            let start = layout.offset(block: b)
            for j in 0..<source.count where start + j < bundle.count { source[j] = bundle[start + j] }
            let code = try ReedSolomon(sourceCount: k)
            let parity = try code.encodeParity(indices: k..<min(256, k + m), source: source, symbolSize: s)
            for index in 0..<min(256, k + m) {
                packetNumber += 1
                let h = try DatagramHeader(connectionID: connection, packetNumber: packetNumber, bundle: id,
                                           blockIndex: UInt8(b), symbolIndex: UInt8(index), layout: layout)
                var d: [UInt8] = []
                h.write(into: &d)
                d.append(contentsOf: index < k ? Array(source[(index * s)..<((index + 1) * s)]) : parity[index - k])
                d.append(contentsOf: [UInt8](repeating: 0, count: WireLimits.tagLength))
                out.append(d)
            }
        }
        return out
    }
}

/// Checks of a rebuilt bundle's directory that `fuzz-bundle` and `fuzz-datagram` share.
public enum BundleCheck {
    /// Parses `bytes` as a bundle and, when it is accepted, checks what the parse promises:
    /// one window per entry, each as long as its entry says and at least 1 byte, 1–255 of
    /// them, back to back after the directory up to the end, and the directory and windows
    /// re-encoding (`BundleDirectory.bundle`) to exactly `bytes`. A refusal must be a
    /// `badDirectory`. Returns the parse, or nil when it was refused; `fail` gets a
    /// description of each broken invariant.
    @discardableResult
    public static func roundTrip(_ bytes: [UInt8], fail: (String) -> Void) -> (BundleDirectory, [ArraySlice<UInt8>])? {
        let parsed: (BundleDirectory, [ArraySlice<UInt8>])
        do { parsed = try BundleDirectory.parse(bytes) } catch {
            if case .badDirectory = error {} else { fail("parse refused \(bytes.count) bytes with \(error), not badDirectory") }
            return nil
        }
        let (dir, windows) = parsed
        let n = dir.entries.count
        if n < 1 || n > WireLimits.maxBundleWindows { fail("parse accepted a directory of \(n) entries") }
        if windows.count != n { fail("\(n) entries but \(windows.count) windows") }
        // The directory as written, which may hold non-minimal varints (longer than `dir.bytes`).
        let written = bytes.count - windows.reduce(0) { $0 + $1.count }
        if written < dir.bytes.count { fail("a directory of \(dir.entries.count) entries in \(written) bytes") }
        var at = written
        for (i, (e, w)) in zip(dir.entries, windows).enumerated() {
            if e.length < 1 { fail("entry \(i) has length \(e.length)") }
            if w.count != e.length { fail("entry \(i) says \(e.length) bytes, its window has \(w.count)") }
            if w.startIndex != at { fail("window \(i) starts at \(w.startIndex), not right after the previous one (\(at))") }
            at = w.endIndex
        }
        if at != bytes.count { fail("the windows end at \(at) of \(bytes.count) bytes") }
        // Varints need not be minimal (SPEC.md §6.2, as in protobuf): the re-encoding is the
        // input with every directory varint in its shortest form, so it is no longer, ends
        // with the same window bytes, parses to the same directory, and equals the input
        // whenever the input's varints were minimal.
        let again = BundleDirectory.bundle(zip(dir.entries, windows).map { ($0.address, Array($1)) })
        let windowBytes = bytes.count - written
        let minimal = (try? BundleDirectory.parse(again)).map { $0.0 == dir && $0.1.map(Array.init) == windows.map(Array.init) } ?? false
        if again.count > bytes.count || !minimal || again.suffix(windowBytes) != bytes.suffix(windowBytes) {
            fail("accepted \(bytes.count) bytes re-encode to \(again.count) other bytes: directory \(dir.entries), "
                 + "input starts \(bytes.prefix(24).map { String($0, radix: 16) }), re-encoding \(again.prefix(24).map { String($0, radix: 16) })")
        }
        return parsed
    }
}
