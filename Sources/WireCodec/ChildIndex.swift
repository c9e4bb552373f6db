/// The calling context of an acknowledged state (SPEC.md §5.3): for every location, the
/// distinct locations that directly follow it in some base stack, and the distinct first
/// locations of the base stacks, each list ascending by id.
///
/// A new stack mostly walks edges the base already has, so a frame named as "child k of
/// the previous frame" takes one byte where a reference into a table of hundreds of
/// locations takes two. Built on demand, only for windows that use it: its cost is linear
/// in the base's frames, and the sender uses it only when the window's new frames are
/// many against that (`StreamEncoder.frameContext`).
struct ChildIndex: Sendable {
    private(set) var roots: [EntryID] = []
    private var children = IDMap<[EntryID]>()

    /// The index of no stacks (a keyframe's base).
    static let empty = ChildIndex()

    private init() {}

    init(stacks: [EntryID], dictionary d: WireDictionary) throws(WireError) {
        struct Edge: Hashable { let parent: EntryID, child: EntryID }
        var edges = Set<Edge>()
        var rootSet = Set<EntryID>()
        for s in stacks {
            guard let f = d.stacks[s]?.locations else { throw .missingEntry(kind: .stack, id: s) }
            guard let first = f.first else { continue }
            rootSet.insert(first)
            for k in f.indices.dropFirst() { edges.insert(Edge(parent: f[k - 1], child: f[k])) }
        }
        roots = rootSet.sorted()
        var lists: [EntryID: [EntryID]] = [:]
        for e in edges { lists[e.parent, default: []].append(e.child) }
        for (parent, l) in lists { children.set(parent, l.sorted()) }
    }

    /// The children of `parent`, or the roots for the first frame (`parent` nil).
    func children(of parent: EntryID?) -> [EntryID] {
        guard let parent else { return roots }
        return children[parent] ?? []
    }
}
