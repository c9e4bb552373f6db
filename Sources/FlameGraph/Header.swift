import Profile

/// The parts of the SVG around the frames: vertical geometry, title block, controls,
/// legend, the details line at the bottom and the script.
struct Header {
    let w: SVGWriter
    let layout: FlameLayout
    let titleY: Double
    let subtitleY: Double?
    let infoY: Double
    let noteY: Double?
    let legendY: Double?
    /// Top of the frames area and the image height, in whole pixels.
    let framesTop: Int
    let height: Int
    let detailsY: Double
    /// From a row's top to its label's baseline.
    let textDy: Double

    init(writer: SVGWriter, layout: FlameLayout) {
        w = writer
        self.layout = layout
        let fs = writer.fontSize
        let step = (fs * 1.5).rounded()
        titleY = (fs * 2).rounded()
        var y = titleY
        if writer.options.subtitle != nil {
            y += step
            subtitleY = y
        } else {
            subtitleY = nil
        }
        y += step
        infoY = y
        if layout.droppedForSize > 0 {
            y += step
            noteY = y
        } else {
            noteY = nil
        }
        if !writer.tree.isDifferential && !writer.options.palette.legend.isEmpty {
            y += step
            legendY = y
        } else {
            legendY = nil
        }
        framesTop = Int((y + fs * 0.75).rounded(.up))
        let framesBottom = framesTop + (layout.maxDepth + 1) * writer.frameHeight
        detailsY = (Double(framesBottom) + fs * 1.5).rounded()
        height = Int((detailsY + fs * 0.6).rounded(.up))
        textDy = (Double(writer.frameHeight) - 1) / 2 + fs * 0.35
    }

    /// Top of the row of frames at `depth`: the root at the bottom, or at the top when
    /// inverted.
    func rowY(depth: Int) -> Int {
        w.options.inverted
            ? framesTop + depth * w.frameHeight
            : framesTop + (layout.maxDepth - depth) * w.frameHeight
    }

    private func num(_ v: Double) -> String { UnitFormatter.format3(v, decimals: 2) }

    /// The CSS font-family list: each family reduced to letters, digits, spaces, `-` and
    /// `_` and quoted, generic families kept as they are, and `sans-serif` added as the
    /// last resort (the label arithmetic assumes a sans-serif font). Nothing in it needs
    /// escaping, and no input can break out of the style sheet.
    var fontFamily: String {
        let generic: Set<String> = ["serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"]
        var families: [String] = []
        var hasGeneric = false
        for part in w.options.fontFamily.split(separator: ",") {
            let kept = part.unicodeScalars.filter { c in
                c.properties.isAlphabetic || ("0"..."9").contains(c) || c == " " || c == "-" || c == "_"
            }
            let name = String(String.UnicodeScalarView(kept)).split(separator: " ").joined(separator: " ")
            if name.isEmpty { continue }
            if generic.contains(name) {
                hasGeneric = true
                families.append(name)
            } else {
                families.append("'" + name + "'")
            }
        }
        if families.isEmpty { families = ["'Verdana'"] }
        if !hasGeneric { families.append("sans-serif") }
        return families.joined(separator: ", ")
    }

    /// The line under the title: total, baseline and how stacks were merged.
    var info: String {
        let tree = w.tree
        var s = "Total: " + w.value(Double(tree.total))
        switch w.kind {
        case .count: break
        default: if !tree.valueType.type.isEmpty { s += " (" + tree.valueType.type + ")" }
        }
        if tree.isDifferential {
            let b = Double(tree.baseTotal)
            s += ", baseline " + w.value(b)
            if b > 0 {
                let rel = (Double(tree.total) - b) / b * 100
                s += " (" + (rel > 0 ? "+" : "") + UnitFormatter.format3(rel, decimals: 1) + "%)"
            }
            if w.baseScale != 1 {
                s += "; baseline scaled by " + UnitFormatter.format3(w.baseScale, decimals: 3) + " to the same total"
            }
            s += "; red grew, blue shrank"
        }
        if tree.isReversed { s += "; stacks merged from the leaf" }
        return s
    }

    /// Why frames are missing, when the size limit left some out.
    var note: String {
        let widest = Double(layout.widestDropped) / Double(w.tree.total) * w.plotWidth
        return UnitFormatter.grouped(Double(layout.droppedForSize))
            + (layout.droppedForSize == 1 ? " frame" : " frames") + " no wider than " + num(widest)
            + " px merged into their parents to keep the file small"
    }

    func write(_ out: inout [UInt8]) {
        let fs = w.fontSize
        let width = String(w.width)
        let right = num(Double(w.width) - w.pad)
        let center = num(Double(w.width) / 2)
        func text(_ attrs: String, _ content: String) {
            out.append(contentsOf: "<text \(attrs)>".utf8)
            XMLText.appendEscaped(content, to: &out)
            out.append(contentsOf: "</text>\n".utf8)
        }
        out.append(contentsOf: """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <svg version="1.1" xmlns="http://www.w3.org/2000/svg" xmlns:fw="urn:flamewire:svg" \
            width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
            <style>
            text{font-family:\(fontFamily);font-size:\(num(fs))px;fill:#000}
            #title{font-size:\(num(fs + 5))px}
            .m{text-anchor:middle}
            .e{text-anchor:end}
            .n{fill:#555}
            .b{cursor:pointer;fill:#1f4f9f}
            .b:hover{text-decoration:underline}
            .h{display:none}
            #frames g{cursor:pointer}
            #frames text{pointer-events:none}
            #frames g:hover rect{stroke:#000;stroke-width:.5}
            #frames .a{opacity:.5}
            </style>
            <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fcfcf7"/>\
            <stop offset="1" stop-color="#efeedf"/></linearGradient></defs>
            <rect width="100%" height="100%" fill="url(#bg)"/>

            """.utf8)
        text("id=\"title\" class=\"m\" x=\"\(center)\" y=\"\(num(titleY))\"", w.options.title)
        text("id=\"unzoom\" class=\"b h\" x=\"\(num(w.pad))\" y=\"\(num(titleY))\"", "Reset Zoom")
        text("id=\"search\" class=\"b e\" x=\"\(right)\" y=\"\(num(titleY))\"", "Search")
        if let subtitleY, let subtitle = w.options.subtitle {
            text("id=\"subtitle\" class=\"m n\" x=\"\(center)\" y=\"\(num(subtitleY))\"", subtitle)
        }
        text("id=\"info\" class=\"m\" x=\"\(center)\" y=\"\(num(infoY))\"", info)
        text("id=\"unsearch\" class=\"b e h\" x=\"\(right)\" y=\"\(num(infoY))\"", "Reset Search")
        if let noteY {
            text("id=\"note\" class=\"m n\" x=\"\(center)\" y=\"\(num(noteY))\"", note)
        }
        if let legendY {
            var x = w.pad
            let box = (fs * 0.85).rounded()
            out.append(contentsOf: "<g id=\"legend\">\n".utf8)
            for entry in w.options.palette.legend {
                out.append(contentsOf: """
                    <rect x="\(num(x))" y="\(num(legendY - box + 1))" width="\(num(box))" height="\(num(box))" \
                    fill="\(entry.color.hex)"/>
                    """.utf8)
                text("x=\"\(num(x + box + 4))\" y=\"\(num(legendY))\"", entry.label)
                x += box + 4 + Double(entry.label.count) * 0.59 * fs + 14
            }
            out.append(contentsOf: "</g>\n".utf8)
        }
    }

    func writeFooter(_ out: inout [UInt8]) {
        let total = w.tree.total >> w.shift
        out.append(contentsOf: """
            <text id="details" x="\(num(w.pad))" y="\(num(detailsY))"> </text>
            <text id="matched" class="e" x="\(num(Double(w.width) - w.pad))" y="\(num(detailsY))"></text>
            <script type="text/ecmascript"><![CDATA[
            (function (F) {

            """.utf8)
        out.append(contentsOf: Script.body.utf8)
        out.append(contentsOf: """

            })({w: \(w.width), p: \(num(w.pad)), fh: \(w.frameHeight), fs: \(num(w.fontSize)), \
            inv: \(w.options.inverted ? 1 : 0), top: \(framesTop), md: \(layout.maxDepth), tot: \(total), \
            ty: \(num(textDy))});
            ]]></script>
            </svg>

            """.utf8)
    }
}
