import Foundation
import Testing

@testable import FlameGraph
import Profile

/// Renders small folded fixtures and compares the SVG byte for byte with the files in
/// `Fixtures/golden/`. Set `FLAMEWIRE_UPDATE_GOLDEN=1` to rewrite them after an intended
/// change of the output (then review the diff and open them in a browser).
@Suite("Golden SVGs")
struct GoldenTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var golden: String
        var input: String
        var base: String? = nil
        var valueType = Support.samples
        var reverse = false
        var configure: @Sendable (inout FlameGraphOptions) -> Void = { _ in }
        var testDescription: String { golden }
    }

    static let cases: [Case] = [
        Case(golden: "simple.svg", input: "simple.folded"),
        Case(golden: "inverted.svg", input: "simple.folded") {
            $0.inverted = true
            $0.title = "Icicle Graph"
        },
        Case(golden: "reversed.svg", input: "simple.folded", reverse: true),
        Case(golden: "perf.svg", input: "perf.folded") {
            $0.palette = .perf
            $0.subtitle = "perf record -g, stackcollapse-perf"
        },
        Case(golden: "unicode.svg", input: "unicode.folded") { $0.title = "Escaping <&> \"quotes\" and ünïcödé" },
        Case(golden: "diff.svg", input: "diff-new.folded", base: "diff-base.folded") { $0.title = "Differential" },
        Case(golden: "diff-normalized.svg", input: "diff-new.folded", base: "diff-base.folded") {
            $0.title = "Differential, normalized"
            $0.normalizeDiff = true
        },
        Case(golden: "go.svg", input: "go.folded", valueType: Support.cpu) {
            $0.palette = .go
            $0.width = 900
            $0.minWidth = 2
        },
        Case(golden: "mem.svg", input: "go.folded", valueType: ValueType(type: "inuse_space", unit: "bytes")) {
            $0.palette = .mem
            $0.frameHeight = 20
            $0.fontSize = 14
            $0.fontFamily = "DejaVu Sans, sans-serif"
        },
    ]

    static var updating: Bool { ProcessInfo.processInfo.environment["FLAMEWIRE_UPDATE_GOLDEN"] == "1" }

    @Test(arguments: cases)
    func matchesGolden(_ c: Case) throws {
        let tree: FlameTree
        if let base = c.base {
            tree = try Support.diffTree(
                base: try Support.fixture(base), new: try Support.fixture(c.input), valueType: c.valueType)
        } else {
            tree = try Support.tree(try Support.fixture(c.input), valueType: c.valueType, reverse: c.reverse)
        }
        var options = FlameGraphOptions()
        c.configure(&options)
        let svg = try FlameGraphSVG.render(tree, options: options)
        let url = Support.fixtures.appendingPathComponent("golden").appendingPathComponent(c.golden)

        if let lint = try Support.xmllint(svg) {
            #expect(lint.status == 0, "xmllint rejected \(c.golden): \(lint.errors)")
        }
        if Self.updating {
            try Data(svg).write(to: url)
            print("FLAMEWIRE_UPDATE_GOLDEN=1: rewrote \(url.path)")
            return
        }
        guard let expected = FileManager.default.contents(atPath: url.path) else {
            Issue.record("missing golden file \(url.path); run with FLAMEWIRE_UPDATE_GOLDEN=1 to create it")
            return
        }
        if [UInt8](expected) != svg {
            let a = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let b = String(decoding: svg, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("""
                \(c.golden) differs from the golden file at line \(line + 1)
                expected: \(line < a.count ? String(a[line].prefix(300)) : "<end of file>")
                actual:   \(line < b.count ? String(b[line].prefix(300)) : "<end of file>")
                If the change is intended, rerun with FLAMEWIRE_UPDATE_GOLDEN=1 and review the diff.
                """)
        }
    }
}
