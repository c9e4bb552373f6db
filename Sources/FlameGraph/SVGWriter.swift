import Folded
import Profile

/// Writes one flame graph: geometry, header, frames, script.
///
/// All numbers in the output are formatted by hand with fixed decimals, so the same tree
/// and options always give the same bytes (the golden tests depend on it).
struct SVGWriter {
    let tree: FlameTree
    let options: FlameGraphOptions
    /// Image width and the margin left and right of the frames, in pixels.
    let width: Int
    let pad = 10.0
    let plotWidth: Double
    let frameHeight: Int
    let fontSize: Double
    let kind: UnitFormatter.Kind
    /// Multiplier applied to baseline values (differential graphs with `normalizeDiff`).
    let baseScale: Double
    /// Right shift that brings values under 2^53, so the script's doubles hold them exactly.
    let shift: Int

    init(_ tree: FlameTree, _ options: FlameGraphOptions) {
        self.tree = tree
        self.options = options
        width = max(options.width, 100)
        plotWidth = Double(width) - 2 * pad
        frameHeight = max(options.frameHeight, 2)
        fontSize = options.fontSize.isFinite && options.fontSize > 0 ? options.fontSize : 12
        kind = UnitFormatter.kind(of: tree.valueType)
        if tree.isDifferential && options.normalizeDiff && tree.baseTotal > 0 {
            baseScale = Double(tree.total) / Double(tree.baseTotal)
        } else {
            baseScale = 1
        }
        let bits = 64 - tree.total.leadingZeroBitCount
        shift = max(0, bits - 53)
    }

    /// What a reader sees of a node's name, prepared once per distinct name.
    struct Name {
        /// Display name: perf annotation removed, forbidden characters replaced.
        var text: String
        /// `text` escaped for XML.
        var escaped: [UInt8]
        var color: RGB
    }

    final class NameCache {
        var byIndex: [Int32: Name] = [:]
    }

    func name(_ node: Int, _ cache: NameCache) -> Name {
        let id = tree.nameIndex[node]
        if let n = cache.byIndex[id] { return n }
        let raw: Substring = id < 0 ? "all" : tree.names[Int(id)][...]
        let display = XMLText.sanitized(FrameAnnotation.split(raw).name)
        var esc: [UInt8] = []
        XMLText.appendEscaped(display, to: &esc)
        let n = Name(text: display, escaped: esc, color: options.palette.color(for: raw))
        cache.byIndex[id] = n
        return n
    }

    // MARK: Numbers

    func value(_ v: Double) -> String { UnitFormatter.format(v, kind: kind) }

    func signed(_ v: Double) -> String {
        let s = value(v)
        return v > 0 ? "+" + s : s
    }

    /// The second line of a frame's tooltip: value and share; for differential graphs also
    /// the baseline and the change.
    func details(node: Int, width w: Int64) -> String {
        let total = Double(tree.total)
        var s = value(Double(w)) + ", " + UnitFormatter.percent(Double(w), of: total)
        if tree.isDifferential {
            let b = Double(tree.base[node]) * baseScale
            let delta = Double(w) - b
            s += ", base " + value(b) + ", " + signed(delta)
            if b > 0 {
                let rel = delta / b * 100
                s += " (" + (rel > 0 ? "+" : "") + UnitFormatter.format3(rel, decimals: 1) + "%)"
            } else {
                s += " (new)"
            }
        }
        return s
    }

    /// Pixel coordinates with two decimals at most.
    func px(_ v: Double) -> String { UnitFormatter.format3(v, decimals: 2) }

    // MARK: Layout and size estimate

    /// Fixed part of the file: everything but the frames (an overestimate).
    var fixedBytes: Int {
        Script.body.utf8.count + 4_000 + 2 * XMLText.escapedCount(options.title)
            + 2 * XMLText.escapedCount(options.subtitle ?? "") + 2 * options.fontFamily.utf8.count
    }

    /// Bytes of one frame's markup: exact for the name, numbers and label; coordinates are
    /// taken at their longest.
    func frameCost(node: Int32, width w: Int64, cache: NameCache) -> Int {
        let n = name(Int(node), cache)
        let wpx = Double(w) / Double(tree.total) * plotWidth
        // Tags and attribute names, a colour, and pixel numbers of up to 7 characters.
        var cost = 110 + digits(tree.total >> shift) + digits(w >> shift) + n.escaped.count
        cost += XMLText.escapedCount(details(node: Int(node), width: w))
        if let label = LabelFit.label(n.text, width: wpx, fontSize: fontSize) {
            cost += 37 + XMLText.escapedCount(label)
        }
        return cost
    }

    func digits(_ v: Int64) -> Int { String(v).utf8.count }

    // MARK: Writing

    func write(maxBytes: Int) -> [UInt8] {
        let cache = NameCache()
        let minValue = max(0, options.minWidth.isFinite ? options.minWidth : 0) * Double(tree.total) / plotWidth
        let layout = FlameLayout(
            tree, minValue: minValue, maxFrames: options.maxFrames, maxBytes: maxBytes, fixedBytes: fixedBytes
        ) { node, w in frameCost(node: node, width: w, cache: cache) }

        var out: [UInt8] = []
        out.reserveCapacity(min(maxBytes, fixedBytes + layout.count * 300))
        let header = Header(writer: self, layout: layout)
        header.write(&out)
        writeFrames(layout, header, cache, &out)
        header.writeFooter(&out)
        return out
    }

    private func writeFrames(_ layout: FlameLayout, _ header: Header, _ cache: NameCache, _ out: inout [UInt8]) {
        let total = Double(tree.total)
        let rectHeight = String(max(1, frameHeight - 1))
        let ty = header.textDy
        out.append(contentsOf: "<g id=\"frames\">\n".utf8)
        for f in 0..<layout.count {
            let node = Int(layout.node[f])
            let w = layout.width[f]
            let n = name(node, cache)
            let xpx = Double(layout.x[f]) / total * plotWidth
            let wpx = Double(w) / total * plotWidth
            let y = header.rowY(depth: Int(layout.depth[f]))
            let fill: RGB
            if tree.isDifferential {
                fill = DiffColor.color(value: Double(w), base: Double(tree.base[node]) * baseScale)
            } else {
                fill = n.color
            }
            out.append(contentsOf: "<g fw:v=\"".utf8)
            out.append(contentsOf: String(layout.x[f] >> shift).utf8)
            out.append(0x20)
            out.append(contentsOf: String(w >> shift).utf8)
            out.append(contentsOf: "\"><title>".utf8)
            out.append(contentsOf: n.escaped)
            out.append(0x0A)
            XMLText.appendEscaped(details(node: node, width: w), to: &out)
            out.append(contentsOf: "</title><rect x=\"".utf8)
            out.append(contentsOf: px(pad + xpx).utf8)
            out.append(contentsOf: "\" y=\"".utf8)
            out.append(contentsOf: String(y).utf8)
            out.append(contentsOf: "\" width=\"".utf8)
            out.append(contentsOf: px(wpx).utf8)
            out.append(contentsOf: "\" height=\"".utf8)
            out.append(contentsOf: rectHeight.utf8)
            out.append(contentsOf: "\" fill=\"".utf8)
            out.append(contentsOf: fill.hex.utf8)
            out.append(contentsOf: "\"/>".utf8)
            if let label = LabelFit.label(n.text, width: wpx, fontSize: fontSize) {
                out.append(contentsOf: "<text x=\"".utf8)
                out.append(contentsOf: px(pad + xpx + LabelFit.padding).utf8)
                out.append(contentsOf: "\" y=\"".utf8)
                out.append(contentsOf: px(Double(y) + ty).utf8)
                out.append(contentsOf: "\">".utf8)
                XMLText.appendEscaped(label, to: &out)
                out.append(contentsOf: "</text>".utf8)
            }
            out.append(contentsOf: "</g>\n".utf8)
        }
        out.append(contentsOf: "</g>\n".utf8)
    }
}
