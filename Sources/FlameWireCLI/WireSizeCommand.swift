import ArgumentParser
import Profile
import ProfileFiles
import WireCodec
import WirePipeline

/// `flamewire wire-size`: what a sequence of captures costs on the wire.
struct WireSizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire-size",
        abstract: "Show what a sequence of profiles costs on the wire, window by window.",
        discussion: """
            The profiles are played in order through one FlameWire stream (no loss, each window
            acknowledged), as an agent would send them: the first is a keyframe, the rest are
            deltas against the acknowledged state. Prints per window the file's bytes, the
            window payload before and after snappy, and the datagrams and bytes on the wire
            without and with FEC parity for the given loss rate.

            Examples:
              flamewire wire-size heap-*.pb.gz
              flamewire wire-size cpu-*.pb.gz --loss 0.12 --max-datagram 1280
              flamewire wire-size heap-*.pb.gz --json > sizes.json
            """)

    @Argument(help: "Profiles of one stream, in order.")
    var snapshots: [String]

    @Option(help: "Loss rate the FEC parity is sized for (0 to 0.5).")
    var loss: Double = 0.12

    @Option(name: .customLong("max-datagram"), help: "Largest UDP payload in bytes (576 to 1472).")
    var maxDatagram: Int = 1400

    @Option(help: "How values accumulate: auto (CPU profiles are deltas, others snapshots), delta or snapshot.")
    var mode: Mode = .auto

    @Flag(help: "Print one JSON object with 'windows' and 'totals'.")
    var json = false

    enum Mode: String, ExpressibleByArgument, CaseIterable { case auto, delta, snapshot }

    func validate() throws {
        guard loss >= 0, loss <= 0.5 else { throw ValidationError("--loss must be between 0 and 0.5") }
        guard (576...1472).contains(maxDatagram) else { throw ValidationError("--max-datagram must be between 576 and 1472") }
    }

    func run() throws {
        var inputs: [(name: String, bytes: Int, profile: Profile)] = []
        for path in snapshots {
            let raw = try RawFile.readAll(path)
            inputs.append((path.split(separator: "/").last.map(String.init) ?? path, raw.count, try ProfileInput.decode(raw, path: path)))
        }
        let first = inputs[0].profile.sampleTypes
        for (i, input) in inputs.enumerated() where input.profile.sampleTypes != first {
            throw FileError(path: snapshots[i], reason: .profile(.incompatibleSampleTypes(first: first, other: input.profile.sampleTypes, otherIndex: i)))
        }
        let m: IngestMode? = mode == .auto ? nil : (mode == .delta ? .delta : .snapshot)
        let report = try WireSizeReport.measure(inputs, loss: loss, maxDatagram: maxDatagram, mode: m)
        print(json ? report.json : report.text, terminator: "")
    }
}
