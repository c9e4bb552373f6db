/// A summary of one value column: what `flamewire inspect` prints.
public struct FunctionCost: Sendable, Equatable {
    public var name: String
    /// Value of samples where this function is the leaf frame.
    public var flat: Int64
    /// Value of samples where this function appears anywhere on the stack (once per sample).
    public var cumulative: Int64
}

extension Profile {
    /// Flat and cumulative value per function name for column `sampleIndex`, sorted by
    /// `flat` (or `cumulative`) descending, ties by name.
    ///
    /// Recursion is counted once per sample in `cumulative`, as pprof does, so cumulative
    /// never exceeds the total.
    public func functionCosts(sampleIndex: Int, byCumulative: Bool = false) -> [FunctionCost] {
        var flat: [String: Int64] = [:]
        var cum: [String: Int64] = [:]
        var seen = Set<String>()
        for s in samples {
            let v = s.values[sampleIndex]
            if v == 0 { continue }
            seen.removeAll(keepingCapacity: true)
            var first = true
            forEachFrameLeafFirst(of: s) { name in
                if first {
                    flat[name, default: 0] &+= v
                    first = false
                }
                if seen.insert(name).inserted { cum[name, default: 0] &+= v }
            }
        }
        var out = cum.map { FunctionCost(name: $0.key, flat: flat[$0.key] ?? 0, cumulative: $0.value) }
        out.sort { a, b in
            let (x, y) = byCumulative ? (a.cumulative, b.cumulative) : (a.flat, b.flat)
            if x != y { return x > y }
            return a.name < b.name
        }
        return out
    }
}
