import Foundation
import SwiftProtobuf

/// The header fields of a window (everything but its content).
public struct WindowHeader: Equatable, Sendable {
    public var stream: UInt32
    public var seq: UInt32
    /// 0 for a keyframe.
    public var baseSeq: UInt32
    public var epoch: UInt32
    public var timeNanos: Int64
    public var durationNanos: Int64

    public init(stream: UInt32, seq: UInt32, baseSeq: UInt32, epoch: UInt32, timeNanos: Int64 = 0, durationNanos: Int64 = 0) {
        self.stream = stream
        self.seq = seq
        self.baseSeq = baseSeq
        self.epoch = epoch
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
    }
}

/// Encodes one window: the change of `state` against an acknowledged base (SPEC.md §5).
///
/// Entries the base already holds are named by their rank in the base tables; everything
/// else is defined inline, each entry once per window. A new stack is written as a prefix
/// of a similar stack (from the base or earlier in the window) plus its remaining frames.
struct WindowWriter {
    let d: WireDictionary
    let base: BaseTables
    var strings: [String] = []
    var stringPrefixes: [UInt64] = []
    var usePrefixes = false
    var stringRefs: [EntryID: UInt64] = [:]
    var newStringText: [String] = []
    var functions: [UInt64] = []
    var functionRefs: [EntryID: UInt64] = [:]
    var functionCount = 0
    var locations: [UInt64] = []
    var locationRefs: [EntryID: UInt64] = [:]
    var locationCount = 0
    /// Definitions already named by a fresh code (SPEC.md §5.1): the next fresh code
    /// names definition `freshFunctions` (resp. `freshLocations`).
    var freshStrings = 0
    var freshFunctions = 0
    var freshLocations = 0
    var stacks: [UInt64] = []
    var salts: [UInt64] = []

    /// How new stacks name base locations: plain references, or children of the previous
    /// frame in the base's calling context (SPEC.md §5.3).
    let policy: FrameContext
    /// The base's child index, when the caller has it; `context` is the one this window
    /// used (built here when needed), for the caller to keep.
    private(set) var context: ChildIndex?

    init(dictionary: WireDictionary, base: BaseTables, policy: FrameContext = .never, context: ChildIndex? = nil) {
        d = dictionary
        self.base = base
        self.policy = policy
        self.context = context
    }

    mutating func salt(_ id: EntryID, kind: EntryKind, index: Int) {
        if let s = d.salt(kind, id) {
            salts.append(UInt64(index) << 2 | UInt64(kind.rawValue - 1))
            salts.append(s)
        }
    }

    mutating func stringRef(_ id: EntryID) -> UInt64 {
        if id == d.emptyString { return 0 }
        if let r = base.stringRank(id) { return UInt64(r + 1) }
        if let r = stringRefs[id] { return r }
        let r = UInt64(1 + base.strings.count + strings.count)
        salt(id, kind: .string, index: strings.count)
        let text = d.strings[id]!
        // Front coding: share the longest start with a known string (whole characters only).
        var best: (ref: UInt64, shared: Int) = (0, 0)
        let order = base.stringsByContent
        if !order.isEmpty {
            let lo = partitionPoint(order.count) { d.strings[order[$0]]!.utf8.lexicographicallyPrecedes(text.utf8) }
            for pos in [lo - 1, lo] where pos >= 0 && pos < order.count {
                let k = sharedStart(d.strings[order[pos]]!, text)
                if k > best.shared { best = (UInt64(base.stringRank(order[pos])! + 1), k) }
            }
        }
        for (j, full) in newStringText.enumerated().suffix(8) {
            let k = sharedStart(full, text)
            if k > best.shared { best = (UInt64(1 + base.strings.count + j), k) }
        }
        if best.shared >= 4 {
            usePrefixes = true
            stringPrefixes.append(best.ref)
            stringPrefixes.append(UInt64(best.shared))
            strings.append(String(decoding: text.utf8.dropFirst(best.shared), as: UTF8.self))
        } else {
            stringPrefixes.append(0)
            stringPrefixes.append(0)
            strings.append(text)
        }
        newStringText.append(text)
        stringRefs[id] = r
        return r
    }

    /// A fresh-coded reference (SPEC.md §5.1): 0 when `ref` is the next definition no
    /// fresh code named yet (`first` + `counter`), else `ref` + 1.
    static func fresh(_ ref: UInt64, first: Int, counter: inout Int) -> UInt64 {
        if ref == UInt64(first + counter) {
            counter += 1
            return 0
        }
        return ref + 1
    }

    mutating func functionRef(_ id: EntryID) -> UInt64 {
        if let r = base.functionRank(id) { return UInt64(r) }
        if let r = functionRefs[id] { return r }
        let f = d.functions[id]!
        // Strings are defined in order of first reference from `functions` (labels come
        // after, see `write`), so a new name or file is usually the fresh code 0.
        let first = 1 + base.strings.count
        let name = Self.fresh(stringRef(f.name), first: first, counter: &freshStrings)
        let system = f.systemName == f.name ? 0 : 1 + Self.fresh(stringRef(f.systemName), first: first, counter: &freshStrings)
        let file = Self.fresh(stringRef(f.filename), first: first, counter: &freshStrings)
        functions.append(contentsOf: [name, system, file, ZigZag.encode(f.startLine)])
        let r = UInt64(base.functions.count + functionCount)
        salt(id, kind: .function, index: functionCount)
        functionCount += 1
        functionRefs[id] = r
        return r
    }

    mutating func locationRef(_ id: EntryID) -> UInt64 {
        if let r = base.locationRank(id) { return UInt64(r) }
        if let r = locationRefs[id] { return r }
        let l = d.locations[id]!
        // Functions are defined in order of first reference from `locations`.
        let codes = l.lines.map { Self.fresh(functionRef($0.function), first: base.functions.count, counter: &freshFunctions) }
        if l.lines.count == 1 && l.address == 0 {
            // The common location: one line, no address; head (function code << 1) | 1.
            locations.append(codes[0] << 1 | 1)
            locations.append(ZigZag.encode(l.lines[0].line &- d.functions[l.lines[0].function]!.startLine))
        } else {
            locations.append(UInt64(l.lines.count) << 2 | (l.address != 0 ? 2 : 0))
            for (k, line) in l.lines.enumerated() {
                locations.append(codes[k])
                locations.append(ZigZag.encode(line.line &- d.functions[line.function]!.startLine))
            }
            if l.address != 0 { locations.append(l.address) }
        }
        let r = UInt64(base.locations.count + locationCount)
        salt(id, kind: .location, index: locationCount)
        locationCount += 1
        locationRefs[id] = r
        return r
    }

    mutating func labels(_ labels: [LabelEntry]) {
        stacks.append(UInt64(labels.count))
        for l in labels {
            stacks.append(stringRef(l.key))
            switch l.value {
            case .string(let v):
                stacks.append(0)
                stacks.append(stringRef(v))
            case .number(let n, let unit):
                stacks.append(1)
                stacks.append(ZigZag.encode(n))
                stacks.append(stringRef(unit))
            }
        }
    }

    /// Writes the window and returns the payload bytes. `baseState` is the state the base
    /// tables were computed for (its rows are `base.stacks`).
    mutating func write(header: WindowHeader, info: StreamInfo?, state: StreamState, baseState: StreamState, columns: Int) -> [UInt8] {
        // One merge walk over the two sorted states: removed base rows, changed base rows,
        // and stacks new to the base.
        var removed: [Int] = []
        // Rows with values, flat: their reference, their change, their base values (new
        // stacks have none) and their new values, `columns` each.
        var changedRefs: [Int] = []
        var deltas: [Int64] = [], olds: [Int64] = [], news: [Int64] = []
        var hasOld: [Bool] = []
        var newRows: [Int] = []
        let a = baseState.ids, b = state.ids
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                removed.append(i)
                i += 1
            } else if i == a.count || b[j] < a[i] {
                newRows.append(j)
                j += 1
            } else {
                var same = true
                for c in 0..<columns where baseState.cells[i * columns + c] != state.cells[j * columns + c] { same = false; break }
                if !same {
                    changedRefs.append(i)
                    hasOld.append(true)
                    for c in 0..<columns {
                        let o = baseState.cells[i * columns + c], v = state.cells[j * columns + c]
                        deltas.append(v &- o)
                        olds.append(o)
                        news.append(v)
                    }
                }
                i += 1
                j += 1
            }
        }
        // Stacks new to the base, ordered by their frames so each can borrow its
        // predecessor's prefix.
        var keyed = newRows.map { (id: b[$0], frames: d.stacks[b[$0]]!.locations) }
        keyed.sort { x, y in x.frames == y.frames ? x.id < y.id : x.frames.lexicographicallyPrecedes(y.frames) }
        let newIDs = keyed.map(\.id)
        // Context coding pays when the new frames are many against the base's frames (what
        // building the index costs both ends).
        let newFrames = keyed.reduce(0) { $0 + $1.frames.count }
        let useContext: Bool
        switch policy {
        case .never: useContext = false
        case .always: useContext = true
        case .auto: useContext = base.frameCount > 0 && newFrames * 16 >= base.frameCount
        }
        var children = ChildIndex.empty
        if useContext {
            if context == nil { context = (try? ChildIndex(stacks: base.stacks, dictionary: d)) ?? .empty }
            children = context!
        }
        // Pass 1: pick each new stack's template and define what its own frames need
        // (locations, functions, their strings), in frame order.
        var plans: [(ref: Int, keep: Int, labels: [LabelEntry])] = []
        plans.reserveCapacity(newIDs.count)
        for (i, id) in newIDs.enumerated() {
            let s = d.stacks[id]!
            // The best template: the base stack next to it in frame order, or the previous new stack.
            var bestRef = -1, bestKeep = 0
            var bestLabels: [LabelEntry] = []
            let order = base.prefixOrder
            if !order.isEmpty {
                let lo = partitionPoint(order.count) { d.stacks[order[$0]]!.locations.lexicographicallyPrecedes(s.locations) }
                for pos in [lo - 1, lo] where pos >= 0 && pos < order.count {
                    let t = d.stacks[order[pos]]!
                    let k = commonPrefix(t.locations, s.locations)
                    if k > bestKeep || (k == bestKeep && k > 0 && t.labels == s.labels && bestLabels != s.labels) {
                        bestRef = base.stackRank(order[pos])!; bestKeep = k; bestLabels = t.labels
                    }
                }
            }
            if i > 0 {
                let t = d.stacks[newIDs[i - 1]]!
                let k = commonPrefix(t.locations, s.locations)
                if k > bestKeep {
                    bestRef = base.stacks.count + i - 1; bestKeep = k; bestLabels = t.labels
                }
            }
            plans.append((bestRef, bestKeep, bestLabels))
            for l in s.locations[bestKeep...] { _ = locationRef(l) }
        }
        // Pass 2: the stacks themselves; label strings are defined here, after every string
        // `functions` names, so those get fresh codes.
        for (i, id) in newIDs.enumerated() {
            let s = d.stacks[id]!
            let (bestRef, bestKeep, bestLabels) = plans[i]
            salt(id, kind: .stack, index: i)
            // Head: (n << 3) | (same labels << 2) | template kind (0 none, 1 previous, 2 explicit).
            let n = UInt64(s.locations.count - bestKeep)
            // Kind 1 only for the stack defined just before (i > 0): for i = 0, count - 1 is the
            // last base rank, which needs an explicit reference.
            let kind: UInt64 = bestKeep == 0 ? 0 : (i > 0 && bestRef == base.stacks.count + i - 1 ? 1 : 2)
            let sameLabels = bestKeep > 0 && bestLabels == s.labels
            stacks.append(n << 3 | (sameLabels ? 4 : 0) | kind)
            if kind == 2 { stacks.append(UInt64(bestRef)) }
            if kind != 0 { stacks.append(UInt64(bestKeep)) }
            for k in bestKeep..<s.locations.count {
                let l = s.locations[k]
                let r = locationRef(l)
                // Locations are defined in order of first reference from `stacks`.
                if r == UInt64(base.locations.count + freshLocations) {
                    stacks.append(0)
                    freshLocations += 1
                } else if useContext {
                    let kids = children.children(of: k == 0 ? nil : s.locations[k - 1])
                    if let j = kids.sortedIndex(of: l) { stacks.append(2 * UInt64(j) + 1) } else { stacks.append(2 * r + 2) }
                } else {
                    stacks.append(r + 1)
                }
            }
            if !sameLabels { labels(s.labels) }
            // Every stack defined has a row of values, after the changed base stacks.
            let row = state.row(of: id)!
            changedRefs.append(base.stacks.count + i)
            hasOld.append(false)
            for c in 0..<columns {
                let v = state.cells[row * columns + c]
                deltas.append(v)
                olds.append(0)
                news.append(v)
            }
        }

        // Per column, choose the predictor (none, 1, 2 or 3) that makes the values smallest.
        // One row at a time is copied into reused buffers: no allocation per row.
        let rows = changedRefs.count
        var predictors = [UInt32](repeating: 0, count: columns)
        var residuals = deltas
        if columns > 1 && rows > 0 {
            var delta = [Int64](repeating: 0, count: columns), old = delta, new = delta
            var column = [Int64](repeating: 0, count: rows)
            for c in 1..<columns {
                var best = 0
                for i in 0..<rows { best += Prediction.varintSize(deltas[i * columns + c]) }
                for p: UInt32 in c >= 3 ? [1, 2, 3] : (c == 2 ? [1, 3] : [1]) {
                    var refs = Prediction.References(columns: columns)
                    var cost = 0
                    for i in 0..<rows {
                        for k in 0..<columns {
                            delta[k] = deltas[i * columns + k]
                            old[k] = olds[i * columns + k]
                            new[k] = news[i * columns + k]
                        }
                        let guess = Prediction.predict(c, predictor: p, delta: delta, refs: refs, base: hasOld[i] ? old : nil, new: new)
                        column[i] = delta[c] &- guess
                        cost += Prediction.varintSize(column[i])
                        refs.update(newValues: new)
                    }
                    if cost < best {
                        best = cost
                        predictors[c] = p
                        for i in 0..<rows { residuals[i * columns + c] = column[i] }
                    }
                }
            }
        }

        var w = Flamewire_Wire_Window()
        w.stream = header.stream
        w.seq = header.seq
        w.baseSeq = header.baseSeq
        w.epoch = header.epoch
        w.timeNanos = header.timeNanos
        w.durationNanos = header.durationNanos
        if let info { w.info = WireInfo.message(info) }
        w.strings = strings
        if usePrefixes { w.stringPrefixes = stringPrefixes }
        w.functions = functions
        w.locations = locations
        w.stacks = stacks
        w.salts = salts
        w.changed = gaps(Array(changedRefs.prefix { $0 < base.stacks.count }))
        if columns > 1 {
            // Presence bits pay when many values are zero.
            var zeros = 0
            for v in residuals where v == 0 { zeros += 1 }
            if zeros * 8 > rows * columns {
                var masks = [UInt8](repeating: 0, count: (rows * columns + 7) / 8)
                var present: [Int64] = []
                present.reserveCapacity(residuals.count - zeros)
                for (bit, v) in residuals.enumerated() where v != 0 {
                    masks[bit >> 3] |= 1 << UInt8(bit & 7)
                    present.append(v)
                }
                w.valueMasks = Data(masks)
                w.values = present
            } else {
                w.values = residuals
            }
        } else {
            w.values = residuals
        }
        if predictors.contains(where: { $0 != 0 }) { w.predictors = predictors }
        w.frameContext = useContext
        w.removed = gaps(removed)
        // Serialising a message we built cannot fail.
        return (try? w.serializedBytes()) ?? []
    }
}

/// Whether a window codes new frames against the base's calling context (SPEC.md §5.3).
public enum FrameContext: Sendable {
    /// When the window's new frames are many against the base's (1/16 of them or more).
    case auto
    case always
    case never
}

/// Bytes at the start of both strings, cut back to a character boundary.
func sharedStart(_ a: String, _ b: String) -> Int {
    var n = 0
    var lastBoundary = 0
    var ia = a.utf8.makeIterator(), ib = b.utf8.makeIterator()
    while let x = ia.next(), let y = ib.next(), x == y {
        n += 1
        // A byte that is not a UTF-8 continuation byte starts a character; the shared
        // part may end right before the next start.
        if x & 0xC0 != 0x80 { lastBoundary = n - 1 }
    }
    // If the next bytes of b begin a new character (or b ends), all n bytes are whole characters.
    let next = Array(b.utf8.dropFirst(n).prefix(1))
    if next.isEmpty || next[0] & 0xC0 != 0x80 { return n }
    return lastBoundary
}

func commonPrefix(_ a: [EntryID], _ b: [EntryID]) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n, a[i] == b[i] { i += 1 }
    return i
}

/// Ascending integers as gaps: the first as is, then each minus its predecessor minus one.
func gaps(_ ascending: [Int]) -> [UInt64] {
    var out: [UInt64] = []
    out.reserveCapacity(ascending.count)
    var prev = -1
    for x in ascending {
        out.append(UInt64(x - prev - 1))
        prev = x
    }
    return out
}
