#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where each drawn frame goes: which tree nodes are wide enough to draw, their order
/// (children alphabetical by name, as flamegraph.pl and inferno do, so the output does not
/// depend on input order), their horizontal offsets and their depths.
///
/// Positions are in value units (a frame of value v is `v / total` of the plot width), so
/// they are exact integers and the script can compare them without rounding trouble.
///
/// Cost: linear passes over the node arrays, and sorting only of what is drawn.
/// 1. When the tree has more nodes than `maxFrames`, a histogram of values raises the
///    threshold so that only about `maxFrames` nodes qualify (`Candidates.raisedThreshold`).
/// 2. One forward pass picks the candidates: a node too narrow is dropped with its whole
///    subtree without looking at its children.
/// 3. The frame and byte limits pick the final frames among the candidates (a selection,
///    not a sort, for the frame limit).
/// 4. One pass finds the left-out siblings of drawn frames, so drawn frames keep their
///    places (`gaps`).
/// 5. Child lists by counting sort, each sorted by name, then an iterative depth-first walk.
/// Nothing is recursive, so stacks 65,536 frames deep are fine. A tree of 20 million nodes
/// takes about 0.2 s in a release build.
struct FlameLayout {
    /// Tree node of each drawn frame, in depth-first order (a frame, then its children
    /// left to right); the root comes first.
    var node: [Int32] = []
    /// Offset of each frame's left edge from the root's, in value units.
    var x: [Int64] = []
    /// Width of each frame in value units: the node's cumulative value (clamped to its
    /// parent's, should a profile have negative values).
    var width: [Int64] = []
    /// 0 for the root, 1 for its children, ...
    var depth: [Int32] = []
    /// The deepest drawn frame's depth.
    var maxDepth = 0
    /// Frames that were wide enough by `minWidth` but left out to respect the frame and
    /// byte limits.
    var droppedForSize = 0
    /// The widest frame left out for size, in value units (0 when none was).
    var widestDropped: Int64 = 0

    var count: Int { node.count }

    /// Lays out `tree`.
    /// - Parameters:
    ///   - minValue: frames whose value is below this (in value units) are left out.
    ///   - maxFrames: at most this many frames (root included) are drawn.
    ///   - maxBytes: with `fixedBytes` and `cost`, a byte budget: frames are left out,
    ///     narrowest first, until the estimated output fits.
    ///   - fixedBytes: output size that does not depend on the frames (header, script).
    ///   - cost: estimated bytes of markup for a frame, given its tree node and width.
    init(
        _ tree: FlameTree, minValue: Double, maxFrames: Int, maxBytes: Int = .max, fixedBytes: Int = 0,
        cost: (_ node: Int32, _ width: Int64) -> Int = { _, _ in 0 }
    ) {
        let limit = max(1, maxFrames)
        var cand = Candidates(tree, minValue: minValue, limit: limit)
        var keep: [Bool]
        if cand.count > limit {
            keep = cand.widest(limit)
        } else {
            keep = [Bool](repeating: true, count: cand.count)
        }
        // Byte budget: if the estimate is over, keep the widest prefix that fits.
        var bytes = fixedBytes
        for k in 0..<cand.count where keep[k] { bytes += cost(cand.node[k], cand.value[k]) }
        if bytes > maxBytes {
            var order = (0..<cand.count).filter { keep[$0] }
            order.sort { a, b in cand.precedes(a, b) }
            keep = [Bool](repeating: false, count: cand.count)
            var used = fixedBytes
            for k in order {
                let c = cost(cand.node[k], cand.value[k])
                if used + c > maxBytes && k != 0 { break }
                used += c
                keep[k] = true
            }
        }
        droppedForSize = cand.outside
        widestDropped = cand.widestOutside
        for k in 0..<cand.count where !keep[k] {
            droppedForSize += 1
            widestDropped = max(widestDropped, cand.value[k])
        }
        cand.compact(keep)
        self.walk(tree, cand)
    }

    /// The depth-first walk over the kept candidates: children sorted by name, x offsets
    /// accumulated left to right.
    private mutating func walk(_ tree: FlameTree, _ cand: Candidates) {
        let n = cand.count
        // Child lists by counting sort on the parent (compressed sparse rows).
        var start = [Int32](repeating: 0, count: n + 1)
        for k in 1..<n { start[Int(cand.parent[k]) + 1] += 1 }
        for k in 0..<n { start[k + 1] += start[k] }
        var fill = start
        var kids = [Int32](repeating: 0, count: max(0, n - 1))
        for k in 1..<n {
            let p = Int(cand.parent[k])
            kids[Int(fill[p])] = Int32(k)
            fill[p] += 1
        }
        // Rank the names in use by their UTF-8 bytes, then sort each child list by rank.
        let names = NameRank(tree, nodes: cand.node)
        let rank = cand.node.map { names.of(tree.nameIndex[Int($0)]) }
        for p in 0..<n {
            let s = Int(start[p]), e = Int(start[p + 1])
            if e - s > 1 {
                kids[s..<e].sort { rank[Int($0)] < rank[Int($1)] }
            }
        }
        let gap = Self.gaps(tree, cand, start, kids)
        node.reserveCapacity(n)
        x.reserveCapacity(n)
        width.reserveCapacity(n)
        depth.reserveCapacity(n)
        var offset = [Int64](repeating: 0, count: n)
        var stack: [Int32] = [0]
        while let k32 = stack.popLast() {
            let k = Int(k32)
            node.append(cand.node[k])
            x.append(offset[k])
            width.append(cand.value[k])
            depth.append(cand.depth[k])
            maxDepth = max(maxDepth, Int(cand.depth[k]))
            let s = Int(start[k]), e = Int(start[k + 1])
            var o = offset[k]
            for j in s..<e {
                let c = Int(kids[j])
                o &+= gap[c]
                offset[c] = o
                o &+= cand.value[c]
            }
            var j = e - 1
            while j >= s {
                stack.append(kids[j])
                j -= 1
            }
        }
    }
}

extension FlameLayout {
    /// For each kept frame, the total value of the left-out siblings that sort before it
    /// (and after the previous kept sibling): frames keep the position their full value
    /// gives them, so a left-out frame leaves a gap where it would have been.
    ///
    /// One pass over the tree; a left-out node whose parent is drawn is placed among its
    /// drawn siblings by a binary search on names.
    fileprivate static func gaps(_ tree: FlameTree, _ cand: Candidates, _ start: [Int32], _ kids: [Int32]) -> [Int64] {
        var gap = [Int64](repeating: 0, count: cand.count)
        let n = tree.nodeCount
        guard n > 1 else { return gap }
        tree.parent.withUnsafeBufferPointer { par in
            tree.value.withUnsafeBufferPointer { val in
                tree.nameIndex.withUnsafeBufferPointer { nameIndex in
                    cand.slot.withUnsafeBufferPointer { slot in
                        for i in 1..<n {
                            let kp = slot[Int(par[i])]
                            if kp < 0 || slot[i] >= 0 { continue }
                            let v = val[i]
                            if v <= 0 { continue }
                            var lo = Int(start[Int(kp)])
                            var hi = Int(start[Int(kp) + 1])
                            let end = hi
                            if lo == hi { continue }
                            let name = tree.names[Int(nameIndex[i])]
                            while lo < hi {
                                let mid = (lo + hi) >> 1
                                let other = tree.names[Int(nameIndex[Int(cand.node[Int(kids[mid])])])]
                                if NameOrder.less(other, name) { lo = mid + 1 } else { hi = mid }
                            }
                            if lo < end { gap[Int(kids[lo])] &+= v }
                        }
                    }
                }
            }
        }
        return gap
    }
}

/// Byte-wise (UTF-8) order of names, the order siblings are drawn in.
enum NameOrder {
    @inline(__always)
    static func less(_ a: String, _ b: String) -> Bool {
        if let r = a.utf8.withContiguousStorageIfAvailable({ pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
                let m = min(pa.count, pb.count)
                if m > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                    let c = memcmp(x, y, m)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }), let r {
            return r
        }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

/// The nodes wide enough to draw, in node order (so a parent comes before its children),
/// with their parent's position in this list and their depth.
struct Candidates {
    /// For every tree node, its index in this list, or -1.
    var slot: [Int32] = []
    var node: [Int32] = []
    var parent: [Int32] = []
    var depth: [Int32] = []
    var value: [Int64] = []
    /// Nodes wide enough by `minValue` that were not made candidates because the threshold
    /// was raised for size, and the widest of them.
    var outside = 0
    var widestOutside: Int64 = 0

    var count: Int { node.count }

    /// A node is a candidate when its value is positive and at least `minValue` and its
    /// parent is a candidate. `parent[i] < i` makes a single forward pass enough.
    ///
    /// When far more than `limit` nodes would qualify, a histogram of values first raises
    /// the threshold to about the `limit`-th largest value, so that the candidate lists stay
    /// small even for tens of millions of qualifying nodes.
    init(_ tree: FlameTree, minValue: Double, limit: Int = .max) {
        let n = tree.nodeCount
        var threshold = Self.integerThreshold(minValue)
        var expected = n
        if n > 1 && limit < n {
            let r = Self.raisedThreshold(tree, threshold, limit: limit)
            threshold = r.threshold
            expected = r.expected
            outside = r.outside
            widestOutside = r.widestOutside
        }
        node = [0]
        parent = [-1]
        depth = [0]
        value = [tree.total]
        if expected > 0 {
            let r = min(n, expected + 1)
            node.reserveCapacity(r)
            parent.reserveCapacity(r)
            depth.reserveCapacity(r)
            value.reserveCapacity(r)
        }
        var slot = [Int32](repeating: -1, count: n)
        slot[0] = 0
        defer { self.slot = slot }
        guard n > 1 else { return }
        tree.parent.withUnsafeBufferPointer { par in
            tree.value.withUnsafeBufferPointer { val in
                slot.withUnsafeMutableBufferPointer { slot in
                    for i in 1..<n {
                        let v = val[i]
                        guard v >= threshold else { continue }
                        let ps = slot[Int(par[i])]
                        guard ps >= 0 else { continue }
                        let pv = value[Int(ps)]
                        slot[i] = Int32(node.count)
                        node.append(Int32(i))
                        parent.append(ps)
                        depth.append(depth[Int(ps)] + 1)
                        value.append(min(v, pv))
                    }
                }
            }
        }
    }

    /// The least integer value that is at least `minValue`, and at least 1.
    static func integerThreshold(_ minValue: Double) -> Int64 {
        guard minValue.isFinite, minValue > 1 else { return 1 }
        return minValue >= 9.2e18 ? Int64.max : Int64(minValue.rounded(.up))
    }

    /// Histogram bucket of a positive value: 16 buckets per power of two, in value order.
    @inline(__always)
    static func bucket(_ v: Int64) -> Int {
        let e = 63 - v.leadingZeroBitCount
        let sub = e >= 4 ? Int(truncatingIfNeeded: v >> (e - 4)) & 15 : Int(truncatingIfNeeded: v << (4 - e)) & 15
        return e * 16 + sub
    }

    /// Raises `threshold` to the smallest value of the histogram bucket where the count of
    /// larger values reaches `limit`. Also returns how many values are at least the new
    /// threshold (an upper bound on candidates, as the parent condition is ignored), how
    /// many qualified by the old threshold but not the new one, and the widest of those.
    static func raisedThreshold(_ tree: FlameTree, _ threshold: Int64, limit: Int)
        -> (threshold: Int64, expected: Int, outside: Int, widestOutside: Int64)
    {
        var count = [Int](repeating: 0, count: 64 * 16)
        var least = [Int64](repeating: .max, count: 64 * 16)
        var most = [Int64](repeating: 0, count: 64 * 16)
        tree.value.withUnsafeBufferPointer { val in
            for i in 1..<val.count {
                let v = val[i]
                guard v >= threshold else { continue }
                let b = bucket(v)
                count[b] += 1
                if v < least[b] { least[b] = v }
                if v > most[b] { most[b] = v }
            }
        }
        var above = 0
        var b = count.count - 1
        while b >= 0 {
            if above + count[b] >= limit { break }
            above += count[b]
            b -= 1
        }
        guard b >= 0 else { return (threshold, above, 0, 0) }
        let expected = above + count[b]
        var outside = 0
        var widest: Int64 = 0
        for k in 0..<b where count[k] > 0 {
            outside += count[k]
            widest = most[k]
        }
        return (max(threshold, least[b]), expected, outside, widest)
    }

    /// Whether candidate `a` is kept before `b` when space is short: wider first, then
    /// shallower, then earlier. A parent always precedes its children (it is at least as
    /// wide and shallower), so any prefix of this order is a valid tree.
    func precedes(_ a: Int, _ b: Int) -> Bool {
        if value[a] != value[b] { return value[a] > value[b] }
        if depth[a] != depth[b] { return depth[a] < depth[b] }
        return a < b
    }

    /// Marks the first `limit` candidates in `precedes` order without sorting them all:
    /// a selection finds the value of the `limit`-th widest; all wider ones are kept and
    /// ties are broken by depth, then position.
    func widest(_ limit: Int) -> [Bool] {
        var keep = [Bool](repeating: false, count: count)
        keep[0] = true
        let want = limit - 1
        guard want > 0 else { return keep }
        var vals = Array(value[1...])
        let cutoff = Selection.kthLargest(&vals, want - 1)
        var kept = 0
        var ties: [Int32] = []
        for k in 1..<count {
            if value[k] > cutoff {
                keep[k] = true
                kept += 1
            } else if value[k] == cutoff {
                ties.append(Int32(k))
            }
        }
        // Take ties shallowest first, in node order within a depth: count them per depth
        // (a linear pass instead of sorting what may be millions of equal leaves).
        var need = max(0, want - kept)
        guard need > 0 else { return keep }
        var perDepth: [Int] = []
        for t in ties {
            let d = Int(depth[Int(t)])
            if d >= perDepth.count { perDepth.append(contentsOf: repeatElement(0, count: d + 1 - perDepth.count)) }
            perDepth[d] += 1
        }
        var lastDepth = 0
        while lastDepth < perDepth.count && perDepth[lastDepth] <= need {
            need -= perDepth[lastDepth]
            lastDepth += 1
        }
        // All ties shallower than `lastDepth`, and the first `need` at `lastDepth`.
        for t in ties {
            let d = Int(depth[Int(t)])
            if d < lastDepth {
                keep[Int(t)] = true
            } else if d == lastDepth && need > 0 {
                keep[Int(t)] = true
                need -= 1
            }
        }
        return keep
    }

    /// Keeps only the marked candidates, renumbering parents.
    mutating func compact(_ keep: [Bool]) {
        var newIndex = [Int32](repeating: -1, count: count)
        var n = 0
        for k in 0..<count {
            guard keep[k] else {
                slot[Int(node[k])] = -1
                continue
            }
            newIndex[k] = Int32(n)
            slot[Int(node[k])] = Int32(n)
            node[n] = node[k]
            parent[n] = k == 0 ? -1 : newIndex[Int(parent[k])]
            depth[n] = depth[k]
            value[n] = value[k]
            n += 1
        }
        node.removeSubrange(n...)
        parent.removeSubrange(n...)
        depth.removeSubrange(n...)
        value.removeSubrange(n...)
    }
}

/// The byte order of the names of drawn frames: sorting by a precomputed rank is much
/// faster than comparing strings in every sort.
struct NameRank {
    private var rank: [Int32: Int32] = [:]

    init(_ tree: FlameTree, nodes: [Int32]) {
        var used = Set<Int32>()
        for n in nodes { used.insert(tree.nameIndex[Int(n)]) }
        let sorted = used.sorted { a, b in
            if a < 0 || b < 0 { return a < b }
            return NameOrder.less(tree.names[Int(a)], tree.names[Int(b)])
        }
        rank.reserveCapacity(sorted.count)
        for (i, id) in sorted.enumerated() { rank[id] = Int32(i) }
    }

    func of(_ nameIndex: Int32) -> Int32 { rank[nameIndex] ?? -1 }
}
