/// The entries of one epoch of a stream, by content id (SPEC.md §4.3).
///
/// The sender interns content and picks collision salts; the receiver inserts what
/// windows define and rejects content that contradicts an id it already holds.
public struct WireDictionary: Sendable {
    public let hasher: ContentHasher
    public private(set) var strings: [EntryID: String] = [:]
    public private(set) var functions: [EntryID: FunctionEntry] = [:]
    public private(set) var locations: [EntryID: LocationEntry] = [:]
    public private(set) var stacks: [EntryID: StackEntry] = [:]
    /// Entries whose content needed a non-zero salt, with that salt.
    public private(set) var salts: [SaltKey: UInt64] = [:]

    /// An entry of one kind: ids of different kinds are separate namespaces.
    public struct SaltKey: Hashable, Sendable {
        public var kind: EntryKind
        public var id: EntryID
    }

    public func salt(_ kind: EntryKind, _ id: EntryID) -> UInt64? { salts[SaltKey(kind: kind, id: id)] }

    // Content → id, so interning the same content again is one lookup.
    private var stringIDs: [String: EntryID] = [:]
    private var functionIDs: [FunctionEntry: EntryID] = [:]
    private var locationIDs: [LocationEntry: EntryID] = [:]
    private var stackIDs: [StackEntry: EntryID] = [:]

    public init(hasher: ContentHasher = ContentHasher()) {
        self.hasher = hasher
        emptyString = hasher.stringID("")
        strings[emptyString] = ""
        stringIDs[""] = emptyString
    }

    /// The id of "" (always present; string reference 0 on the wire).
    public let emptyString: EntryID

    public var count: Int { strings.count + functions.count + locations.count + stacks.count }

    // MARK: Sender side: intern content, choosing the smallest free salt.

    public mutating func intern(string s: String) -> EntryID {
        if let id = stringIDs[s] { return id }
        var salt: UInt64 = 0
        while true {
            let id = hasher.stringID(s, salt: salt)
            if strings[id] == nil {
                strings[id] = s
                stringIDs[s] = id
                if salt > 0 { salts[SaltKey(kind: .string, id: id)] = salt }
                return id
            }
            salt += 1
        }
    }

    public mutating func intern(function f: FunctionEntry) -> EntryID {
        if let id = functionIDs[f] { return id }
        var salt: UInt64 = 0
        while true {
            let id = hasher.functionID(f, salt: salt)
            if functions[id] == nil {
                functions[id] = f
                functionIDs[f] = id
                if salt > 0 { salts[SaltKey(kind: .function, id: id)] = salt }
                return id
            }
            salt += 1
        }
    }

    public mutating func intern(location l: LocationEntry) -> EntryID {
        if let id = locationIDs[l] { return id }
        var salt: UInt64 = 0
        while true {
            let id = hasher.locationID(l, salt: salt)
            if locations[id] == nil {
                locations[id] = l
                locationIDs[l] = id
                if salt > 0 { salts[SaltKey(kind: .location, id: id)] = salt }
                return id
            }
            salt += 1
        }
    }

    public mutating func intern(stack s: StackEntry) -> EntryID {
        if let id = stackIDs[s] { return id }
        var salt: UInt64 = 0
        while true {
            let id = hasher.stackID(s, salt: salt)
            if stacks[id] == nil {
                stacks[id] = s
                stackIDs[s] = id
                if salt > 0 { salts[SaltKey(kind: .stack, id: id)] = salt }
                return id
            }
            salt += 1
        }
    }

    // MARK: Receiver side: insert defined content under the id it hashes to.

    public mutating func define(string s: String, salt: UInt64) throws(WireError) -> EntryID {
        let id = hasher.stringID(s, salt: salt)
        if let old = strings[id] { guard old == s else { throw .idConflict(kind: .string, id: id) } } else {
            strings[id] = s
            stringIDs[s] = stringIDs[s] ?? id
            if salt > 0 { salts[SaltKey(kind: .string, id: id)] = salt }
        }
        return id
    }

    public mutating func define(function f: FunctionEntry, salt: UInt64) throws(WireError) -> EntryID {
        let id = hasher.functionID(f, salt: salt)
        if let old = functions[id] { guard old == f else { throw .idConflict(kind: .function, id: id) } } else {
            functions[id] = f
            functionIDs[f] = functionIDs[f] ?? id
            if salt > 0 { salts[SaltKey(kind: .function, id: id)] = salt }
        }
        return id
    }

    public mutating func define(location l: LocationEntry, salt: UInt64) throws(WireError) -> EntryID {
        let id = hasher.locationID(l, salt: salt)
        if let old = locations[id] { guard old == l else { throw .idConflict(kind: .location, id: id) } } else {
            locations[id] = l
            locationIDs[l] = locationIDs[l] ?? id
            if salt > 0 { salts[SaltKey(kind: .location, id: id)] = salt }
        }
        return id
    }

    public mutating func define(stack s: StackEntry, salt: UInt64) throws(WireError) -> EntryID {
        let id = hasher.stackID(s, salt: salt)
        if let old = stacks[id] { guard old == s else { throw .idConflict(kind: .stack, id: id) } } else {
            stacks[id] = s
            stackIDs[s] = stackIDs[s] ?? id
            if salt > 0 { salts[SaltKey(kind: .stack, id: id)] = salt }
        }
        return id
    }

    /// A new dictionary holding only what `stackIDs` reach: what a new epoch starts from.
    public func compacted(keeping stackIDs: some Sequence<EntryID>) -> WireDictionary {
        var d = WireDictionary(hasher: hasher)
        for s in stackIDs {
            guard let stack = stacks[s] else { continue }
            for l in stack.locations { d.copy(location: l, from: self) }
            for label in stack.labels { d.copy(label: label, from: self) }
            d.copyEntry(stack: s, from: self)
        }
        return d
    }

    private mutating func copy(string id: EntryID, from o: WireDictionary) {
        guard strings[id] == nil, let s = o.strings[id] else { return }
        strings[id] = s
        stringIDs[s] = id
        if let salt = o.salt(.string, id) { salts[SaltKey(kind: .string, id: id)] = salt }
    }

    private mutating func copy(label: LabelEntry, from o: WireDictionary) {
        copy(string: label.key, from: o)
        switch label.value {
        case .string(let v): copy(string: v, from: o)
        case .number(_, let unit): copy(string: unit, from: o)
        }
    }

    private mutating func copy(location id: EntryID, from o: WireDictionary) {
        guard locations[id] == nil, let l = o.locations[id] else { return }
        for line in l.lines {
            if functions[line.function] == nil, let f = o.functions[line.function] {
                copy(string: f.name, from: o)
                copy(string: f.systemName, from: o)
                copy(string: f.filename, from: o)
                functions[line.function] = f
                functionIDs[f] = line.function
                if let salt = o.salt(.function, line.function) { salts[SaltKey(kind: .function, id: line.function)] = salt }
            }
        }
        locations[id] = l
        locationIDs[l] = id
        if let salt = o.salt(.location, id) { salts[SaltKey(kind: .location, id: id)] = salt }
    }

    private mutating func copyEntry(stack id: EntryID, from o: WireDictionary) {
        guard stacks[id] == nil, let s = o.stacks[id] else { return }
        stacks[id] = s
        stackIDs[s] = id
        if let salt = o.salt(.stack, id) { salts[SaltKey(kind: .stack, id: id)] = salt }
    }
}
