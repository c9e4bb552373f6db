/// A stream's cumulative state: for every stack, one value per column (SPEC.md §4.2).
///
/// Stored flat and sorted by stack id: the rows of a state are exactly the stack table of
/// the base it becomes (SPEC.md §5.1), so the rank of a stack on the wire is its row here,
/// and comparing two states is one merge walk with no hashing.
public struct StreamState: Equatable, Sendable {
    /// Stack ids, strictly ascending.
    public private(set) var ids: [EntryID]
    /// `ids.count × columns` values, row by row.
    public private(set) var cells: [Int64]
    /// Values per stack.
    public private(set) var columns: Int

    /// The empty state.
    public init(columns: Int = 0) {
        ids = []
        cells = []
        self.columns = columns
    }

    /// A state from rows already sorted by id (checked only in debug builds).
    init(columns: Int, sortedIDs: [EntryID], cells: [Int64]) {
        assert(cells.count == sortedIDs.count * columns)
        assert(zip(sortedIDs, sortedIDs.dropFirst()).allSatisfy { $0 < $1 })
        ids = sortedIDs
        self.cells = cells
        self.columns = columns
    }

    /// A state from rows sorted by id (a store reading back what it wrote); nil unless the
    /// ids are strictly ascending and `cells` holds `ids.count × columns` values.
    public init?(columns: Int, ids: [EntryID], cells: [Int64]) {
        guard columns >= 0, cells.count == ids.count * columns, zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        self.init(columns: columns, sortedIDs: ids, cells: cells)
    }

    /// The same rows with every value passed through `transform(column, value)`; rows
    /// that become all zero are left out.
    public func mapValues(_ transform: (Int, Int64) -> Int64) -> StreamState {
        var outIDs: [EntryID] = []
        var out: [Int64] = []
        var row: [Int64] = Array(repeating: 0, count: columns)
        for (r, id) in ids.enumerated() {
            var any = false
            for c in 0..<columns {
                row[c] = transform(c, cells[r * columns + c])
                if row[c] != 0 { any = true }
            }
            if any { outIDs.append(id); out.append(contentsOf: row) }
        }
        return StreamState(columns: columns, sortedIDs: outIDs, cells: out)
    }

    /// Number of stacks.
    public var count: Int { ids.count }
    public var isEmpty: Bool { ids.isEmpty }

    /// The row of stack `id`, if the state holds it.
    public func row(of id: EntryID) -> Int? {
        let i = ids.lowerBound(of: id)
        return i < ids.count && ids[i] == id ? i : nil
    }

    /// The values of row `r`.
    public func values(row r: Int) -> ArraySlice<Int64> { cells[r * columns ..< (r + 1) * columns] }

    /// The values of stack `id`, if the state holds it.
    public subscript(id: EntryID) -> ArraySlice<Int64>? { row(of: id).map(values(row:)) }

    /// The state as a map (for tests and tools; the codec never builds it).
    public var byStack: [EntryID: [Int64]] {
        var out = [EntryID: [Int64]](minimumCapacity: ids.count)
        for (r, id) in ids.enumerated() { out[id] = Array(values(row: r)) }
        return out
    }

    /// The sum of column `c` over all stacks.
    public func total(column c: Int) -> Int64 {
        var t: Int64 = 0
        for r in ids.indices { t &+= cells[r * columns + c] }
        return t
    }

    /// The row-wise sum of two states of the same columns (a delta profile added in).
    public func adding(_ other: StreamState) -> StreamState {
        let n = columns
        return merged(with: other, onlyOther: { j, out in
            for c in 0..<n { out.append(other.cells[j * n + c]) }
            return true
        }, both: { i, j, out in
            for c in 0..<n { out.append(cells[i * n + c] &+ other.cells[j * n + c]) }
        })
    }

    /// This state plus `other`'s values in the columns `mask` selects (the others count as
    /// zero): `adding(other.mapValues { c, v in mask[c] ? v : 0 })` in one merge walk,
    /// without the intermediate state. Rows only `other` holds join only when a selected
    /// value is not zero, as they would through `mapValues`.
    public func adding(_ other: StreamState, columns mask: [Bool]) -> StreamState {
        let n = columns
        precondition(other.columns == n && mask.count == n, "adding(_:columns:) needs states and a mask of the same columns")
        return merged(with: other, onlyOther: { j, out in
            var any = false
            for c in 0..<n where mask[c] && other.cells[j * n + c] != 0 { any = true; break }
            if any { for c in 0..<n { out.append(mask[c] ? other.cells[j * n + c] : 0) } }
            return any
        }, both: { i, j, out in
            for c in 0..<n { out.append(mask[c] ? cells[i * n + c] &+ other.cells[j * n + c] : cells[i * n + c]) }
        })
    }

    /// Adds `other` into this state (`self = adding(other)`), in place when this state holds
    /// every stack of `other`: a window's increment added to a running total whose stacks
    /// settled costs its own rows, not a new array of every row.
    public mutating func add(_ other: StreamState) {
        guard !other.isEmpty else { return }
        if other.columns == columns && other.ids == ids {
            addInPlace(other, rows: nil) { _ in true }
            return
        }
        guard other.columns == columns, let rows = rows(of: other, allowingMissing: nil) else {
            self = adding(other)
            return
        }
        addInPlace(other, rows: rows) { _ in true }
    }

    /// Adds `other`'s values in the columns `mask` selects (`self = adding(other, columns:
    /// mask)`), in place when this state holds every stack of `other` that has a selected
    /// value other than zero.
    public mutating func add(_ other: StreamState, columns mask: [Bool]) {
        let n = columns
        precondition(other.columns == n && mask.count == n, "add(_:columns:) needs states and a mask of the same columns")
        // The same stacks (a running total added into its sum): row for row.
        if other.ids == ids {
            addInPlace(other, rows: nil) { mask[$0] }
            return
        }
        guard let rows = rows(of: other, allowingMissing: { j in
            for c in 0..<n where mask[c] && other.cells[j * n + c] != 0 { return false }
            return true
        }) else {
            self = adding(other, columns: mask)
            return
        }
        addInPlace(other, rows: rows) { mask[$0] }
    }

    /// For each row of `other`, its row in this state, or -1 for a row this state lacks
    /// that `allowingMissing(j)` accepts; nil when some row is missing and not accepted.
    private func rows(of other: StreamState, allowingMissing: ((Int) -> Bool)?) -> [Int]? {
        let rows = rows(of: other.ids)
        for (j, i) in rows.enumerated() where i < 0 {
            guard let allowingMissing, allowingMissing(j) else { return nil }
        }
        return rows
    }

    /// Adds `other`'s row j into row `rows[j]` (skipped when -1; row j itself when `rows`
    /// is nil: both states hold the same stacks), in the columns `selected` takes.
    private mutating func addInPlace(_ other: StreamState, rows: [Int]?, selected: (Int) -> Bool) {
        let n = columns
        let take = (0..<n).map(selected)
        other.cells.withUnsafeBufferPointer { o in
            cells.withUnsafeMutableBufferPointer { c in
                guard let rows else {
                    for r in 0..<other.count {
                        for k in 0..<n where take[k] { c[r * n + k] &+= o[r * n + k] }
                    }
                    return
                }
                for (j, i) in rows.enumerated() where i >= 0 {
                    for k in 0..<n where take[k] { c[i * n + k] &+= o[j * n + k] }
                }
            }
        }
    }

    /// One merge walk over this state and `other` (same columns): rows only this state
    /// holds are kept as they are; a row only `other` holds is kept when `onlyOther(j, &out)`
    /// appends its values and returns true; a row both hold gets the values `both(i, j, &out)`
    /// appends.
    @inline(__always)
    private func merged(with other: StreamState, onlyOther: (_ j: Int, _ out: inout [Int64]) -> Bool,
                        both: (_ i: Int, _ j: Int, _ out: inout [Int64]) -> Void) -> StreamState {
        let n = columns
        var outIDs: [EntryID] = []
        var out: [Int64] = []
        outIDs.reserveCapacity(max(ids.count, other.ids.count))
        out.reserveCapacity(outIDs.capacity * n)
        var i = 0, j = 0
        let a = ids, b = other.ids
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                outIDs.append(a[i]); for c in 0..<n { out.append(cells[i * n + c]) }; i += 1
            } else if i == a.count || b[j] < a[i] {
                if onlyOther(j, &out) { outIDs.append(b[j]) }
                j += 1
            } else {
                outIDs.append(a[i])
                both(i, j, &out)
                i += 1; j += 1
            }
        }
        return StreamState(columns: n, sortedIDs: outIDs, cells: out)
    }

    /// The stacks this state holds that `other` does not (ascending).
    public func ids(notIn other: StreamState) -> [EntryID] {
        var out: [EntryID] = []
        let a = ids, b = other.ids
        var j = 0
        for id in a {
            while j < b.count && b[j] < id { j += 1 }
            if j == b.count || b[j] != id { out.append(id) }
        }
        return out
    }

    /// For each id of `sorted` (ascending), its row in this state, or -1: one pass that
    /// gallops forward from the previous match, so k ids cost about k · log(n / k) steps
    /// (a few rows of a large state, or most of them, alike).
    public func rows(of sorted: [EntryID]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(sorted.count)
        ids.withUnsafeBufferPointer { a in
            let n = a.count
            var lo = 0
            for id in sorted {
                var bound = lo, step = 1
                while bound < n && a[bound] < id {
                    lo = bound + 1
                    bound += step
                    step <<= 1
                }
                let from = lo
                lo = from + partitionPoint(min(bound, n) - from) { a[from + $0] < id }
                if lo < n && a[lo] == id { out.append(lo); lo += 1 } else { out.append(-1) }
            }
        }
        return out
    }

    /// Where this state and an earlier one differ, and by how much.
    public struct Changes: Sendable, Equatable {
        /// Stacks held by one state only, or with other values (ascending).
        public var differing: [EntryID]
        /// `increment(since: previous)`.
        public var increment: StreamState
        /// Stacks this state holds that `previous` does not (ascending).
        public var gained: [EntryID]
    }

    /// The changes since `previous`, given `candidates` (ascending) that hold every stack
    /// where the two differ: row lookups of those only. With nil, every stack of both.
    public func changes(since previous: StreamState, candidates: [EntryID]?) -> Changes {
        let n = columns
        precondition(previous.columns == n, "states of the same columns")
        let candidates = candidates ?? ids.sortedUnion(previous.ids)
        let ra = rows(of: candidates), rb = previous.rows(of: candidates)
        var differing: [EntryID] = [], gained: [EntryID] = [], incIDs: [EntryID] = [], inc: [Int64] = []
        cells.withUnsafeBufferPointer { x in
            previous.cells.withUnsafeBufferPointer { y in
                for (k, id) in candidates.enumerated() {
                    let i = ra[k], j = rb[k]
                    if i < 0 && j < 0 { continue }
                    var any = false
                    for c in 0..<n {
                        let v = (i >= 0 ? x[i * n + c] : 0) &- (j >= 0 ? y[j * n + c] : 0)
                        if v != 0 { any = true; break }
                    }
                    if any {
                        incIDs.append(id)
                        for c in 0..<n { inc.append((i >= 0 ? x[i * n + c] : 0) &- (j >= 0 ? y[j * n + c] : 0)) }
                    }
                    if any || i < 0 || j < 0 { differing.append(id) }
                    if j < 0 { gained.append(id) }
                }
            }
        }
        return Changes(differing: differing, increment: StreamState(columns: n, sortedIDs: incIDs, cells: inc), gained: gained)
    }

    public static func == (a: StreamState, b: StreamState) -> Bool {
        a.ids == b.ids && a.cells == b.cells
    }

    /// The change from `previous` to `self`, per stack (stacks missing on one side count as
    /// zero); stacks whose values did not change are left out. For counters this is the
    /// increment over the time between the two states.
    public func increment(since previous: StreamState) -> StreamState {
        let n = columns
        var outIDs: [EntryID] = []
        var out: [Int64] = []
        var i = 0, j = 0
        let a = ids, b = previous.ids
        let pn = previous.columns
        if n == pn && a == b {
            // The same stacks (a settled stream): row for row, reading the values in place.
            cells.withUnsafeBufferPointer { x in
                previous.cells.withUnsafeBufferPointer { y in
                    for r in 0..<a.count {
                        var any = false
                        for c in 0..<n where x[r * n + c] != y[r * n + c] { any = true; break }
                        guard any else { continue }
                        outIDs.append(a[r])
                        for c in 0..<n { out.append(x[r * n + c] &- y[r * n + c]) }
                    }
                }
            }
            return StreamState(columns: n, sortedIDs: outIDs, cells: out)
        }
        @inline(__always) func emit(_ id: EntryID, _ row: (Int) -> Int64) {
            var any = false
            for c in 0..<n where row(c) != 0 { any = true; break }
            guard any else { return }
            outIDs.append(id)
            for c in 0..<n { out.append(row(c)) }
        }
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                emit(a[i]) { c in cells[i * n + c] }
                i += 1
            } else if i == a.count || b[j] < a[i] {
                emit(b[j]) { c in c < pn ? 0 &- previous.cells[j * pn + c] : 0 }
                j += 1
            } else {
                emit(a[i]) { c in cells[i * n + c] &- (c < pn ? previous.cells[j * pn + c] : 0) }
                i += 1
                j += 1
            }
        }
        return StreamState(columns: n, sortedIDs: outIDs, cells: out)
    }
}

extension Array where Element == EntryID {
    /// The union of this ascending array and another, ascending, without repeats.
    func sortedUnion(_ b: [EntryID]) -> [EntryID] {
        var out: [EntryID] = []
        out.reserveCapacity(count + b.count)
        var i = 0, j = 0
        while i < count || j < b.count {
            if j == b.count || (i < count && self[i] < b[j]) { out.append(self[i]); i += 1 }
            else if i == count || b[j] < self[i] { out.append(b[j]); j += 1 }
            else { out.append(self[i]); i += 1; j += 1 }
        }
        return out
    }

    /// The first index whose element is not less than `x` (the array must be ascending).
    @inline(__always)
    func lowerBound(of x: EntryID) -> Int { partitionPoint(count) { self[$0] < x } }

    /// The index of `x` in an ascending array, if present.
    @inline(__always)
    func sortedIndex(of x: EntryID) -> Int? {
        let i = lowerBound(of: x)
        return i < count && self[i] == x ? i : nil
    }
}

/// Binary search: the first index in `0..<count` where `isBefore` is false, for a predicate
/// that holds on a prefix of the range (the insertion point of a sorted table).
@inline(__always)
func partitionPoint(_ count: Int, _ isBefore: (Int) -> Bool) -> Int {
    var lo = 0, hi = count
    while lo < hi {
        let mid = (lo &+ hi) >> 1
        if isBefore(mid) { lo = mid &+ 1 } else { hi = mid }
    }
    return lo
}
