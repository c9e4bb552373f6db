import Testing

@testable import FlameGraph
import Profile

@Suite("Colours")
struct PaletteTests {
    @Test func coloursDependOnlyOnTheName() throws {
        // The same function in two different graphs keeps its colour.
        let a = Support.frames(try Support.render(try Support.tree("main;parse;lex 5\nmain;idle 3\n")))
        let b = Support.frames(try Support.render(try Support.tree("other;x;y;parse 1\nzzz 9\n")))
        let parseA = try #require(a.first { $0.name == "parse" })
        let parseB = try #require(b.first { $0.name == "parse" })
        #expect(parseA.fill == parseB.fill)
        // A fixed expectation guards against a hash that changes between runs or builds.
        #expect(Palette.hot.color(for: "parse").hex == parseA.fill)
        let names = (0..<200).map { "func\($0)" }
        let colours = Set(names.map { Palette.hot.color(for: $0[...]).hex })
        #expect(colours.count > 150, "different names mostly get different colours")
    }

    @Test func hashIsStable() {
        // Pinned values: a change here changes every graph's colours.
        #expect(NameHash.fnv1a("a".utf8) != NameHash.fnv1a("b".utf8))
        #expect(Palette.hot.color(for: "runtime.mallocgc").hex == "#e8471d")
    }

    @Test(arguments: [
        (Palette.hot, 0.0...52.5), (Palette.mem, 84.5...150.5), (Palette.io, 194.5...232.5),
    ])
    func palettesStayInTheirHueFamily(_ palette: Palette, _ hues: ClosedRange<Double>) {
        for i in 0..<300 {
            let c = palette.color(for: "function_\(i)"[...])
            #expect(hues.contains(c.hue), "\(palette) gave \(c.hex) (hue \(c.hue)) for function_\(i)")
        }
    }

    @Test(arguments: [
        ("runtime.mallocgc", GoFrameKind.runtime),
        ("runtime/internal/atomic.Load64", .runtime),
        ("internal/runtime/maps.(*Map).getWithKey", .runtime),
        ("sync.(*Mutex).Lock", .standardLibrary),
        ("fmt.Sprintf", .standardLibrary),
        ("encoding/json.(*decodeState).object", .standardLibrary),
        ("net/http.(*conn).serve", .standardLibrary),
        ("internal/poll.(*FD).Read", .standardLibrary),
        ("main.main", .user),
        ("main.(*server).handle.func1", .user),
        ("github.com/acme/cache.(*LRU[go.shape.string,github.com/acme/cache.entry]).Get", .user),
        ("gopkg.in/yaml%2ev3.unmarshal", .user),
        ("sync/atomic.(*Pointer[go.shape.struct { net/http.x int }]).Load", .standardLibrary),
        ("memcpy", .other),
        ("[unknown]", .other),
        ("0x4a5b6c", .other),
    ])
    func goFramesAreClassified(_ name: String, _ kind: GoFrameKind) {
        #expect(GoFrameKind(name[...]) == kind)
    }

    @Test func goPaletteUsesThreeDistinctHueFamiliesAndHasALegend() throws {
        let runtime = ["runtime.mallocgc", "runtime.gcDrain", "runtime.scanobject", "runtime/internal/atomic.Load"]
        let std = ["sync.(*Mutex).Lock", "fmt.Sprintf", "encoding/json.Unmarshal", "net/http.(*conn).serve"]
        let user = ["main.main", "main.handler", "github.com/acme/x.Do", "example.com/y.(*T).Run"]
        func hues(_ names: [String]) -> [Double] { names.map { Palette.go.color(for: $0[...]).hue } }
        #expect(hues(runtime).allSatisfy { (255...300).contains($0) })
        #expect(hues(std).allSatisfy { (145...185).contains($0) })
        #expect(hues(user).allSatisfy { $0 <= 45 || $0 >= 355 })

        let svg = try Support.render(try Support.tree(try Support.fixture("go.folded"), valueType: Support.cpu)) {
            $0.palette = .go
        }
        #expect(svg.contains("<g id=\"legend\">"))
        for label in ["Go runtime", "standard library", "user code"] { #expect(svg.contains(">\(label)</text>")) }
        let hot = try Support.render(try Support.tree(try Support.fixture("go.folded"))) { $0.palette = .hot }
        #expect(!hot.contains("id=\"legend\""))
    }

    @Test func diffColoursFollowTheSignOfTheChange() {
        let grew = DiffColor.color(value: 150, base: 100)
        let shrank = DiffColor.color(value: 50, base: 100)
        let same = DiffColor.color(value: 100, base: 100)
        #expect(grew.r > grew.b + 60)
        #expect(shrank.b > shrank.r + 60)
        #expect(same == DiffColor.neutral)
        // Bigger changes are more intense.
        let grewMore = DiffColor.color(value: 400, base: 100)
        #expect(Int(grewMore.g) < Int(grew.g))
        #expect(DiffColor.color(value: 10, base: 0) == DiffColor.grew)
    }

    @Test func diffGraphColoursTooltipsAndNormalization() throws {
        let tree = try Support.diffTree(
            base: try Support.fixture("diff-base.folded"), new: try Support.fixture("diff-new.folded"))
        let frames = Support.frames(try Support.render(tree))
        let encode = try #require(frames.first { $0.name == "encode" })  // 20 -> 45
        let gc = try #require(frames.first { $0.name == "gc" })  // 30 -> 12
        let decode = try #require(frames.first { $0.name == "decode" })  // 40 -> 40
        let cache = try #require(frames.first { $0.name == "cache" })  // new
        func rgb(_ hex: String) -> (Int, Int, Int) {
            let v = Int(hex.dropFirst(), radix: 16)!
            return (v >> 16, (v >> 8) & 255, v & 255)
        }
        #expect(rgb(encode.fill).0 > rgb(encode.fill).2)
        #expect(rgb(gc.fill).2 > rgb(gc.fill).0)
        #expect(decode.fill == DiffColor.neutral.hex)
        #expect(encode.details == "45 samples, 40.18%, base 20 samples, +25 samples (+125%)")
        #expect(gc.details.hasSuffix("-18 samples (-60%)"))
        #expect(cache.details.hasSuffix("(new)"))

        // Normalized: the baseline (100) is scaled to the new total (112), so "decode",
        // unchanged in samples, shrank in share.
        let norm = Support.frames(try Support.render(tree) { $0.normalizeDiff = true })
        let decodeN = try #require(norm.first { $0.name == "decode" })
        #expect(decodeN.details.contains("base 45 samples"))
        #expect(rgb(decodeN.fill).2 > rgb(decodeN.fill).0)
        let root = try #require(norm.first { $0.name == "all" })
        #expect(root.fill == DiffColor.neutral.hex)
    }
}
