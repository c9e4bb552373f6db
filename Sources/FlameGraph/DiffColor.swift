/// Colours of a differential flame graph: red where a frame grew against the baseline,
/// blue where it shrank, light grey where it stayed about the same.
enum DiffColor {
    static let neutral = RGB(r: 228, g: 228, b: 228)
    static let grew = RGB(r: 222, g: 38, b: 38)
    static let shrank = RGB(r: 44, g: 98, b: 222)

    /// The relative change from `base` to `value`, in -1...1: +1 for a frame that is new,
    /// -1 for one that vanished, 0 for no change. Dividing by the larger of the two keeps
    /// growth and shrinkage symmetric (doubling is +0.5, halving is -0.5).
    static func change(value: Double, base: Double) -> Double {
        let m = max(abs(value), abs(base))
        guard m > 0 else { return 0 }
        return max(-1, min(1, (value - base) / m))
    }

    /// The fill for a frame with `value` now and `base` (already normalised, if asked)
    /// before. The intensity grows with the square root of the relative change so that
    /// changes of a few percent are still visible.
    static func color(value: Double, base: Double) -> RGB {
        let c = change(value: value, base: base)
        let t = c.magnitude.squareRoot()
        let target = c > 0 ? grew : shrank
        func mix(_ a: UInt8, _ b: UInt8) -> Double { Double(a) + (Double(b) - Double(a)) * t }
        return RGB(mix(neutral.r, target.r), mix(neutral.g, target.g), mix(neutral.b, target.b))
    }
}
