import Collector
import Foundation
import Testing

/// The collector's record of when windows were captured and stored: the Prometheus
/// histogram's buckets and the `--window-log` file.
@Suite struct DeliveryTests {
    @Test func histogramBucketsAreCumulativeAndBoundsInclusive() {
        var h = DelayHistogram()
        for s in [0.05, 0.1, 0.25, 0.3, 2.5, 75, -1] { h.record(s) }
        let c = Dictionary(uniqueKeysWithValues: h.cumulative.map { ($0.le, $0.count) })
        #expect(c["0.1"] == 3, "0.05, 0.1 (a bound is inclusive) and a negative delay from clock skew, as zero")
        #expect(c["0.3"] == 5 && c["2"] == 5 && c["3"] == 6 && c["60"] == 6 && c["+Inf"] == 7)
        #expect(h.count == 7 && abs(h.sum - 78.2) < 1e-9)
        #expect(h.cumulative.map(\.count) == h.cumulative.map(\.count).sorted(), "cumulative counts never go down")
        #expect(h.cumulative.first?.le == "0.1" && h.cumulative.last?.le == "+Inf")
    }

    @Test func windowLogAppendsWholeJSONLinesAcrossOpenings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-windowlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("windows.jsonl").path
        let a = StoredWindow(agent: "QUJD", service: "web \"api\"", type: "heap", stream: 2, epoch: 1, seq: 7,
                             capturedNanos: 1_800_000_000_000_000_000, storedNanos: 1_800_000_000_250_000_000)
        var b = a
        b.seq = 8
        b.capturedNanos = nil
        try WindowLogFile(path: path).append([a, b])
        try WindowLogFile(path: path).append([])
        try WindowLogFile(path: path).append([a])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "appended, not overwritten; an empty commit writes nothing")
        let back = try lines.map { try JSONDecoder().decode(StoredWindow.self, from: Data($0.utf8)) }
        #expect(back == [a, b, a])
        #expect(back[0].delaySeconds == 0.25 && back[1].delaySeconds == nil)
    }

    @Test func aWindowLogThatCannotBeOpenedSaysWhere() {
        #expect(throws: WindowLogError.self) { try WindowLogFile(path: "/nonexistent-dir/windows.jsonl") }
        do { _ = try WindowLogFile(path: "/nonexistent-dir/windows.jsonl") } catch {
            #expect(error.description.contains("/nonexistent-dir/windows.jsonl") && error.description.contains("No such file"))
        }
    }
}
