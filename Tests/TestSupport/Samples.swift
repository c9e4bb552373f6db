import Foundation
import Pprof
import Profile
import Folded

/// The real Go profiles beside the repository (`../shared/samples/go119`).
public enum Samples {
    public static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/samples/go119")

    public static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }

    public static func profile(_ name: String) throws -> Profile { try PprofDecoder.decode(try bytes(name)) }

    public static func names(_ prefix: String, _ range: ClosedRange<Int>, width: Int = 3) -> [String] {
        range.map { i in
            let n = String(i)
            return prefix + String(repeating: "0", count: max(0, width - n.count)) + n + ".pb.gz"
        }
    }

    public static let heap = names("heap-", 1...15)
    public static let cpu = names("cpu-", 1...6, width: 2)
    public static let goroutine = names("goroutine-", 1...5)
    public static let mutex = names("mutex-", 1...5)
    public static let block = names("block-", 1...5)
    public static let allocs = names("allocs-", 1...5)
}

/// A profile from folded-stacks text (`a;b;c 3` lines), for small hand-made test inputs.
public func foldedProfile(_ text: String) throws -> Profile { try FoldedReader.profile(from: Array(text.utf8)) }
