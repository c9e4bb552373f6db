import Profile

/// Renders a `FlameTree` as a self-contained interactive SVG flame graph.
///
/// The file needs nothing else to work: styles and script are inline, there are no external
/// resources. Hovering a frame shows its name, value and share of the total; clicking
/// zooms into it; "Search" (or Ctrl-F) highlights frames matching a regular expression
/// and reports the share of the total they cover; Escape resets both.
///
/// The output stays under `options.maxBytes` (5 MB by default) whatever the input size:
/// when too many frames would be wide enough to draw, the narrowest are merged into their
/// parents and a note under the title says so.
public enum FlameGraphSVG {
    /// Draws `tree`.
    /// - Throws: `FlameGraphError.empty` when the tree has no samples, `.zeroTotal` when
    ///   all of them are zero: no file is better than a blank one.
    /// - Returns: the SVG document as UTF-8 bytes.
    public static func render(_ tree: FlameTree, options: FlameGraphOptions) throws(FlameGraphError) -> [UInt8] {
        if tree.nodeCount <= 1 && tree.total == 0 { throw .empty }
        guard tree.total > 0 else { throw .zeroTotal(tree.valueType) }
        let writer = SVGWriter(tree, options)
        var budget = options.maxBytes
        var out = writer.write(maxBytes: budget)
        // The size estimate per frame is conservative; should it ever fall short, shrink the
        // budget by the overshoot and lay out again.
        var tries = 0
        while out.count > options.maxBytes && tries < 4 {
            budget = Int(Double(budget) * Double(options.maxBytes) / Double(out.count) * 0.97)
            out = writer.write(maxBytes: budget)
            tries += 1
        }
        return out
    }
}
