import Foundation

/// Where the tests' profiles are.
enum TestFiles {
    /// The small real Go profiles copied into this test target's `Fixtures/`.
    static let fixtureNames = ["mutex-001", "block-001", "goroutine-001", "cpu-01", "heap-001"]

    /// The bytes of fixture `name` (without `.pb.gz`).
    static func fixture(_ name: String) throws -> [UInt8] {
        guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TestFileError("the Fixtures resource directory is missing from the test bundle")
        }
        return Array(try Data(contentsOf: dir.appendingPathComponent(name + ".pb.gz")))
    }

    /// The repository root: three levels up from this file (Tests/PprofTests/<file>).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared sample directory beside the repository (`../shared/samples/go119`).
    static let sharedSamples: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/samples/go119")

    /// Every real Go profile the interop tests check: all of `../shared/samples/go119`
    /// (when present) and the repository's `Samples/profiles`, as paths.
    static let allRealProfiles: [String] = {
        let dirs = [sharedSamples, repoRoot.appendingPathComponent("Samples/profiles")]
        var paths: [String] = []
        for dir in dirs {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".pb.gz") {
                paths.append(dir.appendingPathComponent(name).path)
            }
        }
        return paths
    }()

    /// Shared sample files `names` (e.g. "heap-001") when all exist, else `fallback`
    /// paths relative to the repository root.
    static func sharedOr(_ names: [String], fallback: [String]) -> [String] {
        let shared = names.map { sharedSamples.appendingPathComponent($0 + ".pb.gz").path }
        if shared.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) { return shared }
        return fallback.map { repoRoot.appendingPathComponent($0).path }
    }

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

struct TestFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
