import Testing

@testable import FlameGraph
import Profile

@Suite("Flame graph layout")
struct LayoutTests {
    /// Frames of a layout as "depth name x width", in drawing order.
    func describe(_ tree: FlameTree, _ layout: FlameLayout) -> [String] {
        (0..<layout.count).map { f in
            "\(layout.depth[f]) \(tree.name(of: Int(layout.node[f]))) \(layout.x[f]) \(layout.width[f])"
        }
    }

    @Test func positionsFollowCumulativeValuesInAlphabeticalOrder() throws {
        let tree = try Support.tree(try Support.fixture("simple.folded"))
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 1000)
        #expect(
            describe(tree, layout) == [
                "0 all 0 111",
                "1 gc 0 10", "2 mark 0 8", "2 sweep 8 2",
                "1 main 10 101",
                "2 idle 10 10",
                "2 parse 20 51", "3 lex 20 20", "3 read 40 31", "4 syscall 40 1",
                "2 render 71 40", "3 draw 71 25", "4 blit 71 25", "3 layout 96 15",
            ])
        #expect(layout.maxDepth == 4)
        #expect(layout.droppedForSize == 0)
    }

    @Test func orderDoesNotDependOnInputOrder() throws {
        let lines = try Support.fixture("simple.folded").split(separator: "\n")
        let a = try Support.render(try Support.tree(lines.joined(separator: "\n")))
        let b = try Support.render(try Support.tree(lines.reversed().joined(separator: "\n")))
        #expect(a == b)
    }

    @Test func byteOrderOfNames() throws {
        // Upper case sorts before lower case and "a" before "a_b" before "ab", by UTF-8 bytes.
        let tree = try Support.tree("r;ab 1\nr;a_b 1\nr;B 1\nr;a 1\nr;é 1\n")
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 100)
        let names = (2..<layout.count).map { tree.name(of: Int(layout.node[$0])) }
        #expect(names == ["B", "a", "a_b", "ab", "é"])
    }

    @Test func narrowFramesAreLeftOutWithTheirSubtreeAndTheirValueStaysInTheParent() throws {
        let tree = try Support.tree("a;big 90\na;small;deeper;deepest 4\na;tiny 1\nb 5\n")
        // 100 in total: with a threshold of 5, "small" (4), its subtree and "tiny" (1) go.
        let layout = FlameLayout(tree, minValue: 5, maxFrames: 1000)
        #expect(describe(tree, layout) == ["0 all 0 100", "1 a 0 95", "2 big 0 90", "1 b 95 5"])

        // In pixels: 1180 px wide, 100 units; frames under 60 px (b: 59 px) are left out.
        let svg = try Support.render(tree) { $0.minWidth = 60 }
        let frames = Support.frames(svg)
        #expect(frames.map(\.name) == ["all", "a", "big"])
        let a = try #require(frames.first { $0.name == "a" })
        #expect(abs(a.rectWidth - 1180 * 0.95) < 0.01, "a keeps the value of its left-out children")
    }

    @Test func cappedSelectionKeepsTheWidestFramesInPlace() throws {
        let tree = try Support.tree(try Support.fixture("simple.folded"))
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 5)
        // The five widest; left-out siblings leave gaps, so nothing moves.
        #expect(
            describe(tree, layout) == [
                "0 all 0 111", "1 main 10 101", "2 parse 20 51", "3 read 40 31", "2 render 71 40",
            ])
        #expect(layout.droppedForSize == 9)
        #expect(layout.widestDropped == 25)
    }

    @Test func leftOutFramesLeaveGapsWhereTheyWere() throws {
        // "b" is too narrow; "a" and "c" keep the positions the full values give them.
        let tree = try Support.tree("r;a 50\nr;b 1\nr;c 49\nr;b;x 0\n")
        let layout = FlameLayout(tree, minValue: 5, maxFrames: 100)
        #expect(describe(tree, layout) == ["0 all 0 100", "1 r 0 100", "2 a 0 50", "2 c 51 49"])
    }

    @Test func tiesAtTheCutAreBrokenByDepthSoTheResultIsATree() throws {
        // One 10-deep chain: every frame has the same value.
        let chain = (0..<10).map { "f\($0)" }.joined(separator: ";")
        let tree = try Support.tree("\(chain) 7\n")
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 4)
        #expect(describe(tree, layout) == ["0 all 0 7", "1 f0 0 7", "2 f1 0 7", "3 f2 0 7"])
        #expect(layout.droppedForSize == 7)
    }

    @Test func byteBudgetLeavesOutNarrowestFirst() throws {
        let tree = try Support.tree(try Support.fixture("simple.folded"))
        // Every frame costs 100 bytes; 350 bytes fit three frames besides the fixed 50.
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 1000, maxBytes: 350, fixedBytes: 50) { _, _ in 100 }
        let names = (0..<layout.count).map { tree.name(of: Int(layout.node[$0])) }
        #expect(names == ["all", "main", "parse"])
    }

    @Test func deepStacksNeedNoRecursion() throws {
        let depth = 65_536
        let chain = (0..<depth).map { "frame\($0)" }.joined(separator: ";")
        let tree = try Support.tree("\(chain) 3\nother 1\n")
        let layout = FlameLayout(tree, minValue: 0, maxFrames: 1_000_000)
        #expect(layout.count == depth + 2)
        #expect(layout.maxDepth == depth)
        #expect(layout.depth.last == 1)  // "other" comes last: depth-first, alphabetical
    }

    /// The capped layout of a tree much larger than the cap (so the histogram shortcut is
    /// taken) keeps exactly the frames a full sort would: widest, then shallowest, then
    /// first in node order.
    @Test(arguments: [50, 333, 2_000])
    func cappedLayoutMatchesAFullSort(maxFrames: Int) throws {
        var state: UInt64 = 7
        func next(_ n: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % n
        }
        var folded = ""
        for _ in 0..<3_000 {
            let depth = 1 + Int(next(12))
            folded += (0..<depth).map { j in "f\(next(UInt64(2 + j * 3)))" }.joined(separator: ";")
            folded += " \(1 + next(20))\n"
        }
        let tree = try Support.tree(folded)
        #expect(tree.nodeCount > 4 * maxFrames)
        var depth = [Int](repeating: 0, count: tree.nodeCount)
        for i in 1..<tree.nodeCount { depth[i] = depth[Int(tree.parent[i])] + 1 }
        let minValue = 3.0
        let qualifying = (1..<tree.nodeCount).filter { Double(tree.value[$0]) >= minValue }
        let order = qualifying.sorted {
            (tree.value[$0], -depth[$0], -$0) > (tree.value[$1], -depth[$1], -$1)
        }
        let expected = Set([0] + order.prefix(maxFrames - 1))

        let layout = FlameLayout(tree, minValue: minValue, maxFrames: maxFrames)
        #expect(Set(layout.node.map(Int.init)) == expected)
        #expect(layout.droppedForSize == qualifying.count - (maxFrames - 1))
        #expect(layout.widestDropped == tree.value[order[maxFrames - 1]])
        // Every drawn frame lies inside its parent.
        for f in 1..<layout.count {
            let p = try #require((0..<f).last { layout.depth[$0] == layout.depth[f] - 1 })
            #expect(layout.x[f] >= layout.x[p] && layout.x[f] + layout.width[f] <= layout.x[p] + layout.width[p])
        }
    }

    @Test func selectionFindsOrderStatistics() {
        var values: [Int64] = [5, 1, 9, 9, 3, 7, 7, 7, 2, 8]
        let sorted = values.sorted(by: >)
        for k in 0..<values.count {
            var copy = values
            #expect(Selection.kthLargest(&copy, k) == sorted[k])
        }
        // Many equal values and an already sorted input.
        values = [Int64](repeating: 4, count: 1000) + (0..<1000).map { Int64($0) }
        var copy = values
        let expected = values.sorted(by: >)[1500]
        #expect(Selection.kthLargest(&copy, 1500) == expected)
        // Pseudo-random arrays with few distinct values, checked against sorting.
        var state: UInt64 = 42
        for size in [1, 2, 3, 17, 256, 4099] {
            let random = (0..<size).map { _ -> Int64 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int64((state >> 33) % 50)
            }
            let desc = random.sorted(by: >)
            for k in Set([0, size / 3, size / 2, size - 1]) {
                var copy = random
                #expect(Selection.kthLargest(&copy, k) == desc[k], "size \(size), k \(k)")
            }
        }
    }
}
