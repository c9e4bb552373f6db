import Foundation
import Testing
import Folded
import Profile
import Pprof

/// Our reading and writing of pprof agrees with Go's own tooling, value for value.
@Suite struct GoInteropTests {
    /// Every real profile, every sample type: our folded stacks equal the stacks
    /// `go tool pprof -raw` reports for the same file, and our total of the default
    /// column equals the exact total `go tool pprof -top` reports (which sums absolute
    /// values, so that delta profiles with negative values get a meaningful scale).
    @Test(arguments: TestFiles.allRealProfiles)
    func foldedStacksMatchGo(path: String) throws {
        guard let go = GoPprof.requireGo() else { return }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let ours = try PprofDecoder.decode(try TestFiles.read(path))
        let theirs = try GoPprof.raw(go, path)
        #expect(ours.sampleTypes.map(\.description) == theirs.sampleTypes)
        let goFolded = try theirs.folded()
        for i in ours.sampleTypes.indices where i < goFolded.count {
            expectSameLines(ourFolded(ours, i), goFolded[i], "\(name) \(ours.sampleTypes[i])")
        }
        let column = try ours.sampleIndex(nil)
        let goTotal = try GoPprof.topTotal(go, [path], sampleIndex: column, unit: ours.sampleTypes[column].unit)
        #expect(absoluteTotal(ours, column) == goTotal, "\(name) \(ours.sampleTypes[column])")
    }

    struct MergeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var paths: [String]
        var testDescription: String { "\(name) (\(paths.count) files)" }
    }

    static let mergeCases = [
        MergeCase(name: "heap", paths: TestFiles.sharedOr(
            ["heap-001", "heap-002", "heap-003", "heap-004", "heap-005"],
            fallback: ["Tests/PprofTests/Fixtures/heap-001.pb.gz", "Samples/profiles/heap.pb.gz"])),
        MergeCase(name: "cpu", paths: TestFiles.sharedOr(
            ["cpu-01", "cpu-02", "cpu-03", "cpu-04", "cpu-05", "cpu-06"],
            fallback: ["Tests/PprofTests/Fixtures/cpu-01.pb.gz", "Samples/profiles/cpu-10s.pb.gz"])),
        MergeCase(name: "goroutine", paths: TestFiles.sharedOr(
            ["goroutine-001", "goroutine-002", "goroutine-003"],
            fallback: ["Tests/PprofTests/Fixtures/goroutine-001.pb.gz"])),
    ]

    /// Our merge, written by `PprofEncoder.encodeGzip`, read back by Go: for every
    /// column, the exact total `go tool pprof -top` reports for it is the sum of the
    /// totals Go reports for the inputs, and its stacks (`-raw`) equal both ours and
    /// those of Go's own merge (`go tool pprof -proto`) of the same files.
    @Test(arguments: mergeCases)
    func mergedOutputMatchesGo(_ merge: MergeCase) throws {
        guard let go = GoPprof.requireGo() else { return }
        let inputs = try merge.paths.map { try PprofDecoder.decode(try TestFiles.read($0)) }
        let merged = try Profile.merge(inputs)
        #expect(!merged.samples.isEmpty)
        let ourFile = GoPprof.sandbox.appendingPathComponent("merged-\(merge.name)-\(UUID().uuidString).pb.gz")
        try Data(try PprofEncoder.encodeGzip(merged)).write(to: ourFile)
        defer { try? FileManager.default.removeItem(at: ourFile) }
        let goFile = GoPprof.sandbox.appendingPathComponent("go-merged-\(merge.name)-\(UUID().uuidString).pb.gz")
        try GoPprof.merge(go, merge.paths, into: goFile.path)
        defer { try? FileManager.default.removeItem(at: goFile) }

        let ourMergeAsGoReadsIt = try GoPprof.raw(go, ourFile.path)
        let goMerge = try GoPprof.raw(go, goFile.path)
        #expect(ourMergeAsGoReadsIt.sampleTypes == merged.sampleTypes.map(\.description))
        #expect(goMerge.sampleTypes == merged.sampleTypes.map(\.description))
        let ourMergeFolded = try ourMergeAsGoReadsIt.folded(), goMergeFolded = try goMerge.folded()
        for (i, type) in merged.sampleTypes.enumerated() where i < ourMergeFolded.count && i < goMergeFolded.count {
            let inputTotals = try merge.paths.map { try GoPprof.topTotal(go, [$0], sampleIndex: i, unit: type.unit) }
            let mergedTotal = try GoPprof.topTotal(go, [ourFile.path], sampleIndex: i, unit: type.unit)
            #expect(mergedTotal == inputTotals.reduce(0, +), "\(merge.name) \(type)")
            #expect(absoluteTotal(merged, i) == mergedTotal, "\(merge.name) \(type)")

            let ours = ourFolded(merged, i)
            expectSameLines(ourMergeFolded[i], ours, "\(merge.name) \(type), ours via Go")
            expectSameLines(goMergeFolded[i], ours, "\(merge.name) \(type), Go's merge")
        }
    }
}

/// The sum of the absolute values of column `index`: what `go tool pprof -top` calls
/// the total.
func absoluteTotal(_ profile: Profile, _ index: Int) -> Int64 {
    profile.samples.reduce(Int64(0)) { $0 + abs($1.values[index]) }
}

/// Our folded lines of column `index` as `stack value` strings, leaving out samples
/// without a stack: `go tool pprof` drops those from every stack listing (its focus
/// filter keeps only samples with at least one location), though `-top` counts them in
/// its total, and so do we.
func ourFolded(_ profile: Profile, _ index: Int) -> [String] {
    FoldedWriter.lines(profile, sampleIndex: index).filter { !$0.stack.isEmpty }.map { "\($0.stack) \($0.value)" }
}

/// Expects two sorted folded listings to be equal, reporting the first difference
/// instead of both (possibly thousands of lines) listings.
func expectSameLines(
    _ actual: [String], _ expected: [String], _ context: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual != expected else { return }
    let firstDiff = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, expected.count)
    let a = firstDiff < actual.count ? actual[firstDiff] : "<end>"
    let e = firstDiff < expected.count ? expected[firstDiff] : "<end>"
    Issue.record(
        Comment(rawValue: "\(context): \(actual.count) vs \(expected.count) lines; first difference at line \(firstDiff): \(a) != \(e)"),
        sourceLocation: sourceLocation)
}
