import Foundation

/// The `flamewire` binary built beside the test bundle (or `FLAMEWIRE_BIN`).
public enum FlameWireBinary {
    public static let url: URL = {
        if let env = ProcessInfo.processInfo.environment["FLAMEWIRE_BIN"] { return URL(fileURLWithPath: env) }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = here.deletingLastPathComponent()
        // The test bundle may be a directory (…/FlameWirePackageTests.xctest) or a file.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("flamewire")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return here.deletingLastPathComponent().appendingPathComponent("flamewire")
    }()
}
