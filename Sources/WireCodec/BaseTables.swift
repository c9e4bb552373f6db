/// The sorted entry tables of an acknowledged state: what wire references index into.
///
/// Both ends hold the same base state and the same entries for it, so both compute the
/// same tables, and a reference is just a position in a table (SPEC.md §5.1): a few bits
/// where a content id would take eight bytes.
public struct BaseTables: Sendable {
    public let stacks: [EntryID]
    public let locations: [EntryID]
    public let functions: [EntryID]
    /// Strings reachable from the state, without "" (which is always reference 0).
    public let strings: [EntryID]
    let stackRank: [EntryID: Int]
    let locationRank: [EntryID: Int]
    let functionRank: [EntryID: Int]
    let stringRank: [EntryID: Int]
    /// Stack ranks ordered by their root-first location ids, for finding shared prefixes.
    let prefixOrder: [Int]
    /// String ranks ordered by content, for front coding new strings.
    let stringsByContent: [Int]

    /// The tables of the empty state (a keyframe's base).
    public static let empty = BaseTables(stacks: [], locations: [], functions: [], strings: [])

    init(stacks: [EntryID], locations: [EntryID], functions: [EntryID], strings: [EntryID], prefixOrder: [Int] = [],
         stringsByContent: [Int] = []) {
        self.stringsByContent = stringsByContent
        self.stacks = stacks
        self.locations = locations
        self.functions = functions
        self.strings = strings
        stackRank = Self.ranks(stacks)
        locationRank = Self.ranks(locations)
        functionRank = Self.ranks(functions)
        stringRank = Self.ranks(strings)
        self.prefixOrder = prefixOrder
    }

    static func ranks(_ ids: [EntryID]) -> [EntryID: Int] {
        var d = [EntryID: Int](minimumCapacity: ids.count)
        for (i, id) in ids.enumerated() { d[id] = i }
        return d
    }

    /// Computes the tables of `state`, whose entries must all be in `dictionary`.
    public init(state: StreamState, dictionary d: WireDictionary) throws(WireError) {
        var locs = Set<EntryID>(), funcs = Set<EntryID>(), strs = Set<EntryID>()
        let stackIDs = state.values.keys.sorted()
        for s in stackIDs {
            guard let stack = d.stacks[s] else { throw .missingEntry(kind: .stack, id: s) }
            for l in stack.locations { locs.insert(l) }
            for label in stack.labels {
                strs.insert(label.key)
                switch label.value {
                case .string(let v): strs.insert(v)
                case .number(_, let unit): strs.insert(unit)
                }
            }
        }
        for l in locs {
            guard let loc = d.locations[l] else { throw .missingEntry(kind: .location, id: l) }
            for line in loc.lines { funcs.insert(line.function) }
        }
        for f in funcs {
            guard let fn = d.functions[f] else { throw .missingEntry(kind: .function, id: f) }
            strs.insert(fn.name)
            strs.insert(fn.systemName)
            strs.insert(fn.filename)
        }
        for s in strs where d.strings[s] == nil { throw .missingEntry(kind: .string, id: s) }
        strs.remove(d.emptyString)
        let order = stackIDs.indices.sorted { a, b in
            d.stacks[stackIDs[a]]!.locations.lexicographicallyPrecedes(d.stacks[stackIDs[b]]!.locations)
        }
        let strings = strs.sorted()
        let byContent = strings.indices.sorted { d.strings[strings[$0]]! < d.strings[strings[$1]]! }
        self.init(stacks: stackIDs, locations: locs.sorted(), functions: funcs.sorted(), strings: strings, prefixOrder: order,
                  stringsByContent: byContent)
    }
}
