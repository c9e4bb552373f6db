import ArgumentParser
import Profile
import ProfileFiles

/// `flamewire merge`: many profiles in, one gzip pprof out.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge profiles into one gzip pprof file that 'go tool pprof' reads.",
        discussion: """
            Samples with the same stack (by function name, file and line) and the same labels
            are summed. All inputs must have the same sample types.

            Examples:
              flamewire merge heap-*.pb.gz -o heap.pb.gz
              flamewire merge host1/cpu.pb.gz host2/cpu.pb.gz --drop-labels -o cpu.pb.gz
            """)

    @Argument(help: "Profiles to merge (pprof or folded; '-' for standard input).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output file (gzip pprof).")
    var output: String

    @Flag(name: .customLong("drop-labels"), help: "Ignore sample labels, so samples merge by stack alone.")
    var dropLabels = false

    func run() throws {
        let merged = try ProfileInput.loadMerged(inputs, labels: dropLabels ? .none : .all)
        try RawFile.write(try PprofOutput.gzip(merged, path: output), to: output)
    }
}
