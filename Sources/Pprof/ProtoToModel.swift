import Profile

/// Converting a decoded pprof message into the index-based `Profile` model.
///
/// This is where every reference in the file is checked: string indices, ids, value
/// counts, stack depth. After it, the model is internally consistent and the rest of
/// FlameWire indexes into it without checks.
extension PBProfile {
    /// The model of this message, or the first problem found in it.
    func model(maxStackDepth: Int) throws(PprofError) -> Profile {
        let strings = try StringTable(stringTable)

        var sampleTypes: [ValueType] = []
        sampleTypes.reserveCapacity(sampleType.count)
        for (i, t) in sampleType.enumerated() {
            sampleTypes.append(try strings.valueType(t, "sample type \(i)"))
        }

        let mappings = try convertMappings(strings)
        let functions = try convertFunctions(strings)
        let (locations, framesPerLocation) = try convertLocations(mappings: mappings.index, functions: functions.index)
        let samples = try convertSamples(
            strings, locations: locations.index, framesPerLocation: framesPerLocation,
            valueCount: sampleTypes.count, maxStackDepth: maxStackDepth)

        var comments: [String] = []
        comments.reserveCapacity(comment.count)
        for (i, c) in comment.enumerated() { comments.append(try strings.string(c, "comment \(i)")) }
        let defaultType = try strings.string(defaultSampleType, "default sample type")

        return Profile(
            sampleTypes: sampleTypes,
            defaultSampleType: defaultType.isEmpty ? nil : defaultType,
            periodType: hasPeriodType ? try strings.valueType(periodType, "period type") : nil,
            period: period,
            timeNanos: timeNanos,
            durationNanos: durationNanos,
            mappings: mappings.models,
            functions: functions.models,
            locations: locations.models,
            samples: samples,
            comments: comments,
            dropFrames: try strings.string(dropFrames, "drop_frames"),
            keepFrames: try strings.string(keepFrames, "keep_frames"))
    }

    private func convertMappings(_ strings: StringTable) throws(PprofError) -> (models: [Mapping], index: IDIndex) {
        let index = try IDIndex(mapping.lazy.map(\.id), table: .mapping)
        var models: [Mapping] = []
        models.reserveCapacity(mapping.count)
        for m in mapping {
            models.append(Mapping(
                start: m.memoryStart, limit: m.memoryLimit, offset: m.fileOffset,
                file: try strings.string(m.filename, "mapping \(m.id) filename"),
                buildID: try strings.string(m.buildID, "mapping \(m.id) build id"),
                hasFunctions: m.hasFunctions_p, hasFilenames: m.hasFilenames_p,
                hasLineNumbers: m.hasLineNumbers_p, hasInlineFrames: m.hasInlineFrames_p))
        }
        return (models, index)
    }

    private func convertFunctions(_ strings: StringTable) throws(PprofError) -> (models: [Function], index: IDIndex) {
        let index = try IDIndex(function.lazy.map(\.id), table: .function)
        var models: [Function] = []
        models.reserveCapacity(function.count)
        for f in function {
            models.append(Function(
                name: try strings.string(f.name, "function \(f.id) name"),
                systemName: try strings.string(f.systemName, "function \(f.id) system name"),
                filename: try strings.string(f.filename, "function \(f.id) filename"),
                startLine: f.startLine))
        }
        return (models, index)
    }

    /// The locations, and for each the number of frames it adds to a stack.
    private func convertLocations(mappings: IDIndex, functions: IDIndex) throws(PprofError)
        -> (locations: (models: [Location], index: IDIndex), framesPerLocation: [Int])
    {
        let index = try IDIndex(location.lazy.map(\.id), table: .location)
        var models: [Location] = []
        models.reserveCapacity(location.count)
        var frames: [Int] = []
        frames.reserveCapacity(location.count)
        for l in location {
            if l.line.isEmpty && l.address == 0 { throw .emptyLocation(id: l.id) }
            var mappingPosition: Int?
            if l.mappingID != 0 {
                guard let p = mappings.position(of: l.mappingID) else {
                    throw .missingReference(referrer: "location \(l.id)", table: .mapping, id: l.mappingID)
                }
                mappingPosition = p
            }
            var lines: [Line] = []
            lines.reserveCapacity(l.line.count)
            for (n, line) in l.line.enumerated() {
                guard let f = functions.position(of: line.functionID) else {
                    throw .missingReference(referrer: "location \(l.id) line \(n + 1)", table: .function, id: line.functionID)
                }
                lines.append(Line(function: f, line: line.line, column: line.column))
            }
            frames.append(max(lines.count, 1))
            models.append(Location(mapping: mappingPosition, address: l.address, lines: lines, isFolded: l.isFolded))
        }
        return ((models, index), frames)
    }

    private func convertSamples(
        _ strings: StringTable, locations: IDIndex, framesPerLocation: [Int], valueCount: Int, maxStackDepth: Int
    ) throws(PprofError) -> [Sample] {
        var samples: [Sample] = []
        samples.reserveCapacity(sample.count)
        for (i, s) in sample.enumerated() {
            guard s.value.count == valueCount else {
                throw .valueCountMismatch(sample: i, values: s.value.count, sampleTypes: valueCount)
            }
            var stack: [Int] = []
            stack.reserveCapacity(s.locationID.count)
            var depth = 0
            for id in s.locationID {
                guard let p = locations.position(of: id) else {
                    throw .missingReference(referrer: "sample \(i)", table: .location, id: id)
                }
                depth += framesPerLocation[p]
                if depth > maxStackDepth { throw .stackTooDeep(sample: i, frames: depth, limit: maxStackDepth) }
                stack.append(p)
            }
            var labels: [Label] = []
            if !s.label.isEmpty {
                labels.reserveCapacity(s.label.count)
                for (n, l) in s.label.enumerated() {
                    let key = try strings.string(l.key, "sample \(i) label \(n + 1) key")
                    if l.str != 0 {
                        labels.append(Label(key: key, string: try strings.string(l.str, "sample \(i) label \(n + 1) value")))
                    } else {
                        let unit = try strings.string(l.numUnit, "sample \(i) label \(n + 1) unit")
                        labels.append(Label(key: key, number: l.num, unit: unit))
                    }
                }
            }
            samples.append(Sample(locations: stack, values: s.value, labels: labels))
        }
        return samples
    }
}

extension StringTable {
    /// A value type whose type and unit indices are checked; `field` names it in errors.
    func valueType(_ t: PBValueType, _ field: @autoclosure () -> String) throws(PprofError) -> ValueType {
        ValueType(
            type: try string(t.type, "\(field()) type"),
            unit: try string(t.unit, "\(field()) unit"))
    }
}
