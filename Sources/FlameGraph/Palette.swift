import Folded

/// Colour schemes for frames.
///
/// Every colour is derived from a hash of the function's name (never from a random number
/// or the frame's position), so one function keeps its colour from render to render and
/// two graphs of the same program can be compared by eye.
public enum Palette: String, CaseIterable, Sendable {
    /// Red, orange and yellow: the classic CPU flame graph.
    case hot
    /// Greens: memory (allocations, in-use bytes and objects).
    case mem
    /// Blues: off-CPU time, I/O, lock contention.
    case io
    /// Go programs: purples for the runtime, greens for the standard library, reds and
    /// oranges for user code (`main.` and module paths with a dot such as `github.com/...`).
    case go
    /// Linux perf stacks: perf's `_[k]` kernel, `_[j]` JIT and `_[i]` inlined annotations
    /// get their own colours; C++ (`::`) is yellow, everything else red.
    case perf

    /// Entries explaining the colour families, drawn as a small legend; empty when the
    /// palette varies only by name.
    var legend: [(label: String, color: RGB)] {
        switch self {
        case .hot, .mem, .io: return []
        case .go:
            return [
                ("Go runtime", Self.family(.goRuntime).mid),
                ("standard library", Self.family(.goStd).mid),
                ("user code", Self.family(.goUser).mid),
                ("other", Self.family(.other).mid),
            ]
        case .perf:
            return [
                ("user", Self.family(.perfUser).mid),
                ("C++", Self.family(.perfCpp).mid),
                ("kernel", Self.family(.perfKernel).mid),
                ("JIT", Self.family(.perfJit).mid),
                ("inlined", Self.family(.perfInlined).mid),
            ]
        }
    }

    /// The fill colour of a frame called `name` (the raw name, annotations included).
    func color(for name: Substring) -> RGB {
        let (display, annotation) = FrameAnnotation.split(name)
        let hash = NameHash.fnv1a(display.utf8)
        let family: Family
        switch self {
        case .hot: family = .hot
        case .mem: family = .mem
        case .io: family = .io
        case .go:
            switch GoFrameKind(display) {
            case .runtime: family = .goRuntime
            case .standardLibrary: family = .goStd
            case .user: family = .goUser
            case .other: family = .other
            }
        case .perf:
            switch annotation {
            case .kernel: family = .perfKernel
            case .jit: family = .perfJit
            case .inlined: family = .perfInlined
            case .none, .waker: family = Self.hasDoubleColon(display) ? .perfCpp : .perfUser
            }
        }
        return Self.family(family).color(hash: hash)
    }

    static func hasDoubleColon(_ s: Substring) -> Bool {
        var prevColon = false
        for c in s.utf8 {
            if c == 0x3A {
                if prevColon { return true }
                prevColon = true
            } else {
                prevColon = false
            }
        }
        return false
    }

    /// Groups of related colours; each is a box in HSL space that a name's hash picks from.
    enum Family {
        case hot, mem, io, goRuntime, goStd, goUser, other, perfUser, perfCpp, perfKernel, perfJit, perfInlined
    }

    static func family(_ f: Family) -> HSLBox {
        switch f {
        case .hot: return HSLBox(hue: 0...52, saturation: 0.80...0.95, lightness: 0.50...0.62)
        case .mem: return HSLBox(hue: 85...150, saturation: 0.45...0.65, lightness: 0.42...0.58)
        case .io: return HSLBox(hue: 195...232, saturation: 0.55...0.75, lightness: 0.55...0.68)
        case .goRuntime: return HSLBox(hue: 262...292, saturation: 0.40...0.60, lightness: 0.62...0.72)
        case .goStd: return HSLBox(hue: 150...178, saturation: 0.45...0.60, lightness: 0.45...0.58)
        case .goUser: return HSLBox(hue: 0...40, saturation: 0.80...0.95, lightness: 0.52...0.62)
        case .other: return HSLBox(hue: 45...60, saturation: 0.12...0.25, lightness: 0.62...0.72)
        case .perfUser: return HSLBox(hue: 0...14, saturation: 0.75...0.90, lightness: 0.52...0.62)
        case .perfCpp: return HSLBox(hue: 50...60, saturation: 0.70...0.85, lightness: 0.50...0.60)
        case .perfKernel: return HSLBox(hue: 24...36, saturation: 0.85...0.95, lightness: 0.50...0.58)
        case .perfJit: return HSLBox(hue: 95...125, saturation: 0.55...0.70, lightness: 0.45...0.55)
        case .perfInlined: return HSLBox(hue: 178...192, saturation: 0.55...0.70, lightness: 0.50...0.60)
        }
    }
}

/// A range of hues, saturations and lightnesses from which a hash picks one colour.
struct HSLBox: Sendable {
    var hue: ClosedRange<Double>
    var saturation: ClosedRange<Double>
    var lightness: ClosedRange<Double>

    /// The colour for a 64-bit name hash: three independent 16-bit slices choose the hue,
    /// saturation and lightness within the box.
    func color(hash: UInt64) -> RGB {
        func pick(_ r: ClosedRange<Double>, _ shift: UInt64) -> Double {
            let t = Double((hash >> shift) & 0xFFFF) / 65535
            return r.lowerBound + (r.upperBound - r.lowerBound) * t
        }
        return RGB(hue: pick(hue, 0), saturation: pick(saturation, 16), lightness: pick(lightness, 32))
    }

    /// The colour in the middle of the box, for legends.
    var mid: RGB {
        RGB(
            hue: (hue.lowerBound + hue.upperBound) / 2, saturation: (saturation.lowerBound + saturation.upperBound) / 2,
            lightness: (lightness.lowerBound + lightness.upperBound) / 2)
    }
}

/// A 24-bit colour, written as `#rrggbb`.
struct RGB: Equatable, Sendable {
    var r: UInt8
    var g: UInt8
    var b: UInt8

    init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Clamps each channel into 0...255 and rounds.
    init(_ r: Double, _ g: Double, _ b: Double) {
        func c(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        self.init(r: c(r), g: c(g), b: c(b))
    }

    /// Converts from HSL (hue in degrees, saturation and lightness in 0...1).
    init(hue: Double, saturation s: Double, lightness l: Double) {
        let c = (1 - abs(2 * l - 1)) * s
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r1, g1, b1): (Double, Double, Double)
        switch h {
        case ..<1: (r1, g1, b1) = (c, x, 0)
        case ..<2: (r1, g1, b1) = (x, c, 0)
        case ..<3: (r1, g1, b1) = (0, c, x)
        case ..<4: (r1, g1, b1) = (0, x, c)
        case ..<5: (r1, g1, b1) = (x, 0, c)
        default: (r1, g1, b1) = (c, 0, x)
        }
        let m = l - c / 2
        self.init((r1 + m) * 255, (g1 + m) * 255, (b1 + m) * 255)
    }

    /// `#rrggbb`, lower case.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [0x23]
        for v in [r, g, b] {
            out.append(digits[Int(v >> 4)])
            out.append(digits[Int(v & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hue in degrees (0..<360), for tests that check colour families.
    var hue: Double {
        let rf = Double(r) / 255, gf = Double(g) / 255, bf = Double(b) / 255
        let mx = max(rf, gf, bf), mn = min(rf, gf, bf)
        let d = mx - mn
        if d == 0 { return 0 }
        var h: Double
        if mx == rf { h = ((gf - bf) / d).truncatingRemainder(dividingBy: 6) }
        else if mx == gf { h = (bf - rf) / d + 2 }
        else { h = (rf - gf) / d + 4 }
        h *= 60
        return h < 0 ? h + 360 : h
    }
}

/// The FNV-1a hash: tiny, fast and stable across runs and platforms (unlike `Hasher`, which
/// is seeded per process), which is what deterministic colours need.
enum NameHash {
    static func fnv1a<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        // FNV's low bits mix poorly for short names: finish with a multiply-xorshift so
        // every 16-bit slice used for a colour channel depends on every byte.
        h ^= h >> 29
        h &*= 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return h
    }
}

/// Which part of a Go program a frame belongs to, read from its symbol name.
enum GoFrameKind: Equatable {
    /// `runtime.*`, `runtime/...`, `internal/runtime/...`.
    case runtime
    /// Standard library: the package path's first element has no dot (`sync`, `net/http`).
    case standardLibrary
    /// `main` and module paths whose first element has a dot (`github.com/...`).
    case user
    /// Not a Go symbol (C functions, `[unknown]`, addresses).
    case other

    /// Classifies a symbol such as `net/http.(*conn).serve` or `main.main.func1`.
    init(_ name: Substring) {
        let u = Array(name.utf8)
        // The package path ends at the first dot after the last slash; slashes inside
        // generic arguments (`[...]`) or receivers (`(...)`) do not count.
        var stop = u.count
        for (i, c) in u.enumerated() where c == UInt8(ascii: "[") || c == UInt8(ascii: "(") || c == UInt8(ascii: " ") {
            stop = i
            break
        }
        var lastSlash = -1
        for i in 0..<stop where u[i] == UInt8(ascii: "/") { lastSlash = i }
        var dot = -1
        var i = lastSlash + 1
        while i < stop {
            if u[i] == UInt8(ascii: ".") {
                dot = i
                break
            }
            i += 1
        }
        guard dot > 0 else {
            self = .other
            return
        }
        let path = u[0..<dot]
        let firstEnd = path.firstIndex(of: UInt8(ascii: "/")) ?? dot
        let first = u[0..<firstEnd]
        func isIdentifierish(_ s: ArraySlice<UInt8>) -> Bool {
            s.allSatisfy { c in
                (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
                    || c == 0x2D || c == 0x2E || c == 0x2F || c == 0x7E || c == 0x25 || c >= 0x80
            }
        }
        guard isIdentifierish(path) else {
            self = .other
            return
        }
        if first.contains(UInt8(ascii: ".")) {
            self = .user
        } else if path.elementsEqual("main".utf8) {
            self = .user
        } else if path.elementsEqual("runtime".utf8) || path.starts(with: "runtime/".utf8)
            || path.starts(with: "internal/runtime/".utf8)
        {
            self = .runtime
        } else {
            self = .standardLibrary
        }
    }
}
