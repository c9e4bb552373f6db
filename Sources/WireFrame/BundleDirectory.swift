import WireLimits

/// The front of a rebuilt bundle: which windows it carries, in order, and how long each
/// is (SPEC.md §6.2). After it come the compressed windows back to back.
///
/// ```
/// varint n (1 … 255)
/// n × { varint stream, varint seq, varint length (≥ 1) }
/// ```
/// The directory's own bytes plus the window lengths are exactly the bundle length, so a
/// receiver that rebuilt the bundle finds every window without trusting anything else.
public struct BundleDirectory: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var address: WindowAddress
        /// Bytes of the compressed window.
        public var length: Int
        public init(address: WindowAddress, length: Int) {
            self.address = address
            self.length = length
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Most bytes the window count and one entry take (varints of at most 32 bits).
    public static let maxCountLength = 2
    public static let maxEntryLength = 15

    /// Bytes of the directory's encoding, without encoding it.
    public var byteCount: Int {
        entries.reduce(Self.varintLength(UInt64(entries.count))) {
            $0 + Self.varintLength(UInt64($1.address.stream)) + Self.varintLength(UInt64($1.address.seq)) + Self.varintLength(UInt64($1.length))
        }
    }

    /// Bytes of the bundle it describes: the directory and the windows.
    public var bundleLength: Int { entries.reduce(byteCount) { $0 + $1.length } }

    /// The directory's encoding.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        Self.putVarint(UInt64(entries.count), &out)
        for e in entries {
            Self.putVarint(UInt64(e.address.stream), &out)
            Self.putVarint(UInt64(e.address.seq), &out)
            Self.putVarint(UInt64(e.length), &out)
        }
        return out
    }

    /// A bundle's bytes: this directory, then `windows` (one per entry, in order).
    public static func bundle(_ windows: [(WindowAddress, [UInt8])]) -> [UInt8] { make(windows).bytes }

    /// The directory of `windows` and the bundle's bytes.
    public static func make(_ windows: [(WindowAddress, [UInt8])]) -> (directory: BundleDirectory, bytes: [UInt8]) {
        let dir = BundleDirectory(entries: windows.map { Entry(address: $0.0, length: $0.1.count) })
        var out = dir.bytes
        out.reserveCapacity(dir.bundleLength)
        for (_, w) in windows { out += w }
        return (dir, out)
    }

    /// Reads the directory of a rebuilt bundle and returns it with each window's bytes;
    /// `badDirectory` when it does not describe the bundle exactly.
    public static func parse(_ bundle: [UInt8]) throws(FrameError) -> (BundleDirectory, [ArraySlice<UInt8>]) {
        var at = 0
        func varint(_ what: String, max: UInt64) throws(FrameError) -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < bundle.count else { throw .badDirectory("\(what) runs past the end of the bundle") }
                let b = bundle[at]
                at += 1
                guard shift < 64, shift < 63 || b <= 1 else { throw .badDirectory("\(what) is longer than 10 bytes") }
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            guard v <= max else { throw .badDirectory("\(what) \(v) is above \(max)") }
            return v
        }
        let n = Int(try varint("window count", max: UInt64(WireLimits.maxBundleWindows)))
        guard n >= 1 else { throw .badDirectory("no windows") }
        var entries: [Entry] = []
        entries.reserveCapacity(n)
        var total = 0
        for i in 0..<n {
            let stream = UInt32(try varint("stream of entry \(i)", max: UInt64(UInt32.max)))
            let seq = UInt32(try varint("seq of entry \(i)", max: UInt64(UInt32.max)))
            let length = Int(try varint("length of entry \(i)", max: UInt64(bundle.count)))
            guard length >= 1 else { throw .badDirectory("entry \(i) is empty") }
            total += length
            entries.append(Entry(address: WindowAddress(stream: stream, seq: seq), length: length))
        }
        guard at + total == bundle.count else {
            throw .badDirectory("directory of \(at) bytes and windows of \(total) bytes, but the bundle has \(bundle.count)")
        }
        var windows: [ArraySlice<UInt8>] = []
        windows.reserveCapacity(n)
        for e in entries {
            windows.append(bundle[at..<(at + e.length)])
            at += e.length
        }
        return (BundleDirectory(entries: entries), windows)
    }

    static func varintLength(_ v: UInt64) -> Int { max(1, (64 - v.leadingZeroBitCount + 6) / 7) }

    static func putVarint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
