import Folded
import Foundation
import Profile
import ProfileFiles
import Synchronization
import WireCodec

/// `--watch DIR`: every new pprof or folded-stacks file that appears in a directory is one
/// window. A file is taken once its size stayed the same between two looks (so a file
/// still being written is not read half-way); hidden files and names ending in `.tmp` or
/// `.part` are ignored. The profile type comes from the file name (cpu, heap, allocs,
/// goroutine, mutex, block) or else from its sample types; CPU and folded files are
/// windows of their own (added), the others totals since the process started (replaced).
public struct DirectoryWatch: Sendable {
    public let directory: String

    public init(directory: String) throws(AgentError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw .badOption("--watch: \(directory) is not a directory")
        }
        self.directory = directory
    }

    /// What a look at the directory keeps: files taken, and sizes seen once.
    struct Scan {
        var taken = Set<String>()
        var sizes: [String: Int] = [:]

        /// The files ready now (size unchanged since the last look), in name order.
        mutating func ready(in directory: String) -> [String] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
            var out: [String] = []
            for name in names.sorted() where !taken.contains(name) && !name.hasPrefix(".") && !name.hasSuffix(".tmp") && !name.hasSuffix(".part") {
                let path = (directory as NSString).appendingPathComponent(name)
                guard let attrs = try? FileManager.default.attributesOfItem(atPath: path), (attrs[.type] as? FileAttributeType) == .typeRegular,
                      let size = (attrs[.size] as? NSNumber)?.intValue else { continue }
                if sizes[name] == size, size > 0 {
                    out.append(name)
                    taken.insert(name)
                    sizes[name] = nil
                } else {
                    sizes[name] = size
                }
            }
            return out
        }
    }
}

extension ProfileKind {
    /// The type of a profile read from a file: named in the file name, or else told by its
    /// sample types (Go's mutex and block profiles look alike: a name says which; without
    /// one, contentions count as mutex).
    public static func detect(fileName: String, _ p: Profile) -> ProfileKind {
        let name = fileName.lowercased()
        for k in [ProfileKind.allocs, .heap, .goroutine, .mutex, .block, .cpu] where name.contains(k.rawValue) { return k }
        let types = Set(p.sampleTypes.map(\.type))
        if types.contains("inuse_space") || types.contains("alloc_space") { return .heap }
        if types.contains("goroutine") { return .goroutine }
        if types.contains("contentions") { return name.contains("block") ? .block : .mutex }
        return .cpu
    }

    /// How a file's profile enters its stream: CPU windows (and folded stacks) are added,
    /// the other types are totals or levels that replace the state.
    public var fileMode: IngestMode { self == .cpu ? .delta : .snapshot }
}

/// `--folded -`: folded stacks (`a;b;c 12` lines) read continuously from a file handle
/// (standard input: `perf script | stackcollapse-perf.pl | flamewire agent --folded -`),
/// cut into one window per interval (each line counts in the window it arrived in).
public final class FoldedLineReader: Sendable {
    let buffer = Mutex<(bytes: [UInt8], ended: Bool)>(([], false))

    /// Starts a thread that reads `input` until its end.
    public init(_ input: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let d = input.availableData
                if d.isEmpty { break }
                self.buffer.withLock { $0.bytes.append(contentsOf: d) }
            }
            self.buffer.withLock { $0.ended = true }
        }
        thread.name = "flamewire-folded-input"
        thread.start()
    }

    /// The complete lines read since the last call (all of it once the input ended), and
    /// whether the input has ended.
    public func take() -> (lines: [UInt8], ended: Bool) {
        buffer.withLock { b in
            if b.ended {
                defer { b.bytes.removeAll() }
                return (b.bytes, true)
            }
            guard let lastNewline = b.bytes.lastIndex(of: UInt8(ascii: "\n")) else { return ([], false) }
            let lines = Array(b.bytes[...lastNewline])
            b.bytes.removeSubrange(...lastNewline)
            return (lines, false)
        }
    }
}
