import Foundation
import Testing

@testable import FlameGraph
import Profile

@Suite("SVG rendering")
struct RenderTests {
    @Test func emptyTreeIsAnError() {
        let tree = FlameTreeBuilder(valueType: Support.samples).build()
        #expect(throws: FlameGraphError.empty) { try FlameGraphSVG.render(tree, options: FlameGraphOptions()) }
    }

    @Test func zeroTotalIsAnError() throws {
        let tree = try Support.tree("main;work 0\nmain;idle 0\n", valueType: Support.cpu)
        #expect(tree.nodeCount > 1)
        #expect(throws: FlameGraphError.zeroTotal(Support.cpu)) {
            try FlameGraphSVG.render(tree, options: FlameGraphOptions())
        }
    }

    @Test func headerShowsTitleSubtitleAndTotalWithItsUnit() throws {
        let tree = try Support.tree("main;work 1500000000\nmain;idle 500000000\n", valueType: Support.cpu)
        let svg = try Support.render(tree) {
            $0.title = "CPU <profile>"
            $0.subtitle = "host & pid"
        }
        #expect(svg.contains(">CPU &lt;profile&gt;</text>"))
        #expect(svg.contains(">host &amp; pid</text>"))
        #expect(svg.contains(">Total: 2 s (cpu)</text>"))
        let work = try #require(Support.frames(svg).first { $0.name == "work" })
        #expect(work.details == "1.5 s, 75%")
    }

    @Test func framesSpanTheirShareOfThePlotWidth() throws {
        let svg = try Support.render(try Support.tree("a 1\nb 3\n")) { $0.width = 410 }
        let frames = Support.frames(svg)
        #expect(frames.map(\.name) == ["all", "a", "b"])
        #expect(frames.map(\.rectX) == [10, 10, 107.5])
        #expect(frames.map(\.rectWidth) == [390, 97.5, 292.5])
    }

    @Test func invertedPutsTheRootAtTheTop() throws {
        let tree = try Support.tree(try Support.fixture("simple.folded"))
        let flame = Support.frames(try Support.render(tree))
        let icicle = Support.frames(try Support.render(tree) { $0.inverted = true })
        func y(_ fs: [Support.Frame], _ name: String) -> Double { fs.first { $0.name == name }!.rectY }
        #expect(y(flame, "all") > y(flame, "main"))
        #expect(y(flame, "main") > y(flame, "blit"))
        #expect(y(icicle, "all") < y(icicle, "main"))
        #expect(y(icicle, "main") < y(icicle, "blit"))
        #expect(flame.map(\.rectX) == icicle.map(\.rectX))
    }

    @Test func reversedTreesSayHowStacksWereMerged() throws {
        let svg = try Support.render(try Support.tree(try Support.fixture("simple.folded"), reverse: true))
        #expect(svg.contains("stacks merged from the leaf"))
        // The root's children are now leaf functions.
        let depth1 = Support.frames(svg).filter { $0.rectY == Support.frames(svg).map(\.rectY).max()! - 16 }
        #expect(Set(depth1.map(\.name)) == ["blit", "idle", "layout", "lex", "mark", "read", "sweep", "syscall"])
    }

    @Test func everyOutputIsWellFormedXML() throws {
        for name in ["simple.folded", "perf.folded", "unicode.folded", "go.folded"] {
            for inverted in [false, true] {
                let tree = try Support.tree(try Support.fixture(name))
                var o = FlameGraphOptions()
                o.inverted = inverted
                o.title = "\(name) \"\(inverted)\" <&>"
                o.subtitle = "\u{01}control\u{7F}"
                o.fontFamily = "Evil'; } text { fill: red } <x>"
                let svg = try FlameGraphSVG.render(tree, options: o)
                guard let lint = try Support.xmllint(svg) else { return }
                #expect(lint.status == 0, "\(name): \(lint.errors)")
            }
        }
    }

    @Test(arguments: [
        ("Verdana", "'Verdana', sans-serif"),
        ("DejaVu Sans, monospace", "'DejaVu Sans', monospace"),
        ("Evil'; } text { fill: red } <x>", "'Evil text fill red x', sans-serif"),
        (" , ;", "'Verdana', sans-serif"),
    ])
    func fontFamilyCannotBreakTheStyleSheet(_ family: String, _ css: String) throws {
        let svg = try Support.render(try Support.tree("a 1\n")) { $0.fontFamily = family }
        #expect(svg.contains("text{font-family:\(css);font-size:12px;fill:#000}"))
    }

    @Test func scriptIsInlineAndCDATASafe() throws {
        let svg = try Support.render(try Support.tree("a 1\n"))
        #expect(!Script.body.contains("]]>"))
        #expect(svg.contains("<script type=\"text/ecmascript\"><![CDATA["))
        #expect(!svg.contains("href="), "no external resources")
        #expect(!Script.body.contains("getComputedTextLength"))
        #expect(!Script.body.contains("getSubStringLength"))
    }

    /// A million leaf frames: under 5 MB at the default width, also when every frame would
    /// qualify by width, and the SVG says that frames were merged.
    @Test func sizeStaysUnderFiveMegabytesForAMillionLeaves() throws {
        let tree = try Support.tree(bytes: Support.syntheticFolded(count: 1_000_000))
        #expect(tree.nodeCount > 1_000_000)
        let byDefault = try FlameGraphSVG.render(tree, options: FlameGraphOptions())
        #expect(byDefault.count < 5_000_000)

        var everything = FlameGraphOptions()
        everything.minWidth = 0
        let capped = try FlameGraphSVG.render(tree, options: everything)
        #expect(capped.count < 5_000_000)
        let text = String(decoding: capped, as: UTF8.self)
        #expect(text.contains("merged into their parents to keep the file small"))
        let frames = Support.frames(text)
        #expect(frames.count <= FlameGraphOptions.defaultMaxFrames)
        #expect(frames.count > 10_000)
        // The widest frames are the ones kept: all 1,000 modules are there.
        #expect(frames.filter { $0.name.hasPrefix("module") }.count == 1_000)
        if let lint = try Support.xmllint(capped) { #expect(lint.status == 0, "\(lint.errors.prefix(500))") }
    }

    @Test func longNamesAreCappedByBytesNotJustFrames() throws {
        let long = String(repeating: "std::vector<std::basic_string<char>>::", count: 130)  // ~5 kB
        var folded = ""
        for i in 0..<3_000 { folded += "main;\(long)\(i) 1\n" }
        let svg = try FlameGraphSVG.render(try Support.tree(folded), options: FlameGraphOptions(minWidth: 0))
        #expect(svg.count < 5_000_000)
        #expect(String(decoding: svg, as: UTF8.self).contains("merged into their parents"))
    }

    @Test func deepStackRendersWithinTheLimits() throws {
        let chain = (0..<65_536).map { "f\($0)" }.joined(separator: ";")
        let svg = try FlameGraphSVG.render(try Support.tree("\(chain) 1\n"), options: FlameGraphOptions())
        #expect(svg.count < 5_000_000)
        if let lint = try Support.xmllint(svg) { #expect(lint.status == 0) }
    }

    /// Prints sizes for the report; the limits are checked above.
    @Test func hundredThousandStacks() throws {
        let tree = try Support.tree(bytes: Support.syntheticFolded(count: 100_000, fanout: 300))
        let svg = try FlameGraphSVG.render(tree, options: FlameGraphOptions())
        let all = try FlameGraphSVG.render(tree, options: FlameGraphOptions(minWidth: 0))
        print("100k stacks: \(svg.count) bytes at min width 0.1 px, \(all.count) bytes at min width 0")
        #expect(svg.count < 5_000_000 && all.count < 5_000_000)
    }
}
