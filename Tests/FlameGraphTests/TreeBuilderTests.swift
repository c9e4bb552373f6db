import Testing
import TestSupport
import Folded
import Profile
@testable import FlameGraph

/// Every node of a tree as "root;...;frame" → (cumulative value, cumulative base).
func paths(_ t: FlameTree) -> [String: [Int64]] {
    var path = [String](repeating: "", count: t.nodeCount)
    var out: [String: [Int64]] = [:]
    for i in 1..<t.nodeCount {
        let p = Int(t.parent[i])
        path[i] = p == 0 ? t.name(of: i) : path[p] + ";" + t.name(of: i)
        out[path[i]] = t.isDifferential ? [t.value[i], t.base[i]] : [t.value[i]]
    }
    return out
}

func randomStacks(seed: UInt64, count: Int) -> [([String], Int64)] {
    var rng = SplitMix64(state: seed)
    let names = (0..<40).map { "fn\($0)" + String(repeating: "x", count: Int($0 % 7)) } + ["a", "ab", "a;", "b"].filter { !$0.contains(";") }
    var out: [([String], Int64)] = []
    for _ in 0..<count {
        let depth = Int.random(in: 1...12, using: &rng)
        // Narrow choices near the root so stacks share prefixes, as real ones do.
        let stack = (0..<depth).map { d in names[Int.random(in: 0..<min(names.count, 2 + d * 3), using: &rng)] }
        out.append((stack, Int64.random(in: 1...1000, using: &rng)))
    }
    return out
}

func folded(_ stacks: [([String], Int64)]) -> [UInt8] {
    Array(stacks.map { $0.0.joined(separator: ";") + " \($0.1)\n" }.joined().utf8)
}

@Suite struct TreeBuilderTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func foldedFastPathMatchesNaiveBuild(seed: UInt64) throws {
        let stacks = randomStacks(seed: seed, count: 2000)
        var naive = FlameTreeBuilder(valueType: FoldedReader.valueType)
        for (s, v) in stacks { try naive.add(stack: s, value: v) }
        let expected = paths(naive.build())
        for order in ["as-is", "sorted"] {
            let input = order == "sorted" ? stacks.sorted { $0.0.joined(separator: ";") < $1.0.joined(separator: ";") } : stacks
            var fast = FlameTreeBuilder(valueType: FoldedReader.valueType)
            let bytes = folded(input)
            try fast.addFolded(bytes)
            let tree = fast.build()
            #expect(paths(tree) == expected, "order \(order)")
            #expect(tree.total == stacks.reduce(0) { $0 + $1.1 })
        }
    }

    @Test func prefixSharingDoesNotConfuseFramesThatArePrefixes() throws {
        // "ab" shares bytes with "a", and "a;b" with "a;bc": only whole frames may be shared.
        let text = "a;b 1\na;bc 2\na;bc;d 3\nab 4\nab;c 5\na 6\na;b 7\n"
        var b = FlameTreeBuilder(valueType: FoldedReader.valueType)
        try b.addFolded(Array(text.utf8))
        let p = paths(b.build())
        #expect(p == ["a": [19], "a;b": [8], "a;bc": [5], "a;bc;d": [3], "ab": [9], "ab;c": [5]])
    }

    @Test func reverseMergesByLeaf() throws {
        var b = FlameTreeBuilder(valueType: FoldedReader.valueType, reverse: true)
        try b.addFolded(Array("main;a;malloc 3\nmain;b;malloc 4\nmain;b 1\n".utf8))
        let t = b.build()
        #expect(t.isReversed)
        #expect(paths(t) == ["malloc": [7], "malloc;a": [3], "malloc;b": [4], "malloc;a;main": [3], "malloc;b;main": [4], "b": [1], "b;main": [1]])
    }

    @Test func differentialKeepsBothSides() throws {
        var b = FlameTreeBuilder(valueType: FoldedReader.valueType, differential: true)
        try b.addFolded(Array("a;b 5\na;c 1\n".utf8), side: .primary)
        try b.addFolded(Array("a;b 2\na;d 3\n".utf8), side: .base)
        let t = b.build()
        #expect(t.total == 6 && t.baseTotal == 5)
        #expect(paths(t) == ["a": [6, 5], "a;b": [5, 2], "a;c": [1, 0], "a;d": [0, 3]])
    }

    @Test func profilePathMatchesFoldedPath() throws {
        let text = "main;work;hash 5\nmain;work 2\nmain;idle 1\n"
        let profile = try FoldedReader.profile(from: Array(text.utf8))
        var a = FlameTreeBuilder(valueType: FoldedReader.valueType)
        try a.add(profile, sampleIndex: 0)
        var b = FlameTreeBuilder(valueType: FoldedReader.valueType)
        try b.addFolded(Array(text.utf8))
        #expect(paths(a.build()) == paths(b.build()))
    }

    @Test func badInputIsReportedWithLine() {
        func build(_ bytes: [UInt8]) throws {
            var b = FlameTreeBuilder(valueType: FoldedReader.valueType)
            try b.addFolded(bytes)
        }
        #expect(throws: FoldedError.invalidUTF8(line: 2)) { try build(Array("a 1\n".utf8) + [0x62, 0xc3, 0x28, 0x20, 0x31, 0x0a]) }
        #expect(throws: FoldedError.tooDeep(line: 1, depth: 70_001)) { try build(Array((String(repeating: "f;", count: 70_000) + "g 1").utf8)) }
        #expect(throws: FoldedError.totalOverflow(line: 2)) { try build(Array("a 9223372036854775807\nb 1\n".utf8)) }
        #expect(throws: FoldedError.emptyStack(line: 1)) { try build(Array(";;; 3\n".utf8)) }
    }

    @Test func deepRecursionBuildsWithoutStackOverflow() throws {
        var b = FlameTreeBuilder(valueType: FoldedReader.valueType)
        let line = String(repeating: "recurse;", count: 65_000) + "leaf 1\n"
        try b.addFolded(Array(line.utf8))
        let t = b.build()
        #expect(t.nodeCount == 65_002)
        #expect(t.total == 1)
    }
}
