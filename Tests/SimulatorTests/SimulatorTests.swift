import Foundation
import Testing
import NetSim
import SansIO
import Simulator

@Suite struct SimulatorTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/profiles/stream").path

    @Test func bundledSamplesHoldEveryProfileType() throws {
        let streams = try Playlist.load(directory: Self.samples)
        #expect(Set(streams.map(\.name)) == ["allocs", "block", "cpu", "goroutine", "heap", "mutex"])
        let cpu = try #require(streams.first { $0.name == "cpu" })
        #expect(cpu.mode == .delta && cpu.period == .seconds(1))
        #expect(streams.filter { $0.name != "cpu" }.allSatisfy { $0.mode == .snapshot && $0.period == nil })
    }

    @Test func notAProfileIsReportedWithItsName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-sim-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0x1f, 0x8b, 0x08, 0x00, 0x01]).write(to: dir.appendingPathComponent("broken.pb.gz"))
        #expect { try Playlist.load(directory: dir.path) } throws: { "\($0)".contains("broken.pb.gz") }
    }

    /// Every stream of the bundled samples over 12 % loss: everything arrives, the final
    /// states are equal, and the same seed gives the same report.
    @Test func allStreamsArriveAndRunsReproduce() throws {
        let streams = try Playlist.load(directory: Self.samples)
        var link = LinkOptions()
        link.loss = 0.12
        let (f, b) = link.links
        var scenario = Scenario(forward: f, backward: b, duration: .seconds(20), seed: 11, streams: streams)
        scenario.drain = .seconds(15)
        let one = try SimulationRun.run(scenario)
        #expect(one.totalsEqual, "\(one.unequalStreams)")
        #expect(one.windowsDelivered + one.windowsSuperseded == one.windowsSent)
        #expect(one.windowsSent > 6 * 20)
        #expect(one.bytesPprof > 0 && one.bytesWire > 0 && one.bytesAck > 0)
        let two = try SimulationRun.run(scenario)
        #expect(one.json == two.json)
        scenario.seed = 12
        #expect(try SimulationRun.run(scenario).json != one.json)
    }
}
