import Foundation

/// The entries of one kind by content id, with the reverse map from content to id.
///
/// `intern` is the sender's rule (pick the smallest free salt), `define` the receiver's
/// (insert under the id the content hashes to, reject contradictions): SPEC.md §4.3.
struct EntryTable<Content: EntryContent>: Sendable {
    private(set) var byID = IDMap<Content>()
    private(set) var ids: [Content.Key: EntryID] = [:]
    private(set) var salts = IDMap<UInt64>()

    var count: Int { byID.count }

    subscript(id: EntryID) -> Content? { byID[id] }

    mutating func intern(_ c: Content, hash: (Content, UInt64) -> EntryID) -> EntryID {
        if let id = ids[c.key] { return id }
        return internUnindexed(c, index: true, hash: hash)
    }

    /// `intern` without the content lookup, for a sender that keeps its own cache of what
    /// it interned (the stack cache); `index: false` also skips the content index.
    mutating func internUnindexed(_ c: Content, index: Bool, hash: (Content, UInt64) -> EntryID) -> EntryID {
        var salt: UInt64 = 0
        while true {
            let id = hash(c, salt)
            guard let old = byID[id] else {
                insert(c, id: id, salt: salt, index: index)
                return id
            }
            if old.key == c.key { return id }
            salt += 1
        }
    }

    mutating func define(_ c: Content, salt: UInt64, kind: EntryKind, hash: (Content, UInt64) -> EntryID) throws(WireError) -> EntryID {
        let id = hash(c, salt)
        if let old = byID[id] {
            guard old.key == c.key else { throw .idConflict(kind: kind, id: id) }
        } else {
            // A receiver looks entries up by id only: no content index to keep.
            insert(c, id: id, salt: salt, index: false)
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

    private mutating func insert(_ c: Content, id: EntryID, salt: UInt64, index: Bool = true) {
        byID.set(id, c)
        if index, ids[c.key] == nil { ids[c.key] = id }
        if salt > 0 { salts.set(id, salt) }
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

    static func == (a: ByteString, b: ByteString) -> Bool { sameUTF8(a.value, b.value) }

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

/// Whether two strings have the same UTF-8 bytes (not Swift's canonical equivalence).
@inline(__always)
func sameUTF8(_ a: String, _ b: String) -> Bool {
    let n = a.utf8.count
    guard n == b.utf8.count else { return false }
    if n == 0 { return true }
    var a = a, b = b
    return a.withUTF8 { pa in b.withUTF8 { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) == 0 } }
}
