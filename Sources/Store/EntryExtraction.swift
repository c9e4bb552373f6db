import WireCodec

/// Names one dictionary entry of one kind.
public struct EntryKey: Hashable, Sendable {
    public var kind: EntryKind
    public var id: EntryID
    public init(_ kind: EntryKind, _ id: EntryID) { (self.kind, self.id) = (kind, id) }
}

extension WireDictionary {
    /// The entries `state`'s stacks reach (stacks, their locations, functions and strings)
    /// that are neither in `known` nor in `seen`; adds what it returns to `seen`. This is
    /// what a store must hold, beside the state, to turn the state back into a profile.
    /// A stack this dictionary does not hold is skipped (its values render as nothing).
    public func entries(reaching state: StreamState, known: Set<EntryKey>, seen: inout Set<EntryKey>) -> [StoredEntry] {
        entries(reachingStacks: state.ids, known: known, seen: &seen)
    }

    /// The same for the stacks `ids` (say, only those a state gained over one the store
    /// already holds with its entries).
    public func entries(reachingStacks ids: [EntryID], known: Set<EntryKey>, seen: inout Set<EntryKey>) -> [StoredEntry] {
        var out: [StoredEntry] = []
        func want(_ kind: EntryKind, _ id: EntryID) -> Bool {
            let k = EntryKey(kind, id)
            if known.contains(k) { return false }
            return seen.insert(k).inserted
        }
        func addString(_ id: EntryID) {
            guard want(.string, id), let s = strings[id] else { return }
            out.append(StoredEntry(id: id, salt: salt(.string, id) ?? 0, content: .string(s)))
        }
        for id in ids {
            guard want(.stack, id), let stack = stacks[id] else { continue }
            for l in stack.locations {
                guard want(.location, l), let loc = locations[l] else { continue }
                for line in loc.lines {
                    guard want(.function, line.function), let f = functions[line.function] else { continue }
                    addString(f.name); addString(f.systemName); addString(f.filename)
                    out.append(StoredEntry(id: line.function, salt: salt(.function, line.function) ?? 0, content: .function(f)))
                }
                out.append(StoredEntry(id: l, salt: salt(.location, l) ?? 0, content: .location(loc)))
            }
            for label in stack.labels {
                addString(label.key)
                switch label.value {
                case .string(let v): addString(v)
                case .number(_, let unit): addString(unit)
                }
            }
            out.append(StoredEntry(id: id, salt: salt(.stack, id) ?? 0, content: .stack(stack)))
        }
        return out
    }

    /// Inserts a stored entry under the id its content hashes to; false when the id does
    /// not match (the record was altered) or contradicts an entry already held.
    public mutating func insert(_ e: StoredEntry) -> Bool {
        do {
            let id: EntryID
            switch e.content {
            case .string(let s): id = try define(string: s, salt: e.salt)
            case .function(let f): id = try define(function: f, salt: e.salt)
            case .location(let l): id = try define(location: l, salt: e.salt)
            case .stack(let s): id = try define(stack: s, salt: e.salt)
            }
            return id == e.id
        } catch { return false }
    }
}
