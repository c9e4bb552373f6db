import Folded
import Profile

/// Builds a `FlameTree` from stacks given root first, from profiles, or straight from
/// folded-stack bytes.
///
/// The folded path is the fast one: consecutive lines of sorted folded input share long
/// prefixes, so each line is compared byte-wise with the previous one and only the frames
/// after the common prefix are looked up. Unsorted input is still correct, only slower.
public struct FlameTreeBuilder {
    /// Which tree a stack's value goes into in a differential graph.
    public enum Side: Sendable { case primary, base }

    private var names = NameTable()
    private var children = ChildTable()
    private var parent: [Int32] = [-1]
    private var nameIndex: [Int32] = [-1]
    private var selfValue: [Int64] = [0]
    private var selfBase: [Int64] = []
    private let reverse: Bool
    private let differential: Bool
    public var valueType: ValueType
    /// Total of all values added (primary side), to detect overflow early.
    private var sum: Int64 = 0
    private var baseSum: Int64 = 0
    /// Number of non-empty stacks added.
    public private(set) var stackCount = 0

    // Prefix-sharing state for folded input: the previous line's path.
    private var pathNodes: [Int32] = []
    private var pathEnds: [Int] = []
    private var prevStack: [UInt8] = []
    private var prevSide: Side = .primary

    /// - Parameters:
    ///   - reverse: merge stacks from the leaf (the root's children are leaf functions).
    ///   - differential: keep a second value per node for `Side.base`.
    public init(valueType: ValueType, reverse: Bool = false, differential: Bool = false) {
        self.valueType = valueType
        self.reverse = reverse
        self.differential = differential
        if differential { selfBase = [0] }
        pathNodes.reserveCapacity(256)
        pathEnds.reserveCapacity(256)
    }

    /// Reserves room for about `nodes` tree nodes, so large inputs do not pay for
    /// repeated growth (each growth copies and re-zeroes the arrays).
    public mutating func reserveCapacity(nodes: Int) {
        let n = max(0, min(nodes, Int(Int32.max) - 1))
        parent.reserveCapacity(n)
        nameIndex.reserveCapacity(n)
        selfValue.reserveCapacity(n)
        if differential { selfBase.reserveCapacity(n) }
        children.reserve(n)
    }

    @inline(__always)
    private mutating func child(of p: Int32, name: Int32) -> Int32 {
        let key = ChildTable.key(parent: p, name: name)
        return children.findOrInsert(key) {
            let n = Int32(parent.count)
            parent.append(p)
            nameIndex.append(name)
            selfValue.append(0)
            if differential { selfBase.append(0) }
            return n
        }
    }

    @inline(__always)
    private mutating func addValue(_ node: Int32, _ v: Int64, _ side: Side) -> Bool {
        switch side {
        case .primary:
            let (s, o) = sum.addingReportingOverflow(v)
            if o { return false }
            sum = s
            selfValue[Int(node)] &+= v
        case .base:
            let (s, o) = baseSum.addingReportingOverflow(v)
            if o { return false }
            baseSum = s
            selfBase[Int(node)] &+= v
        }
        return true
    }

    @inline(__always)
    private mutating func internName(_ p: UnsafeRawPointer, _ n: Int) -> Int32? {
        let (id, isNew) = names.intern(p, n)
        if isNew, String(validating: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self) == nil {
            return nil
        }
        return id
    }

    /// Adds one stack given root first.
    public mutating func add(stack: [String], value: Int64, side: Side = .primary) throws(FlameGraphError) {
        guard stack.count <= FoldedParser.maxDepth else { throw .tooDeep(depth: stack.count) }
        if stack.isEmpty && value == 0 { return }
        pathNodes.removeAll(keepingCapacity: true)
        prevStack.removeAll(keepingCapacity: true)  // invalidate the folded prefix cache
        var node: Int32 = 0
        let ordered: [String] = reverse ? stack.reversed() : stack
        for frame in ordered {
            var f = frame
            let id: Int32 = f.withUTF8 { b in names.intern(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count).id }
            node = child(of: node, name: id)
        }
        guard addValue(node, value, side) else { throw .totalOverflow }
        stackCount += 1
    }

    /// Adds every sample of `profile`'s column `sampleIndex`, each inlined line as a frame.
    public mutating func add(_ profile: Profile, sampleIndex: Int, side: Side = .primary) throws(FlameGraphError) {
        // Resolve each location's frames once, then walk samples.
        var frameIDs: [[Int32]] = []
        frameIDs.reserveCapacity(profile.locations.count)
        for li in profile.locations.indices {
            var ids: [Int32] = []
            let loc = profile.locations[li]
            let count = max(loc.lines.count, 1)
            for k in 0..<count {
                var name = profile.frameName(location: li, lineIndex: loc.lines.isEmpty ? nil : k)
                ids.append(name.withUTF8 { b in names.intern(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count).id })
            }
            frameIDs.append(ids)  // leaf (innermost) first
        }
        pathNodes.removeAll(keepingCapacity: true)
        prevStack.removeAll(keepingCapacity: true)
        var stack: [Int32] = []
        for sample in profile.samples {
            let v = sample.values[sampleIndex]
            if v == 0 { continue }
            stack.removeAll(keepingCapacity: true)
            for l in sample.locations { stack.append(contentsOf: frameIDs[l]) }
            guard stack.count <= FoldedParser.maxDepth else { throw .tooDeep(depth: stack.count) }
            var node: Int32 = 0
            if reverse {
                for id in stack { node = child(of: node, name: id) }
            } else {
                for id in stack.reversed() { node = child(of: node, name: id) }
            }
            guard addValue(node, v, side) else { throw .totalOverflow }
            stackCount += 1
        }
    }

    /// Adds one folded line's stack (frames separated by `;`, root first).
    ///
    /// Reuses the previous line's path for the frames both lines share.
    @inline(__always)
    public mutating func addFolded(stack: UnsafeRawBufferPointer, value: Int64, line: Int, side: Side = .primary) throws(FoldedError) {
        guard let base = stack.baseAddress else { return }
        let n = stack.count
        if reverse || side != prevSide {
            prevSide = side
            prevStack.removeAll(keepingCapacity: true)
            pathNodes.removeAll(keepingCapacity: true)
            pathEnds.removeAll(keepingCapacity: true)
            if reverse { return try addFoldedReversed(base, n, value, line, side) }
        }
        // Common byte prefix with the previous stack.
        var shared = 0
        var resumeAt = 0
        if !pathNodes.isEmpty {
            let m = min(n, prevStack.count)
            var l = 0
            prevStack.withUnsafeBytes { prev in
                let pp = prev.baseAddress!
                while l + 8 <= m, pp.loadUnaligned(fromByteOffset: l, as: UInt64.self) == base.loadUnaligned(fromByteOffset: l, as: UInt64.self) { l += 8 }
                while l < m, pp.load(fromByteOffset: l, as: UInt8.self) == base.load(fromByteOffset: l, as: UInt8.self) { l += 1 }
            }
            // Frames of the previous line that end inside the common prefix are shared.
            let depth = pathEnds.count
            while shared < depth, pathEnds[shared] < l { shared += 1 }
            if shared < depth, pathEnds[shared] == l, l == n || base.load(fromByteOffset: l, as: UInt8.self) == 0x3B {
                shared += 1
            }
            if shared > 0 { resumeAt = pathEnds[shared - 1] + 1 }
            pathNodes.removeSubrange(shared...)
            pathEnds.removeSubrange(shared...)
        }
        var node: Int32 = shared > 0 ? pathNodes[shared - 1] : 0
        var start = resumeAt
        while start <= n {
            let rest = n - start
            let semi = rest > 0 ? memchr(base + start, 0x3B, rest) : nil
            let end = semi.map { base.distance(to: UnsafeRawPointer($0)) } ?? n
            if end > start {
                guard let id = internName(base + start, end - start) else { throw .invalidUTF8(line: line) }
                node = child(of: node, name: id)
                pathNodes.append(node)
                pathEnds.append(end)
                if pathNodes.count > FoldedParser.maxDepth {
                    throw .tooDeep(line: line, depth: pathNodes.count + countFrames(base + end, n - end))
                }
            }
            start = end + 1
        }
        if pathNodes.isEmpty { throw .emptyStack(line: line) }
        prevStack.removeAll(keepingCapacity: true)
        prevStack.append(contentsOf: stack)
        guard addValue(node, value, side) else { throw .totalOverflow(line: line) }
        stackCount += 1
    }

    private func countFrames(_ p: UnsafeRawPointer, _ n: Int) -> Int {
        var c = 0
        for i in 0..<n where p.load(fromByteOffset: i, as: UInt8.self) == 0x3B { c += 1 }
        return c
    }

    private mutating func addFoldedReversed(_ base: UnsafeRawPointer, _ n: Int, _ value: Int64, _ line: Int, _ side: Side) throws(FoldedError) {
        var ids: [Int32] = []
        var start = 0
        while start <= n {
            let rest = n - start
            let semi = rest > 0 ? memchr(base + start, 0x3B, rest) : nil
            let end = semi.map { base.distance(to: UnsafeRawPointer($0)) } ?? n
            if end > start {
                guard let id = internName(base + start, end - start) else { throw .invalidUTF8(line: line) }
                ids.append(id)
                if ids.count > FoldedParser.maxDepth { throw .tooDeep(line: line, depth: ids.count + countFrames(base + end, n - end)) }
            }
            start = end + 1
        }
        if ids.isEmpty { throw .emptyStack(line: line) }
        var node: Int32 = 0
        for id in ids.reversed() { node = child(of: node, name: id) }
        guard addValue(node, value, side) else { throw .totalOverflow(line: line) }
        stackCount += 1
    }

    /// Parses folded bytes (a whole input, or a chunk ending at a line boundary) into the tree.
    /// - Returns: how many bytes were consumed (less than `bytes.count` when `isFinal` is
    ///   false and the last line is incomplete) and the number of lines.
    @discardableResult
    public mutating func addFolded(
        bytes: UnsafeRawBufferPointer, firstLine: Int = 1, isFinal: Bool = true, side: Side = .primary
    ) throws(FoldedError) -> (consumed: Int, lines: Int) {
        var lines = 0
        let consumed = try FoldedParser.parse(bytes, firstLine: firstLine, isFinal: isFinal, lineCount: &lines) {
            (stack, count, line) throws(FoldedError) in
            try self.addFolded(stack: stack, value: count, line: line, side: side)
        }
        return (consumed, lines)
    }

    /// Parses a whole folded input held in memory.
    public mutating func addFolded(_ bytes: [UInt8], side: Side = .primary) throws(FoldedError) {
        var failure: FoldedError?
        bytes.withUnsafeBytes { raw in
            do throws(FoldedError) { _ = try self.addFolded(bytes: raw, side: side) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Finishes the tree: cumulative values from self values in one backwards pass.
    public func build() -> FlameTree {
        var value = selfValue
        var base = selfBase
        // Children have larger indices than parents, and sums cannot overflow because the
        // grand total was checked as values were added.
        var i = value.count - 1
        while i > 0 {
            let p = Int(parent[i])
            value[p] &+= value[i]
            if differential { base[p] &+= base[i] }
            i -= 1
        }
        return FlameTree(
            names: names.strings(), parent: parent, nameIndex: nameIndex, value: value, base: base,
            valueType: valueType, isReversed: reverse)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
