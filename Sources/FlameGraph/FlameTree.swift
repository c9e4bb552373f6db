import Profile

/// A call tree ready to be drawn: every node is one frame on one path from the root.
///
/// Stored as parallel arrays (structure of arrays) so that a tree of millions of nodes
/// costs a few dozen bytes per node and can be walked without pointer chasing.
/// Node 0 is the root (all samples); for every other node `parent[i] < i`, so a single
/// backwards pass visits children before parents.
public struct FlameTree: Sendable {
    /// Interned frame names; `nameIndex` refers into this.
    public internal(set) var names: [String]
    /// Parent node of each node; -1 for the root.
    public internal(set) var parent: [Int32]
    /// Name of each node as an index into `names`; -1 for the root.
    public internal(set) var nameIndex: [Int32]
    /// Cumulative value of each node: its own samples plus all its descendants'.
    public internal(set) var value: [Int64]
    /// Cumulative value in the baseline profile of a differential graph; empty otherwise.
    public internal(set) var base: [Int64]
    /// What the values measure, for formatting (`cpu/nanoseconds`, `samples/count`).
    public var valueType: ValueType
    /// Whether stacks were merged from the leaf (`--reverse`): then the root's children
    /// are leaf functions.
    public var isReversed: Bool

    public var nodeCount: Int { parent.count }
    public var isDifferential: Bool { !base.isEmpty }
    public var total: Int64 { value[0] }
    public var baseTotal: Int64 { base.isEmpty ? 0 : base[0] }

    /// The name of node `i` ("all" for the root).
    public func name(of i: Int) -> String {
        let n = nameIndex[i]
        return n < 0 ? "all" : names[Int(n)]
    }
}

/// Why a flame graph cannot be drawn.
public enum FlameGraphError: Error, Equatable, CustomStringConvertible, Sendable {
    case empty
    case zeroTotal(ValueType)
    case totalOverflow
    case tooDeep(depth: Int)
    case invalidUTF8Name
    case badRegex(String)

    public var description: String {
        switch self {
        case .empty: return "the profile has no samples, so there is nothing to draw"
        case .zeroTotal(let t): return "every sample has the value 0 for '\(t.type)', so there is nothing to draw (try another --sample-index)"
        case .totalOverflow: return "the values add up to more than 2^63-1"
        case .tooDeep(let d): return "a stack has \(d) frames, more than the limit of \(FoldedParser.maxDepth)"
        case .invalidUTF8Name: return "a frame name is not valid UTF-8"
        case .badRegex(let why): return "invalid regular expression: \(why)"
        }
    }
}

import Folded
