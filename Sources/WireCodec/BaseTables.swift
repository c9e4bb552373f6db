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
    // Encoder-only indexes (a receiver only maps ranks to ids, never back).
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
         stringsByContent: [Int] = [], indexed: Bool = true) {
        self.stacks = stacks
        self.locations = locations
        self.functions = functions
        self.strings = strings
        stackRank = indexed ? Self.ranks(stacks) : [:]
        locationRank = indexed ? Self.ranks(locations) : [:]
        functionRank = indexed ? Self.ranks(functions) : [:]
        stringRank = indexed ? Self.ranks(strings) : [:]
        self.prefixOrder = prefixOrder
        self.stringsByContent = stringsByContent
    }

    static func ranks(_ ids: [EntryID]) -> [EntryID: Int] {
        var d = [EntryID: Int](minimumCapacity: ids.count)
        for (i, id) in ids.enumerated() { d[id] = i }
        return d
    }

    /// Computes the tables of `state`, whose entries must all be in `dictionary`.
    /// - Parameter forEncoding: also build what only a sender needs (id → rank maps,
    ///   prefix order, content order); a receiver passes false.
    public init(state: StreamState, dictionary d: WireDictionary, forEncoding: Bool = true) throws(WireError) {
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
        let strings = strs.sorted()
        guard forEncoding else {
            self.init(stacks: stackIDs, locations: locs.sorted(), functions: funcs.sorted(), strings: strings, indexed: false)
            return
        }
        let frames = stackIDs.map { d.stacks[$0]!.locations }
        let order = frames.indices.sorted { frames[$0].lexicographicallyPrecedes(frames[$1]) }
        let texts = strings.map { d.strings[$0]! }
        let byContent = texts.indices.sorted { texts[$0] < texts[$1] }
        self.init(stacks: stackIDs, locations: locs.sorted(), functions: funcs.sorted(), strings: strings, prefixOrder: order,
                  stringsByContent: byContent)
    }
}
