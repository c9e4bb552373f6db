import Pprof
import Profile

/// What a stream's encoder keeps of its last pprof snapshot's tables: the tables decoded
/// and checked, and their entries in the stream's dictionary. A Go service's next profile
/// usually has the same tables byte for byte (`PprofSnapshot.sameTables`), and then only
/// its samples are read: no strings built, nothing hashed again, no `Profile` model.
struct PprofTableCache {
    /// The snapshot the tables were decoded from (what the next one is compared with).
    var snapshot: PprofSnapshot
    var tables: PprofTables
    /// Each location's entry, by position in `tables.locations`.
    var locationIDs: [EntryID]
    /// Each string's entry, by index; interned when a label first uses it.
    var stringIDs: [EntryID?]
    /// Whether `tables(of:reusing:)` returned the previous snapshot's tables.
    var isReused = false

    /// The tables of `snapshot`: `previous` when they are the same bytes, else decoded,
    /// checked and interned into `dictionary`.
    static func tables(of snapshot: PprofSnapshot, reusing previous: PprofTableCache?,
                       dictionary: inout WireDictionary) throws(PprofError) -> PprofTableCache {
        if var previous, snapshot.sameTables(as: previous.snapshot) {
            previous.isReused = true
            return previous
        }
        let t = try snapshot.tables()
        var functionIDs: [EntryID] = []
        functionIDs.reserveCapacity(t.functions.count)
        for f in t.functions { functionIDs.append(dictionary.intern(function: f)) }
        let locationIDs = t.locations.map { dictionary.intern(location: $0, functions: functionIDs) }
        return PprofTableCache(snapshot: snapshot, tables: t, locationIDs: locationIDs,
                               stringIDs: [EntryID?](repeating: nil, count: t.stringCount))
    }

    @inline(__always)
    mutating func string(_ index: Int, _ dictionary: inout WireDictionary) -> EntryID {
        if let id = stringIDs[index] { return id }
        let s = tables.string(index)
        let id = s.isEmpty ? dictionary.emptyString : dictionary.intern(string: s)
        stringIDs[index] = id
        return id
    }
}

extension WireDictionary {
    /// `state(of:cache:)` for a pprof snapshot read straight from its bytes, with the
    /// tables of `tables` (`PprofTableCache.tables(of:)` for this snapshot): the same
    /// state, frames and depth as `state(of: snapshot.profile(), cache:)`.
    mutating func state(of snapshot: PprofSnapshot, tables: inout PprofTableCache,
                        cache: inout StackCache) throws(PprofError) -> (state: StreamState, frames: Int, depth: Int) {
        var sum = StateSums(columns: tables.tables.sampleTypes.count, samples: snapshot.sampleCount, cache: &cache)
        var labels: [LabelEntry] = []
        let locationIDs = tables.locationIDs
        try locationIDs.withUnsafeBufferPointer { ids throws(PprofError) in
            try snapshot.forEachSample(tables.tables) { stack, values, refs in
                labels.removeAll(keepingCapacity: true)
                for r in refs {
                    let key = tables.string(r.key, &self)
                    labels.append(r.string != 0 ? LabelEntry(key: key, value: .string(tables.string(r.string, &self)))
                                                : LabelEntry(key: key, value: .number(r.number, unit: tables.string(r.unit, &self))))
                }
                sum.add(leafFirst: stack, locationIDs: ids, labels: &labels, values: values, cache: &cache, dictionary: &self)
            }
        }
        return sum.finish(cache: &cache)
    }
}
