import Foundation

/// A load generator's command line: `--name value` pairs, each taken once.
public struct BenchArguments {
    var args: [String]

    public init(_ args: [String] = Array(CommandLine.arguments.dropFirst())) { self.args = args }

    /// The value after `name` (removed from what is left), or `fallback` without one.
    public mutating func value(_ name: String, _ fallback: String?) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
        defer { args.removeSubrange(i...(i + 1)) }
        return args[i + 1]
    }
}

/// One line on standard output, unbuffered (the bench scripts wait for lines as they come).
public func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
