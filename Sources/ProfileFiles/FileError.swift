import Compression
import FlameGraph
import Folded
import Pprof
import Profile

/// An error about one input or output file, naming the file.
///
/// Its description is one line a user can act on: `heap.pb.gz: gzip data is truncated ...`.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable {
        case cannotOpen(errno: Int32)
        case cannotRead(errno: Int32)
        case cannotWrite(errno: Int32)
        case isDirectory
        case empty
        case pprof(PprofError)
        case folded(FoldedError)
        case compression(CompressionError)
        case profile(ProfileError)
        case flameGraph(FlameGraphError)
    }

    /// The path as the user gave it (`-` is standard input).
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let name = path == "-" ? "<stdin>" : path
        switch reason {
        case .cannotOpen(let e): return "\(name): cannot open: \(errnoText(e))"
        case .cannotRead(let e): return "\(name): cannot read: \(errnoText(e))"
        case .cannotWrite(let e): return "\(name): cannot write: \(errnoText(e))"
        case .isDirectory: return "\(name): is a directory, not a profile"
        case .empty: return "\(name): the file is empty (expected a pprof profile or folded stacks)"
        case .pprof(let e): return "\(name): not a valid pprof profile: \(e)"
        case .folded(let e): return "\(name): \(e)"
        case .compression(let e): return "\(name): \(e)"
        case .profile(let e): return "\(name): \(e)"
        case .flameGraph(let e): return "\(name): \(e)"
        }
    }
}

func errnoText(_ e: Int32) -> String {
    guard let s = strerror(e) else { return "error \(e)" }
    return String(cString: s)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
