import WireLimits

extension BundleLayout {
    /// The layout that puts `bundleLength` bytes on the wire in the fewest bytes once the
    /// up-front parity a block of each size needs is counted (`parity[k − 1]` for k source
    /// symbols, from `ParityPolicy.parityTable`): datagrams of `(k + m) · (S + 39)` bytes.
    /// Parity is cheap only over many symbols, so a small bundle is cut into smaller
    /// symbols when the loss estimate asks for parity (SPEC.md §7); with no loss it is the
    /// fewest symbols that fit `maxSymbol`. A bundle that needs a full block anyway uses
    /// full symbols.
    public static func cheapest(bundleLength: Int, maxSymbol: Int, parity: [Int]) throws(FrameError) -> BundleLayout {
        let fewest = try BundleLayout(bundleLength: bundleLength, maxSymbol: maxSymbol)
        guard fewest.sourceSymbols < WireLimits.maxSourceSymbols, !parity.isEmpty else { return fewest }
        func cost(_ l: BundleLayout) -> Int {
            let k = l.sourceSymbols
            return (k + parity[min(k, parity.count) - 1]) * l.datagramSize
        }
        var best = fewest, bestCost = cost(fewest)
        let most = min(WireLimits.maxSourceSymbols, parity.count, bundleLength)
        guard most > fewest.sourceSymbols else { return best }
        for n in (fewest.sourceSymbols + 1)...most {
            let l = try BundleLayout(bundleLength: bundleLength, symbolSize: (bundleLength + n - 1) / n)
            let c = cost(l)
            if c < bestCost {
                best = l
                bestCost = c
            }
        }
        return best
    }
}

