/// An older state written as its difference from a newer one of the same stream, so a
/// receiver can hold many recent states for the price of one (SPEC.md §4.5 says which
/// states it must be able to decode against, not how it keeps them).
///
/// Consecutive states of a stream differ in few rows (the stacks sampled in between), so
/// a patch is a small fraction of a state. `applied(to: newer)` gives the older state back
/// exactly: rows, their order, their values, rows that are all zero included.
public struct StatePatch: Sendable, Equatable {
    /// Rows the older state holds with other values than the newer one (or that the newer
    /// one lacks), ascending by id, with the older values.
    public private(set) var changedIDs: [EntryID] = []
    public private(set) var changedCells: [Int64] = []
    /// Rows the newer state holds that the older one lacks, ascending.
    public private(set) var addedIDs: [EntryID] = []
    public let columns: Int

    /// The difference that turns `newer` back into `older` (states of the same columns).
    public init(from newer: StreamState, to older: StreamState) {
        precondition(newer.columns == older.columns, "a patch joins states of the same columns")
        let n = older.columns
        columns = n
        let a = older.ids, b = newer.ids
        // One merge walk over both states' rows, comparing values in place (this runs for
        // every window a receiver holds, over every row of the state).
        older.cells.withUnsafeBufferPointer { oc in
            newer.cells.withUnsafeBufferPointer { nc in
                func differ(_ i: Int, _ j: Int) -> Bool {
                    for c in 0..<n where oc[i * n + c] != nc[j * n + c] { return true }
                    return false
                }
                var i = 0, j = 0
                while i < a.count || j < b.count {
                    if j == b.count || (i < a.count && a[i] < b[j]) {
                        changedIDs.append(a[i])
                        changedCells.append(contentsOf: oc[i * n ..< (i + 1) * n])
                        i += 1
                    } else if i == a.count || b[j] < a[i] {
                        addedIDs.append(b[j])
                        j += 1
                    } else {
                        if differ(i, j) {
                            changedIDs.append(a[i])
                            changedCells.append(contentsOf: oc[i * n ..< (i + 1) * n])
                        }
                        i += 1; j += 1
                    }
                }
            }
        }
    }

    /// The same patch, given the stacks where the two states may differ (rows only one of
    /// them holds, or held with other values), ascending: a lookup per candidate instead of
    /// a walk over every row, for a receiver that knows which rows a window touched.
    public init(from newer: StreamState, to older: StreamState, candidates: [EntryID]) {
        precondition(newer.columns == older.columns, "a patch joins states of the same columns")
        let n = older.columns
        columns = n
        let ro = older.rows(of: candidates), rn = newer.rows(of: candidates)
        older.cells.withUnsafeBufferPointer { oc in
            newer.cells.withUnsafeBufferPointer { nc in
                for (k, id) in candidates.enumerated() {
                    let i = ro[k], j = rn[k]
                    if i >= 0 {
                        var differ = j < 0
                        if !differ { for c in 0..<n where oc[i * n + c] != nc[j * n + c] { differ = true; break } }
                        if differ {
                            changedIDs.append(id)
                            changedCells.append(contentsOf: oc[i * n ..< (i + 1) * n])
                        }
                    } else if j >= 0 {
                        addedIDs.append(id)
                    }
                }
            }
        }
    }

    /// Rows this patch holds (what it costs, against a state's row count).
    public var rowCount: Int { changedIDs.count + addedIDs.count }

    /// The older state, given the newer one this patch was made against.
    public func applied(to newer: StreamState) -> StreamState {
        precondition(newer.columns == columns, "a patch applies to a state of its own columns")
        let n = columns
        var ids: [EntryID] = []
        var cells: [Int64] = []
        ids.reserveCapacity(newer.count + changedIDs.count)
        cells.reserveCapacity(ids.capacity * n)
        let b = newer.ids, c = changedIDs, d = addedIDs
        var j = 0, k = 0, x = 0
        while j < b.count || k < c.count {
            if j < b.count && x < d.count && d[x] == b[j] {
                // Only in the newer state.
                x += 1; j += 1
            } else if j == b.count || (k < c.count && c[k] < b[j]) {
                ids.append(c[k]); cells.append(contentsOf: changedCells[k * n ..< (k + 1) * n]); k += 1
            } else if k < c.count && c[k] == b[j] {
                ids.append(c[k]); cells.append(contentsOf: changedCells[k * n ..< (k + 1) * n]); k += 1; j += 1
            } else {
                ids.append(b[j]); cells.append(contentsOf: newer.values(row: j)); j += 1
            }
        }
        return StreamState(columns: n, sortedIDs: ids, cells: cells)
    }
}
