/// The sorted entry tables of an acknowledged state: what wire references index into.
///
/// Both ends hold the same base state and the same entries for it, so both compute the
/// same tables, and a reference is just a position in a table (SPEC.md §5.1): a few bits
/// where a content id would take eight bytes.
///
/// Tables are derived, not rebuilt: each entry carries a use count (frames that name a
/// location, locations that name a function, functions and labels that name a string), so
/// moving from one state to the next touches only the stacks that came or went.
public struct BaseTables: Sendable {
    /// Stack ids, ascending: the rows of the base state.
    public private(set) var stacks: [EntryID] = []
    public private(set) var locations: [EntryID] = []
    public private(set) var functions: [EntryID] = []
    /// Strings reachable from the state, without "" (which is always reference 0).
    public private(set) var strings: [EntryID] = []
    private var locationUses = IDMap<Int32>()
    private var functionUses = IDMap<Int32>()
    private var stringUses = IDMap<Int32>()
    /// Sender only: stack ids ordered by their root-first location ids (then id), for
    /// finding a new stack's longest shared prefix.
    private(set) var prefixOrder: [EntryID] = []
    /// Sender only: string ids ordered by their UTF-8 bytes, for front coding new strings.
    private(set) var stringsByContent: [EntryID] = []
    /// Whether the sender-only orders are kept.
    public let forEncoding: Bool
    /// Locations summed over the base stacks (what a child index costs to build).
    public private(set) var frameCount = 0

    /// The tables of the empty state (a keyframe's base).
    public static let empty = BaseTables(forEncoding: true)

    public init(forEncoding: Bool) { self.forEncoding = forEncoding }

    /// Computes the tables of `state`, whose entries must all be in `dictionary`.
    /// - Parameter forEncoding: also keep what only a sender needs (prefix and content
    ///   orders); a receiver passes false.
    public init(state: StreamState, dictionary d: WireDictionary, forEncoding: Bool = true) throws(WireError) {
        self = try BaseTables(forEncoding: forEncoding).moved(to: state, dictionary: d)
    }

    // MARK: Lookups (binary search; tables are ascending)

    func stackRank(_ id: EntryID) -> Int? { stacks.sortedIndex(of: id) }
    func locationRank(_ id: EntryID) -> Int? { locations.sortedIndex(of: id) }
    func functionRank(_ id: EntryID) -> Int? { functions.sortedIndex(of: id) }
    func stringRank(_ id: EntryID) -> Int? { strings.sortedIndex(of: id) }

    // MARK: Derivation

    /// The tables of `state`, derived from these tables (of some other state of the same
    /// dictionary) by adding the stacks `state` gained and dropping those it lost.
    public func moved(to state: StreamState, dictionary d: WireDictionary) throws(WireError) -> BaseTables {
        // The same stacks (most deltas: the reader took the base's rows whole).
        if stacks == state.ids { return self }
        var added: [EntryID] = [], removed: [EntryID] = []
        let a = stacks, b = state.ids
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) { removed.append(a[i]); i += 1 }
            else if i == a.count || b[j] < a[i] { added.append(b[j]); j += 1 }
            else { i += 1; j += 1 }
        }
        if added.isEmpty && removed.isEmpty { return self }
        var t = self
        t.stacks = b
        var newLocations: [EntryID] = [], goneLocations: [EntryID] = []
        var newFunctions: [EntryID] = [], goneFunctions: [EntryID] = []
        var newStrings: [EntryID] = [], goneStrings: [EntryID] = []

        func useString(_ s: EntryID, _ delta: Int32) throws(WireError) {
            if s == d.emptyString { return }
            switch t.stringUses.count(s, by: delta) {
            case .appeared:
                guard d.strings[s] != nil else { throw .missingEntry(kind: .string, id: s) }
                newStrings.append(s)
            case .disappeared: goneStrings.append(s)
            case .stayed: break
            }
        }
        func useFunction(_ f: EntryID, _ delta: Int32) throws(WireError) {
            let change = t.functionUses.count(f, by: delta)
            guard change != .stayed else { return }
            guard let fn = d.functions[f] else { throw .missingEntry(kind: .function, id: f) }
            if change == .appeared { newFunctions.append(f) } else { goneFunctions.append(f) }
            for name in [fn.name, fn.systemName, fn.filename] { try useString(name, delta) }
        }
        func useLocation(_ l: EntryID, _ delta: Int32) throws(WireError) {
            let change = t.locationUses.count(l, by: delta)
            guard change != .stayed else { return }
            guard let loc = d.locations[l] else { throw .missingEntry(kind: .location, id: l) }
            if change == .appeared { newLocations.append(l) } else { goneLocations.append(l) }
            for line in loc.lines { try useFunction(line.function, delta) }
        }
        func useStack(_ s: EntryID, _ delta: Int32) throws(WireError) {
            guard let stack = d.stacks[s] else { throw .missingEntry(kind: .stack, id: s) }
            t.frameCount += Int(delta) * stack.locations.count
            for l in stack.locations { try useLocation(l, delta) }
            for label in stack.labels {
                try useString(label.key, delta)
                switch label.value {
                case .string(let v): try useString(v, delta)
                case .number(_, let unit): try useString(unit, delta)
                }
            }
        }
        // Additions first: an entry that a removed stack and an added one share never
        // drops to zero on the way.
        for s in added { try useStack(s, 1) }
        for s in removed { try useStack(s, -1) }

        t.locations = Self.updated(t.locations, adding: newLocations, removing: goneLocations)
        t.functions = Self.updated(t.functions, adding: newFunctions, removing: goneFunctions)
        t.strings = Self.updated(t.strings, adding: newStrings, removing: goneStrings)
        if forEncoding {
            t.prefixOrder = Self.reordered(t.prefixOrder, adding: added, removing: removed,
                                           key: { d.stacks[$0]!.locations }) { a, b in
                a.key == b.key ? a.id < b.id : a.key.lexicographicallyPrecedes(b.key)
            }
            t.stringsByContent = Self.reordered(t.stringsByContent, adding: newStrings, removing: goneStrings,
                                                key: { Array(d.strings[$0]!.utf8) }) { a, b in
                a.key == b.key ? a.id < b.id : a.key.lexicographicallyPrecedes(b.key)
            }
        }
        return t
    }

    /// An ascending table with some ids added and some removed.
    static func updated(_ table: [EntryID], adding: [EntryID], removing: [EntryID]) -> [EntryID] {
        if adding.isEmpty && removing.isEmpty { return table }
        var out = table
        if !removing.isEmpty {
            let gone = Set(removing)
            out.removeAll { gone.contains($0) }
        }
        guard !adding.isEmpty else { return out }
        let add = adding.sorted()
        var merged: [EntryID] = []
        merged.reserveCapacity(out.count + add.count)
        var i = 0, j = 0
        while i < out.count || j < add.count {
            if j == add.count || (i < out.count && out[i] < add[j]) { merged.append(out[i]); i += 1 }
            else { merged.append(add[j]); j += 1 }
        }
        return merged
    }

    /// A table kept in `precedes` order (over each id's sort key) with some ids added and
    /// some removed: a few binary insertions, or one sort with the keys fetched once when
    /// many arrive.
    static func reordered<Key>(_ table: [EntryID], adding: [EntryID], removing: [EntryID], key: (EntryID) -> Key,
                               by precedes: ((id: EntryID, key: Key), (id: EntryID, key: Key)) -> Bool) -> [EntryID] {
        var out = table
        if !removing.isEmpty {
            let gone = Set(removing)
            out.removeAll { gone.contains($0) }
        }
        if adding.count * 16 > out.count {
            var keyed = out.map { (id: $0, key: key($0)) }
            keyed.append(contentsOf: adding.map { (id: $0, key: key($0)) })
            keyed.sort(by: precedes)
            return keyed.map(\.id)
        }
        for x in adding {
            let kx = (id: x, key: key(x))
            out.insert(x, at: partitionPoint(out.count) { precedes((out[$0], key(out[$0])), kx) })
        }
        return out
    }
}
