import ArgumentParser
import Profile
import ProfileFiles

/// `flamewire inspect`: what is in a profile, in a few lines.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a profile's sample types, totals, duration and top functions.",
        discussion: """
            Examples:
              flamewire inspect cpu.pb.gz
              flamewire inspect heap.pb.gz --sample-index inuse_space --top 20
            """)

    @Argument(help: "Profiles to inspect; several are merged first ('-' for standard input).")
    var inputs: [String]

    @Option(name: .customLong("sample-index"), help: "Value column for the top functions (name or number).")
    var sampleIndex: String?

    @Option(help: "How many functions to list.")
    var top: Int = 10

    func validate() throws {
        guard top >= 0 else { throw ValidationError("--top must be zero or more") }
    }

    func run() throws {
        let profile = try ProfileInput.loadMerged(inputs)
        let index: Int
        do { index = try profile.sampleIndex(sampleIndex.map(SampleIndexSelector.init(parsing:))) } catch {
            throw FileError(path: inputs[0], reason: .profile(error))
        }
        print(ProfileReport(profile: profile, sampleIndex: index, top: top).text, terminator: "")
    }
}
