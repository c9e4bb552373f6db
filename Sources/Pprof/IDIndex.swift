/// Maps the ids of one pprof table (mappings, locations or functions) to positions in
/// that table, rejecting id 0 and duplicate ids.
///
/// Go and most producers number entries 1...n, so when the ids are dense enough the map
/// is a plain array indexed by id (one bounds check per lookup, no hashing); otherwise it
/// falls back to a dictionary. Either way it is built once per table and then used for
/// every reference, which is what keeps decoding large profiles fast.
struct IDIndex {
    /// `dense[id]` is the position of the entry with that id, or -1. Empty when sparse.
    private var dense: [Int32] = []
    private var sparse: [UInt64: Int] = [:]
    private let isDense: Bool

    /// - Parameter ids: the ids of the table's entries, in table order.
    init<C: Collection>(_ ids: C, table: PprofError.Table) throws(PprofError) where C.Element == UInt64 {
        var maxID: UInt64 = 0
        for id in ids where id > maxID { maxID = id }
        // Dense when the array would be at most a few times the table's size.
        let denseLimit = UInt64(ids.count) * 4 + 64
        isDense = maxID <= denseLimit && maxID < UInt64(Int32.max)
        if isDense {
            dense = [Int32](repeating: -1, count: Int(maxID) + 1)
        } else {
            sparse.reserveCapacity(ids.count)
        }
        for (position, id) in ids.enumerated() {
            guard id != 0 else { throw .zeroID(table: table, position: position) }
            if isDense {
                let slot = Int(id)
                guard dense[slot] < 0 else { throw .duplicateID(table: table, id: id) }
                dense[slot] = Int32(position)
            } else {
                guard sparse.updateValue(position, forKey: id) == nil else {
                    throw .duplicateID(table: table, id: id)
                }
            }
        }
    }

    /// The position of the entry with `id`, or nil when there is none.
    @inline(__always)
    func position(of id: UInt64) -> Int? {
        if isDense {
            guard id < UInt64(dense.count) else { return nil }
            let p = dense[Int(id)]
            return p < 0 ? nil : Int(p)
        }
        return sparse[id]
    }
}
