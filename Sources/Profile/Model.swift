/// The profile data model shared by every FlameWire module.
///
/// It follows the pprof data model (google/pprof `profile.proto`) but replaces numeric ids
/// with array indices, so that a decoded `Profile` is always internally consistent: every
/// reference points at an element that exists. Decoders validate ids once and translate
/// them; everything downstream (merge, flame graphs, the wire codec) can then index
/// without checks.

/// The kind and unit of one value column, for example `alloc_space`/`bytes`.
public struct ValueType: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var unit: String

    public init(type: String, unit: String) {
        self.type = type
        self.unit = unit
    }

    public var description: String { "\(type)/\(unit)" }
}

/// A binary or shared object that code was loaded from.
public struct Mapping: Hashable, Sendable {
    public var start: UInt64
    public var limit: UInt64
    public var offset: UInt64
    public var file: String
    public var buildID: String
    public var hasFunctions: Bool
    public var hasFilenames: Bool
    public var hasLineNumbers: Bool
    public var hasInlineFrames: Bool

    public init(
        start: UInt64 = 0, limit: UInt64 = 0, offset: UInt64 = 0, file: String = "", buildID: String = "",
        hasFunctions: Bool = false, hasFilenames: Bool = false, hasLineNumbers: Bool = false,
        hasInlineFrames: Bool = false
    ) {
        self.start = start
        self.limit = limit
        self.offset = offset
        self.file = file
        self.buildID = buildID
        self.hasFunctions = hasFunctions
        self.hasFilenames = hasFilenames
        self.hasLineNumbers = hasLineNumbers
        self.hasInlineFrames = hasInlineFrames
    }
}

/// A source-level function.
public struct Function: Hashable, Sendable {
    /// Human-readable name, for example `main.(*server).handle`.
    public var name: String
    /// Name as the system knows it (mangled), often equal to `name`.
    public var systemName: String
    public var filename: String
    public var startLine: Int64

    public init(name: String, systemName: String = "", filename: String = "", startLine: Int64 = 0) {
        self.name = name
        self.systemName = systemName
        self.filename = filename
        self.startLine = startLine
    }
}

/// One source line of a location: a function (index into `Profile.functions`) and a line.
public struct Line: Hashable, Sendable {
    public var function: Int
    public var line: Int64
    public var column: Int64

    public init(function: Int, line: Int64 = 0, column: Int64 = 0) {
        self.function = function
        self.line = line
        self.column = column
    }
}

/// A program counter with the source lines it stands for.
///
/// When functions were inlined, one location has several lines: `lines[0]` is the
/// innermost (the inlined callee) and the last line is the caller it was inlined into,
/// as in pprof. Every line is a frame of its own in a stack.
public struct Location: Hashable, Sendable {
    /// Index into `Profile.mappings`, or nil when the location has no mapping.
    public var mapping: Int?
    public var address: UInt64
    public var lines: [Line]
    public var isFolded: Bool

    public init(mapping: Int? = nil, address: UInt64 = 0, lines: [Line], isFolded: Bool = false) {
        self.mapping = mapping
        self.address = address
        self.lines = lines
        self.isFolded = isFolded
    }
}

/// A label on a sample: either a string value or a number with an optional unit.
public struct Label: Hashable, Sendable, Comparable {
    public enum Value: Hashable, Sendable {
        case string(String)
        case number(Int64, unit: String)
    }

    public var key: String
    public var value: Value

    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }

    public init(key: String, string: String) { self.init(key: key, value: .string(string)) }
    public init(key: String, number: Int64, unit: String = "") { self.init(key: key, value: .number(number, unit: unit)) }

    public static func < (a: Label, b: Label) -> Bool {
        if a.key != b.key { return a.key < b.key }
        switch (a.value, b.value) {
        case (.string(let x), .string(let y)): return x < y
        case (.string, .number): return true
        case (.number, .string): return false
        case (.number(let x, let ux), .number(let y, let uy)): return x != y ? x < y : ux < uy
        }
    }
}

/// One measured stack: location indices leaf first, one value per sample type.
public struct Sample: Hashable, Sendable {
    /// Indices into `Profile.locations`; `locations[0]` is the leaf (the running code).
    public var locations: [Int]
    /// One value per `Profile.sampleTypes`, in the same order.
    public var values: [Int64]
    public var labels: [Label]

    public init(locations: [Int], values: [Int64], labels: [Label] = []) {
        self.locations = locations
        self.values = values
        self.labels = labels
    }
}

/// A complete profile: value columns, the code it refers to, and its samples.
public struct Profile: Sendable, Equatable {
    public var sampleTypes: [ValueType]
    /// Type name of the column a viewer shows by default (pprof `default_sample_type`).
    public var defaultSampleType: String?
    public var periodType: ValueType?
    public var period: Int64
    /// Start of the profile, nanoseconds since the Unix epoch (0 when unknown).
    public var timeNanos: Int64
    public var durationNanos: Int64
    public var mappings: [Mapping]
    public var functions: [Function]
    public var locations: [Location]
    public var samples: [Sample]
    public var comments: [String]
    public var dropFrames: String
    public var keepFrames: String

    public init(
        sampleTypes: [ValueType], defaultSampleType: String? = nil, periodType: ValueType? = nil,
        period: Int64 = 0, timeNanos: Int64 = 0, durationNanos: Int64 = 0, mappings: [Mapping] = [],
        functions: [Function] = [], locations: [Location] = [], samples: [Sample] = [],
        comments: [String] = [], dropFrames: String = "", keepFrames: String = ""
    ) {
        self.sampleTypes = sampleTypes
        self.defaultSampleType = defaultSampleType
        self.periodType = periodType
        self.period = period
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.mappings = mappings
        self.functions = functions
        self.locations = locations
        self.samples = samples
        self.comments = comments
        self.dropFrames = dropFrames
        self.keepFrames = keepFrames
    }
}
