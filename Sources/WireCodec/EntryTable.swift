/// The entries of one kind by content id, with the reverse map from content to id.
///
/// `intern` is the sender's rule (pick the smallest free salt), `define` the receiver's
/// (insert under the id the content hashes to, reject contradictions): SPEC.md §4.3.
struct EntryTable<Content: EntryContent>: Sendable {
    private(set) var byID: [EntryID: Content] = [:]
    private(set) var ids: [Content.Key: EntryID] = [:]
    private(set) var salts: [EntryID: UInt64] = [:]

    var count: Int { byID.count }

    subscript(id: EntryID) -> Content? { byID[id] }

    mutating func intern(_ c: Content, hash: (Content, UInt64) -> EntryID) -> EntryID {
        if let id = ids[c.key] { return id }
        var salt: UInt64 = 0
        while true {
            let id = hash(c, salt)
            if byID[id] == nil {
                insert(c, id: id, salt: salt)
                return id
            }
            salt += 1
        }
    }

    mutating func define(_ c: Content, salt: UInt64, kind: EntryKind, hash: (Content, UInt64) -> EntryID) throws(WireError) -> EntryID {
        let id = hash(c, salt)
        if let old = byID[id] {
            guard old.key == c.key else { throw .idConflict(kind: kind, id: id) }
        } else {
            insert(c, id: id, salt: salt)
        }
        return id
    }

    /// Copies entry `id` (with its salt) from `other`; false if `other` lacks it.
    @discardableResult
    mutating func copy(_ id: EntryID, from other: EntryTable) -> Bool {
        if byID[id] != nil { return true }
        guard let c = other.byID[id] else { return false }
        insert(c, id: id, salt: other.salts[id] ?? 0)
        return true
    }

    private mutating func insert(_ c: Content, id: EntryID, salt: UInt64) {
        byID[id] = c
        if ids[c.key] == nil { ids[c.key] = id }
        if salt > 0 { salts[id] = salt }
    }
}

/// What identifies an entry's content. Ids hash bytes, so content must compare by bytes:
/// Swift's `String ==` treats canonically equivalent strings ("é" and "e\u{301}") as
/// equal, which would send one string's id for the other's bytes.
protocol EntryContent: Sendable {
    associatedtype Key: Hashable & Sendable
    var key: Key { get }
}

/// A string compared and hashed by its UTF-8 bytes.
struct ByteString: Hashable, Sendable {
    let value: String

    static func == (a: ByteString, b: ByteString) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    func hash(into h: inout Hasher) {
        var s = value
        s.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String: EntryContent {
    var key: ByteString { ByteString(value: self) }
}

extension FunctionEntry: EntryContent { var key: FunctionEntry { self } }
extension LocationEntry: EntryContent { var key: LocationEntry { self } }
extension StackEntry: EntryContent { var key: StackEntry { self } }
