/// The entries of one epoch of a stream, by content id (SPEC.md §4.3).
///
/// The sender interns content and picks collision salts; the receiver inserts what
/// windows define and rejects content that contradicts an id it already holds.
public struct WireDictionary: Sendable {
    public let hasher: ContentHasher
    var stringTable = EntryTable<String>()
    var functionTable = EntryTable<FunctionEntry>()
    var locationTable = EntryTable<LocationEntry>()
    var stackTable = EntryTable<StackEntry>()

    public init(hasher: ContentHasher = ContentHasher()) {
        self.hasher = hasher
        let h = hasher
        emptyString = stringTable.intern("") { h.stringID($0, salt: $1) }
    }

    /// The id of "" (always present; string reference 0 on the wire).
    public let emptyString: EntryID

    public var strings: IDMap<String> { stringTable.byID }
    public var functions: IDMap<FunctionEntry> { functionTable.byID }
    public var locations: IDMap<LocationEntry> { locationTable.byID }
    public var stacks: IDMap<StackEntry> { stackTable.byID }

    public var count: Int { stringTable.count + functionTable.count + locationTable.count + stackTable.count }

    /// The collision salt of an entry, if it needed one.
    public func salt(_ kind: EntryKind, _ id: EntryID) -> UInt64? {
        switch kind {
        case .string: return stringTable.salts[id]
        case .function: return functionTable.salts[id]
        case .location: return locationTable.salts[id]
        case .stack: return stackTable.salts[id]
        }
    }

    /// True when some entry needed a salt.
    public var hasSalts: Bool {
        !(stringTable.salts.isEmpty && functionTable.salts.isEmpty && locationTable.salts.isEmpty && stackTable.salts.isEmpty)
    }

    // MARK: Sender side: intern content, choosing the smallest free salt.

    public mutating func intern(string s: String) -> EntryID {
        let h = hasher
        return stringTable.intern(s) { h.stringID($0, salt: $1) }
    }

    public mutating func intern(function f: FunctionEntry) -> EntryID {
        let h = hasher
        return functionTable.intern(f) { h.functionID($0, salt: $1) }
    }

    public mutating func intern(location l: LocationEntry) -> EntryID {
        let h = hasher
        return locationTable.intern(l) { h.locationID($0, salt: $1) }
    }

    public mutating func intern(stack s: StackEntry) -> EntryID {
        let h = hasher
        return stackTable.intern(s) { h.stackID($0, salt: $1) }
    }

    /// Interns a stack the caller's own cache has not seen, skipping the content index
    /// (the stack cache is the sender's index of stacks).
    mutating func internUncached(stack s: StackEntry) -> EntryID {
        let h = hasher
        return stackTable.internUnindexed(s, index: false) { h.stackID($0, salt: $1) }
    }

    // MARK: Receiver side: insert defined content under the id it hashes to.

    public mutating func define(string s: String, salt: UInt64) throws(WireError) -> EntryID {
        let h = hasher
        return try stringTable.define(s, salt: salt, kind: .string) { h.stringID($0, salt: $1) }
    }

    public mutating func define(function f: FunctionEntry, salt: UInt64) throws(WireError) -> EntryID {
        let h = hasher
        return try functionTable.define(f, salt: salt, kind: .function) { h.functionID($0, salt: $1) }
    }

    public mutating func define(location l: LocationEntry, salt: UInt64) throws(WireError) -> EntryID {
        let h = hasher
        return try locationTable.define(l, salt: salt, kind: .location) { h.locationID($0, salt: $1) }
    }

    public mutating func define(stack s: StackEntry, salt: UInt64) throws(WireError) -> EntryID {
        let h = hasher
        return try stackTable.define(s, salt: salt, kind: .stack) { h.stackID($0, salt: $1) }
    }

    /// A new dictionary holding only what `stackIDs` reach: what a new epoch starts from.
    /// Ids and salts are kept, so entries keep their names.
    public func compacted(keeping stackIDs: some Sequence<EntryID>) -> WireDictionary {
        var d = WireDictionary(hasher: hasher)
        for s in stackIDs {
            guard let stack = stackTable[s] else { continue }
            for l in stack.locations {
                guard d.locationTable.copy(l, from: locationTable), let loc = locationTable[l] else { continue }
                for line in loc.lines {
                    guard d.functionTable.copy(line.function, from: functionTable), let f = functionTable[line.function] else { continue }
                    for str in [f.name, f.systemName, f.filename] { d.stringTable.copy(str, from: stringTable) }
                }
            }
            for label in stack.labels {
                d.stringTable.copy(label.key, from: stringTable)
                switch label.value {
                case .string(let v): d.stringTable.copy(v, from: stringTable)
                case .number(_, let unit): d.stringTable.copy(unit, from: stringTable)
                }
            }
            d.stackTable.copy(s, from: stackTable)
        }
        return d
    }
}
