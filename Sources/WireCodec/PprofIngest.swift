import Pprof
import Profile

/// What a stream's encoder keeps of its last pprof snapshot's tables: the tables decoded
/// and checked, and their entries in the stream's dictionary. A Go service's next profile
/// usually has the same tables byte for byte (`PprofSnapshot.sameTables`), and then only
/// its samples are read: no strings built, nothing hashed again, no `Profile` model. When
/// they changed (Go renumbers every table when a new stack appears), the strings the
/// stream's memo knows are taken from it by their bytes, and only functions and locations
/// are interned again.
struct PprofTableCache {
    /// The snapshot the tables were decoded from (what the next one is compared with).
    var snapshot: PprofSnapshot
    /// The tables; a string becomes `.known` once it is interned.
    var tables: PprofTables
    /// Each location's entry, by position in `tables.locations`.
    var locationIDs: [EntryID]
    /// Whether `tables(of:reusing:)` returned the previous snapshot's tables.
    var isReused = false

    /// The tables of `snapshot`: `previous` when they are the same bytes, else decoded,
    /// checked and interned into `dictionary`, with the strings `memo` holds taken from it
    /// and the others added to it.
    static func tables(of snapshot: PprofSnapshot, reusing previous: PprofTableCache?,
                       memo: inout PprofStringMemo, dictionary: inout WireDictionary) throws(PprofError) -> PprofTableCache {
        if var previous, snapshot.sameTables(as: previous.snapshot) {
            previous.isReused = true
            return previous
        }
        var cache = PprofTableCache(snapshot: snapshot, tables: try snapshot.tables(known: memo), locationIDs: [])
        let functions = cache.tables.functions
        var functionIDs: [EntryID] = []
        functionIDs.reserveCapacity(functions.count)
        for f in functions {
            let name = cache.string(f.name, &memo, &dictionary)
            let system = f.systemName == f.name ? name : cache.string(f.systemName, &memo, &dictionary)
            let file = cache.string(f.filename, &memo, &dictionary)
            functionIDs.append(dictionary.intern(function: FunctionEntry(name: name, systemName: system, filename: file, startLine: f.startLine)))
        }
        cache.locationIDs = cache.tables.locations.map { dictionary.intern(location: $0, functions: functionIDs) }
        return cache
    }

    /// The entry of the string at `index`, interned (and remembered in `memo`) the first
    /// time it is needed.
    @inline(__always)
    mutating func string(_ index: Int, _ memo: inout PprofStringMemo, _ dictionary: inout WireDictionary) -> EntryID {
        switch tables.strings[index] {
        case .known(let id): return id
        case .new(let s):
            let id = s.isEmpty ? dictionary.emptyString : dictionary.intern(string: s)
            memo.insert(s, id)
            tables.strings[index] = .known(id)
            return id
        }
    }
}

extension WireDictionary {
    /// `state(of:cache:)` for a pprof snapshot read straight from its bytes, with the
    /// tables of `tables` (`PprofTableCache.tables(of:)` for this snapshot): the same
    /// state, frames and depth as `state(of: snapshot.profile(), cache:)`.
    mutating func state(of snapshot: PprofSnapshot, tables: inout PprofTableCache, memo: inout PprofStringMemo,
                        cache: inout StackCache) throws(PprofError) -> (state: StreamState, frames: Int, depth: Int) {
        var sum = StateSums(columns: tables.tables.sampleTypes.count, samples: snapshot.sampleCount, cache: &cache)
        var labels: [LabelEntry] = []
        let locationIDs = tables.locationIDs
        try locationIDs.withUnsafeBufferPointer { ids throws(PprofError) in
            try snapshot.forEachSample(tables.tables) { stack, values, refs in
                labels.removeAll(keepingCapacity: true)
                for r in refs {
                    let key = tables.string(r.key, &memo, &self)
                    labels.append(r.string != 0 ? LabelEntry(key: key, value: .string(tables.string(r.string, &memo, &self)))
                                                : LabelEntry(key: key, value: .number(r.number, unit: tables.string(r.unit, &memo, &self))))
                }
                sum.add(leafFirst: stack, locationIDs: ids, labels: &labels, values: values, cache: &cache, dictionary: &self)
            }
        }
        return sum.finish(cache: &cache)
    }
}
