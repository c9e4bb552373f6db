import Testing
@testable import Profile

/// A small profile: functions a, b, c; locations 0=a, 1=b (with c inlined into b), 2=c.
func sampleProfile(values: [[Int64]] = [[10, 100], [5, 50], [1, 10]], types: [ValueType]? = nil) -> Profile {
    let functions = [Function(name: "main.a", filename: "a.go"), Function(name: "main.b", filename: "b.go"), Function(name: "main.c", filename: "c.go")]
    let locations = [
        Location(address: 0x10, lines: [Line(function: 0, line: 1)]),
        Location(address: 0x20, lines: [Line(function: 2, line: 7), Line(function: 1, line: 3)]),  // c inlined into b
        Location(address: 0x30, lines: [Line(function: 2, line: 9)]),
    ]
    let samples = [
        Sample(locations: [1, 0], values: values[0]),  // a -> b -> c(inlined)
        Sample(locations: [0], values: values[1]),  // a
        Sample(locations: [2, 0], values: values[2], labels: [Label(key: "thread", string: "7")]),  // a -> c
    ]
    return Profile(
        sampleTypes: types ?? [ValueType(type: "samples", unit: "count"), ValueType(type: "cpu", unit: "nanoseconds")],
        periodType: ValueType(type: "cpu", unit: "nanoseconds"), period: 10_000_000, timeNanos: 2000, durationNanos: 1_000_000_000,
        functions: functions, locations: locations, samples: samples)
}

@Suite struct FrameTests {
    @Test func inlinedLinesAreFramesInnermostLast() {
        let p = sampleProfile()
        #expect(p.stackRootFirst(of: p.samples[0]) == ["main.a", "main.b", "main.c"])
        #expect(p.stackRootFirst(of: p.samples[2]) == ["main.a", "main.c"])
    }

    @Test func unsymbolizedLocationShowsAddress() {
        var p = sampleProfile()
        p.locations.append(Location(address: 0xdeadbeef, lines: []))
        p.samples.append(Sample(locations: [3, 0], values: [1, 1]))
        #expect(p.stackRootFirst(of: p.samples[3]) == ["main.a", "0xdeadbeef"])
    }

    @Test func totalsSaturate() {
        let p = sampleProfile(values: [[.max, 1], [5, 1], [1, 1]])
        #expect(p.total(sampleIndex: 0) == .max)
        #expect(p.total(sampleIndex: 1) == 3)
    }
}

@Suite struct SampleIndexTests {
    let types = [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
                 ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes")]

    @Test func defaultIsDefaultSampleTypeElseLast() throws {
        var p = Profile(sampleTypes: types)
        #expect(try p.sampleIndex(nil) == 3)
        p.defaultSampleType = "alloc_space"
        #expect(try p.sampleIndex(nil) == 1)
    }

    @Test func byNameNumberAndPrefix() throws {
        let p = Profile(sampleTypes: types)
        #expect(try p.sampleIndex(.name("inuse_objects")) == 2)
        #expect(try p.sampleIndex(SampleIndexSelector(parsing: "0")) == 0)
        #expect(try p.sampleIndex(.name("alloc_s")) == 1)
    }

    @Test func errorsListWhatExists() {
        let p = Profile(sampleTypes: types)
        #expect(throws: ProfileError.self) { try p.sampleIndex(.name("cpu")) }
        do {
            _ = try p.sampleIndex(.name("cpu"))
        } catch {
            #expect(error.description.contains("0=alloc_objects, 1=alloc_space, 2=inuse_objects, 3=inuse_space"))
        }
        #expect(throws: ProfileError.sampleIndexOutOfRange(index: 4, count: 4)) { try p.sampleIndex(.number(4)) }
        // "inuse" is ambiguous between inuse_objects and inuse_space.
        #expect(throws: ProfileError.self) { try p.sampleIndex(.name("inuse")) }
        #expect(throws: ProfileError.noSampleTypes) { try Profile(sampleTypes: []).sampleIndex(nil) }
    }
}

@Suite struct MergeTests {
    @Test func sumsEqualStacksAcrossProfilesByContentNotIds() throws {
        let a = sampleProfile()
        // The same code with functions and locations in another order (as another process would number them).
        var b = sampleProfile(values: [[1, 1], [2, 2], [3, 3]])
        b.functions.reverse()  // indices 0<->2 swap
        for i in b.locations.indices {
            for j in b.locations[i].lines.indices { b.locations[i].lines[j].function = 2 - b.locations[i].lines[j].function }
        }
        b.locations.swapAt(0, 2)
        for i in b.samples.indices { b.samples[i].locations = b.samples[i].locations.map { $0 == 0 ? 2 : ($0 == 2 ? 0 : $0) } }
        let m = try Profile.merge([a, b])
        #expect(m.samples.count == 3)
        #expect(m.total(sampleIndex: 0) == a.total(sampleIndex: 0) + b.total(sampleIndex: 0))
        #expect(m.functions.count == 3)
        let byStack = Dictionary(uniqueKeysWithValues: m.samples.map { (m.stackRootFirst(of: $0).joined(separator: ";"), $0.values) })
        #expect(byStack["main.a;main.b;main.c"] == [11, 101])
        #expect(byStack["main.a"] == [7, 52])
        #expect(byStack["main.a;main.c"] == [4, 13])
    }

    @Test func labelsKeepSamplesApartUnlessDropped() throws {
        var b = sampleProfile()
        b.samples[2].labels = [Label(key: "thread", string: "8")]
        let kept = try Profile.merge([sampleProfile(), b])
        #expect(kept.samples.count == 4)
        let dropped = try Profile.merge([sampleProfile(), b], labels: .none)
        #expect(dropped.samples.count == 3)
        #expect(dropped.samples.allSatisfy { $0.labels.isEmpty })
        let only = try Profile.merge([sampleProfile(), b], labels: .only(["other"]))
        #expect(only.samples.count == 3)
    }

    @Test func periodsAndDurations() throws {
        var b = sampleProfile()
        b.period = 20_000_000
        b.timeNanos = 1000
        let m = try Profile.merge([sampleProfile(), b])
        #expect(m.period == 20_000_000)
        #expect(m.timeNanos == 1000)
        #expect(m.durationNanos == 2_000_000_000)
    }

    @Test func mismatchedSampleTypesNameBothSets() {
        let a = sampleProfile()
        let b = sampleProfile(types: [ValueType(type: "alloc_space", unit: "bytes"), ValueType(type: "inuse_space", unit: "bytes")])
        do {
            _ = try Profile.merge([a, b])
            Issue.record("merge should fail")
        } catch {
            #expect(error.description.contains("samples/count, cpu/nanoseconds"))
            #expect(error.description.contains("alloc_space/bytes, inuse_space/bytes"))
            #expect(error.description.contains("input 2"))
        }
        #expect(throws: ProfileError.nothingToMerge) { try Profile.merge([]) }
    }

    @Test func overflowSaturates() throws {
        let a = sampleProfile(values: [[.max - 1, 1], [1, 1], [1, 1]])
        let m = try Profile.merge([a, a])
        #expect(m.samples[0].values[0] == .max)
    }

    @Test func functionCostsFlatAndCumulative() {
        let p = sampleProfile()
        let costs = p.functionCosts(sampleIndex: 1)
        let byName = Dictionary(uniqueKeysWithValues: costs.map { ($0.name, $0) })
        #expect(byName["main.a"]?.flat == 50)
        #expect(byName["main.a"]?.cumulative == 160)
        #expect(byName["main.c"]?.flat == 110)
        #expect(byName["main.c"]?.cumulative == 110)
        #expect(byName["main.b"]?.flat == 0)
        #expect(costs.first?.name == "main.c")
    }
}

@Suite struct UnitTests {
    @Test func formatsInTheRightUnit() {
        #expect(UnitFormatter.format(1_234_000_000, as: ValueType(type: "cpu", unit: "nanoseconds")) == "1.23 s")
        #expect(UnitFormatter.format(45_600_000, as: ValueType(type: "alloc_space", unit: "bytes")) == "45.6 MB")
        #expect(UnitFormatter.format(1234, as: ValueType(type: "samples", unit: "count")) == "1,234 samples")
        #expect(UnitFormatter.format(7, as: ValueType(type: "inuse_objects", unit: "count")) == "7 objects")
        #expect(UnitFormatter.format(999, as: ValueType(type: "delay", unit: "nanoseconds")) == "999 ns")
        #expect(UnitFormatter.format(12_300, as: ValueType(type: "delay", unit: "nanoseconds")) == "12.3 µs")
        #expect(UnitFormatter.format(512, as: ValueType(type: "x", unit: "bytes")) == "512 B")
        #expect(UnitFormatter.format(90_000_000_000, as: ValueType(type: "cpu", unit: "nanoseconds")) == "1.5 min")
        #expect(UnitFormatter.format(3, as: ValueType(type: "contentions", unit: "count")) == "3 contentions")
        #expect(UnitFormatter.format(1, as: ValueType(type: "samples", unit: "count")) == "1 sample")
        #expect(UnitFormatter.format(1, as: ValueType(type: "goroutine", unit: "count")) == "1 goroutine")
        #expect(UnitFormatter.format(-1_500_000, as: ValueType(type: "cpu", unit: "nanoseconds")) == "-1.5 ms")
        #expect(UnitFormatter.grouped(1_234_567_890_123) == "1,234,567,890,123")
        #expect(UnitFormatter.grouped(-1000) == "-1,000")
        #expect(UnitFormatter.percent(1, of: 3) == "33.33%")
        #expect(UnitFormatter.percent(1, of: 0) == "0%")
    }

    @Test func reportShowsTypesTotalsAndTop() {
        let r = ProfileReport(profile: sampleProfile(), sampleIndex: 1, top: 2).text
        #expect(r.contains("1: cpu [nanoseconds]  total 160 ns"))
        #expect(r.contains("samples: 3"))
        #expect(r.contains("main.c"))
        #expect(r.contains("duration: 1 s"))
        #expect(ProfileReport.utc(1_795_569_178_391_709_051) == "2026-11-25 01:12:58 UTC")
    }
}
