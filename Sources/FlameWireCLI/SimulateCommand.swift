import ArgumentParser
import Foundation
import NetSim
import SansIO
import Simulator

/// `flamewire simulate`: what the protocol does on a given link, in virtual time.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Play profiles through the real codec and sessions over a simulated lossy link.",
        discussion: """
            An agent session and a collector session (handshake, encryption, FEC, ACKs,
            repair, adaptive interval) run over a seeded simulated link in virtual time:
            30 minutes take seconds, and the same seed gives the same run. DIR holds pprof
            snapshots, played per profile type in name order and repeated as needed (CPU
            profiles as back-to-back windows of their own length, the others at the agent's
            interval); without DIR the bundled samples of every profile type.

            Examples:
              flamewire simulate --loss 12% --rtt 320ms --duration 30m
              flamewire simulate ./captures --loss 12% --burst 3 --jitter 40ms --seed 7
              flamewire simulate --rate 64kbit --duration 10m --json
              flamewire simulate --down 60s@10m --duration 20m
            """)

    @Argument(help: "A directory of pprof snapshots (default: the bundled samples).")
    var directory: String?

    @Option(help: "Random loss each way, e.g. 12% or 0.12.") var loss: String = "12%"
    @Option(help: "Mean loss burst length in datagrams (1: independent loss).") var burst: Double = 1
    @Option(help: "Round-trip time, e.g. 320ms.") var rtt: String = "320ms"
    @Option(help: "Uniform ± jitter of each one-way delay, e.g. 40ms.") var jitter: String = "0ms"
    @Option(help: "Uplink bottleneck, e.g. 64kbit (default: none).") var rate: String?
    @Option(name: .customLong("queue"), help: "Bottleneck queue, e.g. 64KB.") var queue: String?
    @Option(help: "Largest datagram in bytes (576 to 1472).") var mtu: Int = 1400
    @Option(help: "An outage, DURATION@START (repeatable), e.g. 60s@10m.") var down: [String] = []
    @Option(help: "Virtual time to play profiles for, e.g. 30m.") var duration: String = "30m"
    @Option(help: "Seed of the link and the sessions.") var seed: UInt64 = 1
    @Option(name: .customLong("max-rate"), help: "The agent's send budget, e.g. 48kbit (paces datagrams, raises the interval).")
    var maxRate: String?
    @Option(name: .customLong("min-interval"), help: "Smallest sampling interval.") var minInterval: String = "120ms"
    @Option(name: .customLong("max-interval"), help: "Largest sampling interval.") var maxInterval: String = "480ms"
    @Option(help: "Profile types to play, comma-separated (default: all in DIR).") var types: String?
    @Flag(help: "Print one JSON object on standard output.") var json = false

    func run() throws {
        var link = LinkOptions()
        do {
            link.loss = try LinkConfig.parseProbability(loss)
            link.rtt = try LinkConfig.parseDuration(rtt)
            link.jitter = try LinkConfig.parseDuration(jitter)
            if let rate { link.rate = try LinkConfig.parseBitRate(rate) }
            if let queue { link.queueBytes = try LinkConfig.parseByteCount(queue) }
            link.outages = try down.map { try LinkConfig.parseOutage($0) }
        } catch {
            throw ValidationError("\(error)")
        }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1") }
        guard (576...1472).contains(mtu) else { throw ValidationError("--mtu must be between 576 and 1472") }
        link.burst = burst
        link.mtu = mtu
        let dir = try directory ?? Self.bundledSamples()
        var streams = try Playlist.load(directory: dir)
        if let types {
            let wanted = Set(types.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            streams = streams.filter { wanted.contains($0.name) }
            guard !streams.isEmpty else { throw ValidationError("--types \(types): no such profiles in \(dir)") }
        }
        let (forward, backward) = link.links
        var scenario = Scenario(forward: forward, backward: backward, duration: try parse(duration, "--duration"), seed: seed, streams: streams)
        scenario.maxDatagram = mtu
        scenario.minInterval = try parse(minInterval, "--min-interval")
        scenario.maxInterval = try parse(maxInterval, "--max-interval")
        if let maxRate {
            do { scenario.maxRate = Int(try LinkConfig.parseBitRate(maxRate)) } catch { throw ValidationError("\(error)") }
        }
        let long = scenario.duration > .seconds(300)
        let report = try SimulationRun.run(scenario) { now, total in
            guard long, !json else { return }
            FileHandle.standardError.write(Array("\rsimulated \(Int(now.nanoseconds / 1_000_000_000)) of \(Int(total.nanoseconds / 1_000_000_000)) s".utf8).data)
        }
        if long && !json { FileHandle.standardError.write(Array("\n".utf8).data) }
        if json { print(report.json, terminator: "") } else {
            print("\(streams.map(\.name).joined(separator: ", ")) over \(loss) loss, \(rtt) RTT for \(duration), seed \(seed)")
            print(report.text, terminator: "")
        }
    }

    private func parse(_ text: String, _ option: String) throws -> Duration {
        do { return try LinkConfig.parseDuration(text) } catch { throw ValidationError("\(option): \(error)") }
    }

    /// `Samples/profiles/stream` beside the working directory or the executable.
    static func bundledSamples() throws -> String {
        var candidates = [FileManager.default.currentDirectoryPath + "/Samples/profiles/stream"]
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(exe.appendingPathComponent("Samples/profiles/stream").path)
            exe = exe.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("no bundled samples found (Samples/profiles/stream); give a directory of pprof snapshots")
        }
        return found
    }
}

private extension Array where Element == UInt8 {
    var data: Data { Data(self) }
}
