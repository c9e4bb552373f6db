import WireLimits
import SwiftProtobuf

/// A cursor over one packed varint stream, with bounds checks that name the field.
struct PackedReader {
    let field: String
    let values: [UInt64]
    var pos = 0

    init(_ field: String, _ values: [UInt64]) {
        self.field = field
        self.values = values
    }

    var atEnd: Bool { pos == values.count }
    var remaining: Int { values.count - pos }

    mutating func next() throws(WireError) -> UInt64 {
        guard pos < values.count else { throw .truncatedStream(field: field) }
        defer { pos += 1 }
        return values[pos]
    }
}

/// Decodes a window's content against its base (SPEC.md §5), defining new entries in the
/// dictionary and returning the new state.
struct WindowReader {
    let base: BaseTables
    var d: WireDictionary
    var newStrings: [EntryID] = []
    var newFunctions: [EntryID] = []
    var newLocations: [EntryID] = []
    var newStacks: [EntryID] = []
    var salts: [UInt64: UInt64] = [:]
    /// After `read`: the stacks the window removed, changed or defined, ascending, without
    /// repeats. The new state differs from its base in these rows only.
    var touched: [EntryID] = []

    /// The base's calling context, for windows with `frame_context` (SPEC.md §5.3).
    let context: ChildIndex

    init(dictionary: WireDictionary, base: BaseTables, context: ChildIndex = .empty) {
        d = dictionary
        self.base = base
        self.context = context
    }

    func stringID(_ r: UInt64, _ field: String) throws(WireError) -> EntryID {
        if r == 0 { return d.emptyString }
        let i = r - 1
        if i < UInt64(base.strings.count) { return base.strings[Int(i)] }
        let j = i - UInt64(base.strings.count)
        guard j < UInt64(newStrings.count) else { throw .badReference(field: field, ref: r, limit: 1 + base.strings.count + newStrings.count) }
        return newStrings[Int(j)]
    }

    func ref(_ r: UInt64, base table: [EntryID], new: [EntryID], _ field: String) throws(WireError) -> EntryID {
        if r < UInt64(table.count) { return table[Int(r)] }
        let j = r - UInt64(table.count)
        guard j < UInt64(new.count) else { throw .badReference(field: field, ref: r, limit: table.count + new.count) }
        return new[Int(j)]
    }

    /// A reference with a fresh code (SPEC.md §5.1): 0 names the next definition of this
    /// window not yet named by a fresh code; v ≥ 1 is the reference v − 1.
    func fresh(_ v: UInt64, base table: [EntryID], new: [EntryID], next: inout Int, _ field: String) throws(WireError) -> EntryID {
        if v != 0 { return try ref(v - 1, base: table, new: new, field) }
        guard next < new.count else { throw .badReference(field: field + " (fresh)", ref: UInt64(next), limit: new.count) }
        next += 1
        return new[next - 1]
    }

    func salt(_ kind: EntryKind, _ index: Int) -> UInt64 {
        salts[UInt64(index) << 2 | UInt64(kind.rawValue - 1)] ?? 0
    }

    mutating func read(_ w: Flamewire_Wire_Window, baseState: StreamState, columns: Int) throws(WireError) -> StreamState {
        var sr = PackedReader("salts", w.salts)
        while !sr.atEnd {
            let code = try sr.next()
            salts[code] = try sr.next()
        }
        guard w.stringPrefixes.isEmpty || w.stringPrefixes.count == 2 * w.strings.count else {
            throw .malformedPayload("string_prefixes has \(w.stringPrefixes.count) values for \(w.strings.count) strings")
        }
        for (i, s) in w.strings.enumerated() {
            var text = s
            if !w.stringPrefixes.isEmpty, w.stringPrefixes[2 * i] != 0 {
                let source = d.strings[try stringID(w.stringPrefixes[2 * i], "string_prefixes")] ?? ""
                let shared = w.stringPrefixes[2 * i + 1]
                let utf8 = source.utf8
                guard shared <= UInt64(utf8.count), let head = String(utf8.prefix(Int(shared))) else {
                    throw .malformedPayload("string \(i) shares \(shared) bytes of a \(utf8.count)-byte string")
                }
                text = head + s
            }
            newStrings.append(try d.define(string: text, salt: salt(.string, i)))
        }

        var fr = PackedReader("functions", w.functions)
        var freshStrings = 0
        // String refs in `functions` are fresh-coded: 0 = the next string definition not yet
        // named by a fresh code, v = string ref v - 1 (SPEC.md §5.1).
        func string(_ v: UInt64, _ field: String) throws(WireError) -> EntryID {
            if v != 0 { return try stringID(v - 1, field) }
            guard freshStrings < newStrings.count else {
                throw .badReference(field: field + " (fresh)", ref: UInt64(freshStrings), limit: newStrings.count)
            }
            freshStrings += 1
            return newStrings[freshStrings - 1]
        }
        while !fr.atEnd {
            guard fr.remaining >= 4 else { throw .truncatedStream(field: "functions") }
            let name = try string(try fr.next(), "functions.name")
            let systemCode = try fr.next()
            let system = systemCode == 0 ? name : try string(systemCode - 1, "functions.system_name")
            let f = FunctionEntry(name: name, systemName: system,
                                  filename: try string(try fr.next(), "functions.filename"), startLine: ZigZag.decode(try fr.next()))
            newFunctions.append(try d.define(function: f, salt: salt(.function, newFunctions.count)))
        }

        var lr = PackedReader("locations", w.locations)
        var freshFunctions = 0
        while !lr.atEnd {
            // Head: (function code << 1) | 1 for one line without address, else
            // (lines << 2) | (has_address << 1) (SPEC.md §5.2).
            let head = try lr.next()
            var lines: [LineEntry] = []
            var address: UInt64 = 0
            func line(_ code: UInt64) throws(WireError) -> LineEntry {
                let f = try fresh(code, base: base.functions, new: newFunctions, next: &freshFunctions, "locations.function")
                guard let start = d.functions[f]?.startLine else { throw .missingEntry(kind: .function, id: f) }
                return LineEntry(function: f, line: ZigZag.decode(try lr.next()) &+ start)
            }
            if head & 1 == 1 {
                lines = [try line(head >> 1)]
            } else {
                let hasAddress = head & 2 != 0
                let n64 = head >> 2
                guard n64 <= UInt64(lr.remaining / 2) else { throw .truncatedStream(field: "locations") }
                lines.reserveCapacity(Int(n64))
                for _ in 0..<Int(n64) { lines.append(try line(try lr.next())) }
                if hasAddress { address = try lr.next() }
            }
            let l = LocationEntry(lines: lines, address: address)
            newLocations.append(try d.define(location: l, salt: salt(.location, newLocations.count)))
        }

        var kr = PackedReader("stacks", w.stacks)
        var totalFrames = 0
        var freshLocations = 0
        while !kr.atEnd {
            let head = try kr.next()
            let kind = head & 3, sameLabels = head & 4 != 0
            let n64 = head >> 3
            var locations: [EntryID] = []
            var templateLabels: [LabelEntry]?
            switch kind {
            case 0:
                guard !sameLabels else { throw .malformedPayload("stack \(newStacks.count) takes its template's labels but has no template") }
            case 1, 2:
                let tid: EntryID
                if kind == 1 {
                    guard let last = newStacks.last else { throw .malformedPayload("stack 0 names a previous stack") }
                    tid = last
                } else {
                    tid = try ref(try kr.next(), base: base.stacks, new: newStacks, "stacks.template")
                }
                guard let t = d.stacks[tid] else { throw .missingEntry(kind: .stack, id: tid) }
                let keep = try kr.next()
                guard keep <= UInt64(t.locations.count) else {
                    throw .malformedPayload("stack \(newStacks.count) keeps \(keep) frames of a template with \(t.locations.count)")
                }
                locations.append(contentsOf: t.locations[0..<Int(keep)])
                templateLabels = t.labels
            default:
                throw .malformedPayload("stack \(newStacks.count) has unknown template kind 3")
            }
            guard n64 <= UInt64(kr.remaining) else { throw .truncatedStream(field: "stacks") }
            for _ in 0..<Int(n64) {
                let v = try kr.next()
                if w.frameContext && v != 0 {
                    // Odd: child (v - 1) / 2 of the previous frame; even: reference v / 2 - 1.
                    if v & 1 == 1 {
                        let kids = context.children(of: locations.last)
                        let j = (v - 1) / 2
                        guard j < UInt64(kids.count) else { throw .badReference(field: "stacks.location (child)", ref: j, limit: kids.count) }
                        locations.append(kids[Int(j)])
                    } else {
                        locations.append(try ref(v / 2 - 1, base: base.locations, new: newLocations, "stacks.location"))
                    }
                } else {
                    locations.append(try fresh(v, base: base.locations, new: newLocations, next: &freshLocations, "stacks.location"))
                }
            }
            guard locations.count <= WireLimits.maxDepth else { throw .tooLarge(field: "stack depth", count: locations.count, limit: WireLimits.maxDepth) }
            // Templates copy frames, so a small window could expand into a huge one.
            totalFrames += locations.count
            guard totalFrames <= WireLimits.maxWindowFrames else {
                throw .tooLarge(field: "frames defined in one window", count: totalFrames, limit: WireLimits.maxWindowFrames)
            }
            var labels: [LabelEntry]
            if sameLabels {
                labels = templateLabels ?? []
            } else {
                let count = try kr.next()
                guard count <= UInt64(kr.remaining / 3) else { throw .truncatedStream(field: "stacks.labels") }
                labels = []
                for _ in 0..<count {
                    let key = try stringID(try kr.next(), "stacks.label.key")
                    switch try kr.next() {
                    case 0: labels.append(LabelEntry(key: key, value: .string(try stringID(try kr.next(), "stacks.label.value"))))
                    case 1:
                        let num = ZigZag.decode(try kr.next())
                        labels.append(LabelEntry(key: key, value: .number(num, unit: try stringID(try kr.next(), "stacks.label.unit"))))
                    case let tag: throw .malformedPayload("unknown label tag \(tag)")
                    }
                }
                labels.sort()
            }
            let s = StackEntry(locations: locations, labels: labels)
            newStacks.append(try d.define(stack: s, salt: salt(.stack, newStacks.count)))
        }

        // Apply removals, new stacks and changes to the base state. References name base
        // ranks (the base state's rows) and then the window's new stacks; `rowOf` maps each
        // to its row in the new state.
        let baseCount = base.stacks.count
        let stackLimit = baseCount + newStacks.count
        var kept = [Bool](repeating: true, count: baseCount)
        var prev = -1
        for g in w.removed {
            guard g < UInt64(baseCount) else { throw .badReference(field: "removed", ref: g, limit: baseCount) }
            let rank = prev + 1 + Int(g)
            guard rank < baseCount else { throw .badReference(field: "removed", ref: UInt64(rank), limit: baseCount) }
            kept[rank] = false
            touched.append(base.stacks[rank])
            prev = rank
        }
        // A new stack that a kept base row already holds shares that row; others (also one
        // that was just removed, or defined twice) get one zero row per distinct id.
        var freshRows: [(id: EntryID, ref: Int)] = []
        var sharing: [(ref: Int, rank: Int)] = []
        for (k, id) in newStacks.enumerated() {
            if let r = base.stackRank(id), kept[r] { sharing.append((baseCount + k, r)) } else { freshRows.append((id, baseCount + k)) }
        }
        freshRows.sort { $0.id != $1.id ? $0.id < $1.id : $0.ref < $1.ref }
        var freshCount = 0
        for (k, f) in freshRows.enumerated() where k == 0 || freshRows[k - 1].id != f.id { freshCount += 1 }
        let keptCount = kept.reduce(0) { $0 + ($1 ? 1 : 0) }
        // Bound the state before allocating a row per stack: stacks with no frames cost no
        // frames, so MAX_WINDOW_FRAMES alone does not bound their number.
        let (cells, overflow) = (keptCount + freshCount).multipliedReportingOverflow(by: max(columns, 1))
        guard !overflow, cells <= WireLimits.maxStateValues else {
            throw .tooLarge(field: "values in one state", count: overflow ? Int.max : cells, limit: WireLimits.maxStateValues)
        }
        // Merge kept base rows and fresh stacks by id; `rowOf` maps every stack ref (base
        // ranks, then definitions) to its row in the new state.
        var ids: [EntryID] = []
        var out: [Int64] = []
        ids.reserveCapacity(keptCount + freshCount)
        out.reserveCapacity(cells)
        var rowOf = [Int](repeating: -1, count: stackLimit)
        var bi = 0, fi = 0
        if keptCount == baseCount && freshRows.isEmpty && baseState.count == baseCount && baseState.columns == columns {
            // The same stacks as the base (most deltas): its rows as they are, copied once.
            ids = base.stacks
            out = baseState.cells
            for r in 0..<baseCount { rowOf[r] = r }
            bi = baseCount
        }
        while bi < baseCount || fi < freshRows.count {
            if bi < baseCount && !kept[bi] { bi += 1; continue }
            if fi == freshRows.count || (bi < baseCount && base.stacks[bi] < freshRows[fi].id) {
                rowOf[bi] = ids.count
                ids.append(base.stacks[bi])
                out.append(contentsOf: baseState.cells[bi * columns ..< (bi + 1) * columns])
                bi += 1
            } else {
                let id = freshRows[fi].id
                let row = ids.count
                ids.append(id)
                out.append(contentsOf: repeatElement(0, count: columns))
                while fi < freshRows.count && freshRows[fi].id == id { rowOf[freshRows[fi].ref] = row; fi += 1 }
            }
        }
        for s in sharing { rowOf[s.ref] = rowOf[s.rank] }

        // One row of values per changed base stack, then one per stack definition.
        let rowCount = w.changed.count + newStacks.count
        // Expand presence bits (if any) into one value per column per row.
        var values = w.values
        if !w.valueMasks.isEmpty {
            let bits = rowCount * columns
            guard w.valueMasks.count == (bits + 7) / 8 else { throw .valueCount(field: "value_masks", got: w.valueMasks.count, expected: (bits + 7) / 8) }
            let masks = [UInt8](w.valueMasks)
            var expanded = [Int64](repeating: 0, count: bits)
            var next = 0
            for b in 0..<bits where masks[b >> 3] & (1 << UInt8(b & 7)) != 0 {
                guard next < w.values.count else { throw .valueCount(field: "values", got: w.values.count, expected: next + 1) }
                expanded[b] = w.values[next]
                next += 1
            }
            guard next == w.values.count else { throw .trailingData(field: "values") }
            values = expanded
        }
        guard values.count == rowCount * columns else { throw .valueCount(field: "values", got: values.count, expected: rowCount * columns) }
        guard w.predictors.isEmpty || w.predictors.count == columns else {
            throw .valueCount(field: "predictors", got: w.predictors.count, expected: columns)
        }
        for (c, p) in w.predictors.enumerated() where p > 3 || (c == 0 && p != 0) || (p == 2 && c < 3) || (p == 3 && c < 2) {
            throw .malformedPayload("column \(c) has unknown predictor \(p)")
        }
        var refs = Prediction.References(columns: columns)
        var delta = [Int64](repeating: 0, count: columns)
        var v = [Int64](repeating: 0, count: columns)
        var oldRow = [Int64](repeating: 0, count: columns)
        prev = -1
        for i in 0..<rowCount {
            let r: Int
            if i < w.changed.count {
                let g = w.changed[i]
                guard g < UInt64(baseCount) else { throw .badReference(field: "changed", ref: g, limit: baseCount) }
                r = prev + 1 + Int(g)
                guard r < baseCount else { throw .badReference(field: "changed", ref: UInt64(r), limit: baseCount) }
                guard kept[r] else { throw .malformedPayload("stack \(r) is both removed and changed") }
                touched.append(base.stacks[r])
            } else {
                r = baseCount + i - w.changed.count
            }
            let row = rowOf[r]
            // The base row, for predictors that look at it (copied into one reused buffer).
            let hasOld = r < baseCount && !w.predictors.isEmpty
            if hasOld { for c in 0..<columns { oldRow[c] = baseState.cells[r * columns + c] } }
            for c in 0..<columns { v[c] = out[row * columns + c] }
            for c in 0..<columns {
                var d = values[i * columns + c]
                if c > 0, !w.predictors.isEmpty, w.predictors[c] != 0 {
                    d = d &+ Prediction.predict(c, predictor: w.predictors[c], delta: delta, refs: refs, base: hasOld ? oldRow : nil, new: v)
                }
                delta[c] = d
                v[c] = v[c] &+ d
            }
            refs.update(newValues: v)
            for c in 0..<columns { out[row * columns + c] = v[c] }
            prev = r
        }
        touched += newStacks
        touched.sort()
        var unique = 0
        for k in touched.indices where k == 0 || touched[k] != touched[unique - 1] {
            touched[unique] = touched[k]
            unique += 1
        }
        touched.removeLast(touched.count - unique)
        return StreamState(columns: columns, sortedIDs: ids, cells: out)
    }

}
