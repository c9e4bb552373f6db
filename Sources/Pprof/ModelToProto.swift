#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Profile

// Converting the `Profile` model into a pprof message: the inverse of ProtoToModel.swift.

/// Interns strings into a pprof string table.
struct StringTableBuilder {
    private(set) var strings: [String] = [""]
    private var indices: [String: Int64] = ["": 0]

    /// The index of `s`, adding it on first use.
    mutating func index(_ s: String) -> Int64 {
        if let i = indices[s] { return i }
        let i = Int64(strings.count)
        strings.append(s)
        indices[s] = i
        return i
    }
}

extension PBProfile {
    /// The pprof message for `profile`; ids are model indices plus one.
    init(_ profile: Profile) {
        self.init()
        var st = StringTableBuilder()
        func valueType(_ v: ValueType) -> PBValueType {
            var t = PBValueType()
            t.type = st.index(v.type)
            t.unit = st.index(v.unit)
            return t
        }
        sampleType = profile.sampleTypes.map(valueType)
        sample = profile.samples.map { s in
            var out = PBSample()
            out.locationID = s.locations.map { UInt64(truncatingIfNeeded: $0) &+ 1 }
            out.value = s.values
            out.label = s.labels.map { l in
                var label = PBLabel()
                label.key = st.index(l.key)
                switch l.value {
                case .string(let v):
                    label.str = st.index(v)
                case .number(let n, let unit):
                    label.num = n
                    label.numUnit = st.index(unit)
                }
                return label
            }
            return out
        }
        mapping = profile.mappings.enumerated().map { i, m in
            var out = PBMapping()
            out.id = UInt64(i) + 1
            out.memoryStart = m.start
            out.memoryLimit = m.limit
            out.fileOffset = m.offset
            out.filename = st.index(m.file)
            out.buildID = st.index(m.buildID)
            out.hasFunctions_p = m.hasFunctions
            out.hasFilenames_p = m.hasFilenames
            out.hasLineNumbers_p = m.hasLineNumbers
            out.hasInlineFrames_p = m.hasInlineFrames
            return out
        }
        location = profile.locations.enumerated().map { i, l in
            var out = PBLocation()
            out.id = UInt64(i) + 1
            out.mappingID = l.mapping.map { UInt64(truncatingIfNeeded: $0) &+ 1 } ?? 0
            out.address = l.address
            out.isFolded = l.isFolded
            out.line = l.lines.map { line in
                var pl = PBLine()
                pl.functionID = UInt64(truncatingIfNeeded: line.function) &+ 1
                pl.line = line.line
                pl.column = line.column
                return pl
            }
            return out
        }
        function = profile.functions.enumerated().map { i, f in
            var out = PBFunction()
            out.id = UInt64(i) + 1
            out.name = st.index(f.name)
            out.systemName = st.index(f.systemName)
            out.filename = st.index(f.filename)
            out.startLine = f.startLine
            return out
        }
        if let p = profile.periodType { periodType = valueType(p) }
        period = profile.period
        timeNanos = profile.timeNanos
        durationNanos = profile.durationNanos
        comment = profile.comments.map { st.index($0) }
        dropFrames = st.index(profile.dropFrames)
        keepFrames = st.index(profile.keepFrames)
        if let d = profile.defaultSampleType { defaultSampleType = st.index(d) }
        stringTable = st.strings.map { Data($0.utf8) }
    }
}
