/// Column prediction (SPEC.md §5.6): many profile columns move together. CPU time is
/// samples × period; allocated bytes are allocated objects × object size. A column with
/// predictor 1 is sent as the residual against the previous column's change scaled by the
/// stack's ratio of the two columns in its reference values.
enum Prediction {
    /// `delta * y / x` in exact integer arithmetic, truncated toward zero; 0 when x is 0 or
    /// the product does not fit in 64 bits (so every implementation gets the same answer).
    @inline(__always)
    static func scaled(_ delta: Int64, _ y: Int64, _ x: Int64) -> Int64 {
        guard x != 0 else { return 0 }
        let (p, overflow) = delta.multipliedReportingOverflow(by: y)
        guard !overflow else { return 0 }
        if x == -1 { return p == .min ? 0 : -p }
        return p / x
    }

    /// Reference pairs per column: the stack's base values when column c-1 is non-zero
    /// there, else the full new values of the latest earlier changed stack in the window
    /// whose column c-1 was non-zero.
    struct References {
        var last: [(x: Int64, y: Int64)?]

        init(columns: Int) { last = [(x: Int64, y: Int64)?](repeating: nil, count: columns) }

        /// The (x, y) pair for column c of a stack with base values `base` under
        /// `predictor`; `new` holds the stack's full new values of columns before c.
        func pair(_ c: Int, predictor: UInt32, base: [Int64]?, new: [Int64]) -> (x: Int64, y: Int64)? {
            if predictor == 2, c >= 3, new[c - 3] != 0 { return (new[c - 3], new[c - 2]) }
            if let base, base[c - 1] != 0 { return (base[c - 1], base[c]) }
            return last[c]
        }

        /// Records a decoded stack's full new values as the running reference.
        mutating func update(newValues v: [Int64]) {
            for c in 1..<max(v.count, 1) where v[c - 1] != 0 { last[c] = (v[c - 1], v[c]) }
        }
    }

    /// The prediction P for column c (SPEC.md §5.6); `delta` holds the decoded deltas of
    /// the columns before c.
    @inline(__always)
    static func predict(_ c: Int, predictor: UInt32, delta: [Int64], refs: References, base: [Int64]?, new: [Int64]) -> Int64 {
        if predictor == 3 { return c >= 2 ? delta[c - 2] : 0 }
        guard predictor != 0, let (x, y) = refs.pair(c, predictor: predictor, base: base, new: new) else { return 0 }
        return scaled(delta[c - 1], y, x)
    }

    /// Bytes of a zig-zag varint.
    static func varintSize(_ v: Int64) -> Int {
        var u = ZigZag.encode(v)
        var n = 1
        while u >= 0x80 { u >>= 7; n += 1 }
        return n
    }
}
