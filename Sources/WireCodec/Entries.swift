import Profile

/// A function as the wire knows it: strings by id.
public struct FunctionEntry: Hashable, Sendable {
    public var name: EntryID
    public var systemName: EntryID
    public var filename: EntryID
    public var startLine: Int64

    public init(name: EntryID, systemName: EntryID, filename: EntryID, startLine: Int64) {
        (self.name, self.systemName, self.filename, self.startLine) = (name, systemName, filename, startLine)
    }
}

/// One line of a location: a function by id and a line number.
public struct LineEntry: Hashable, Sendable {
    public var function: EntryID
    public var line: Int64

    public init(function: EntryID, line: Int64) { (self.function, self.line) = (function, line) }
}

/// A location: its lines, innermost first, and its address (kept only for locations
/// without lines, which a viewer shows as an address).
public struct LocationEntry: Hashable, Sendable {
    public var lines: [LineEntry]
    public var address: UInt64

    public init(lines: [LineEntry], address: UInt64) { (self.lines, self.address) = (lines, address) }
}

/// A sample label; string values and units by id.
public struct LabelEntry: Hashable, Sendable, Comparable {
    public enum Value: Hashable, Sendable {
        case string(EntryID)
        case number(Int64, unit: EntryID)
    }

    public var key: EntryID
    public var value: Value

    public init(key: EntryID, value: Value) { (self.key, self.value) = (key, value) }

    public static func < (a: LabelEntry, b: LabelEntry) -> Bool {
        if a.key != b.key { return a.key < b.key }
        switch (a.value, b.value) {
        case (.string(let x), .string(let y)): return x < y
        case (.string, .number): return true
        case (.number, .string): return false
        case (.number(let x, let u), .number(let y, let v)): return x != y ? x < y : u < v
        }
    }
}

/// A stack: location ids from the root (outermost caller) to the leaf, and labels sorted
/// by (key, value) — the identity of a sample within a stream.
public struct StackEntry: Hashable, Sendable {
    public var locations: [EntryID]
    public var labels: [LabelEntry]

    public init(locations: [EntryID], labels: [LabelEntry]) { (self.locations, self.labels) = (locations, labels) }
}

extension ContentHasher {
    public func stringID(_ s: String, salt: UInt64 = 0) -> EntryID {
        id({ c in c.kind(.string); c.string(s) }, salt: salt)
    }

    public func functionID(_ f: FunctionEntry, salt: UInt64 = 0) -> EntryID {
        id({ c in
            c.kind(.function); c.ref(f.name); c.ref(f.systemName); c.ref(f.filename); c.signed(f.startLine)
        }, salt: salt)
    }

    public func locationID(_ l: LocationEntry, salt: UInt64 = 0) -> EntryID {
        id({ c in
            c.kind(.location)
            c.varint(UInt64(l.lines.count))
            for line in l.lines { c.ref(line.function); c.signed(line.line) }
            c.varint(l.address)
        }, salt: salt)
    }

    public func stackID(_ s: StackEntry, salt: UInt64 = 0) -> EntryID {
        id({ c in
            c.kind(.stack)
            c.varint(UInt64(s.locations.count))
            for l in s.locations { c.ref(l) }
            c.varint(UInt64(s.labels.count))
            for label in s.labels {
                c.ref(label.key)
                switch label.value {
                case .string(let v): c.varint(0); c.ref(v)
                case .number(let n, let unit): c.varint(1); c.signed(n); c.ref(unit)
                }
            }
        }, salt: salt)
    }
}
