import ArgumentParser
import FlameGraph
import Folded
import Pprof
import Profile
import ProfileFiles

/// `flamewire render`: profiles in, flame graph (or merged folded/pprof) out.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render pprof profiles or folded stacks as an interactive SVG flame graph.",
        discussion: """
            Inputs are pprof (gzip or raw protobuf) or folded stacks ('root;child;leaf 123'), told
            apart by content; '-' reads standard input. Several inputs are merged first; they
            must have the same sample types.

            Examples:
              flamewire render cpu.pb.gz -o cpu.svg
              flamewire render heap.pb.gz --sample-index inuse_space --palette mem -o inuse.svg
              flamewire render after.pb.gz --diff before.pb.gz --normalize -o diff.svg
              perf script | stackcollapse-perf.pl | flamewire render - -o perf.svg
              flamewire render a.pb.gz b.pb.gz --format pprof -o merged.pb.gz
            """)

    @Argument(help: "Profiles to render ('-' for standard input).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output file ('-' for standard output).")
    var output: String = "-"

    @Option(help: "Output format: svg, folded or pprof.")
    var format: OutputFormat = .svg

    @Option(name: .customLong("sample-index"), help: "Value column by name (alloc_space, inuse_objects, contentions, delay, samples, cpu, ...) or number. Default: the profile's default sample type, else the last one.")
    var sampleIndex: String?

    @Option(help: "Title at the top of the graph.")
    var title: String?

    @Option(help: "Second line under the title.")
    var subtitle: String?

    @Option(help: "Image width in pixels.")
    var width: Int = 1200

    @Option(help: "Height of each frame in pixels.")
    var height: Int = 16

    @Option(name: .customLong("font-size"), help: "Font size in pixels.")
    var fontSize: Double = 12

    @Option(name: .customLong("min-width"), help: "Leave out frames narrower than this many pixels (their value stays in their parent).")
    var minWidth: Double = 0.1

    @Option(help: "Colour palette: \(Palette.allCases.map(\.rawValue).joined(separator: ", ")).")
    var palette: Palette?

    @Flag(help: "Draw an icicle graph: root at the top.")
    var inverted = false

    @Flag(help: "Merge stacks from the leaf: the bottom row shows where time is spent.")
    var reverse = false

    @Option(help: "Baseline profile for a differential flame graph: red grew, blue shrank.")
    var diff: [String] = []

    @Flag(help: "With --diff, scale the baseline so both totals match before comparing.")
    var normalize = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case svg, folded, pprof }

    func validate() throws {
        guard width >= 100, width <= 100_000 else { throw ValidationError("--width must be between 100 and 100000 pixels") }
        guard height >= 4, height <= 200 else { throw ValidationError("--height must be between 4 and 200 pixels") }
        guard fontSize >= 4, fontSize <= 100 else { throw ValidationError("--font-size must be between 4 and 100") }
        guard minWidth >= 0, minWidth.isFinite else { throw ValidationError("--min-width must be zero or more pixels") }
        if normalize && diff.isEmpty { throw ValidationError("--normalize needs --diff BASE") }
        if format != .svg && !diff.isEmpty { throw ValidationError("--diff draws a graph; use it with --format svg") }
    }

    func run() throws {
        let selector = sampleIndex.map(SampleIndexSelector.init(parsing:))
        switch format {
        case .svg:
            let input = TreeInput(sampleIndex: selector, reverse: reverse)
            let tree = try input.buildTree(inputs, basePaths: diff)
            var options = FlameGraphOptions()
            options.title = title ?? (inverted ? "Icicle Graph" : "Flame Graph")
            options.subtitle = subtitle
            options.width = width
            options.frameHeight = height
            options.fontSize = fontSize
            options.minWidth = minWidth
            options.inverted = inverted
            options.palette = palette ?? Palette.default(for: tree.valueType)
            options.normalizeDiff = normalize
            let svg: [UInt8]
            do { svg = try FlameGraphSVG.render(tree, options: options) } catch {
                throw FileError(path: inputs.count == 1 ? inputs[0] : inputs.joined(separator: ", "), reason: .flameGraph(error))
            }
            try RawFile.write(svg, to: output)
        case .folded:
            let merged = try ProfileInput.loadMerged(inputs)
            let index: Int
            do { index = try merged.sampleIndex(selector) } catch { throw FileError(path: inputs[0], reason: .profile(error)) }
            try RawFile.write(Array(FoldedWriter.text(merged, sampleIndex: index).utf8), to: output)
        case .pprof:
            let merged = try ProfileInput.loadMerged(inputs)
            try RawFile.write(try PprofOutput.gzip(merged, path: output), to: output)
        }
    }
}

extension Palette: ExpressibleByArgument {}
