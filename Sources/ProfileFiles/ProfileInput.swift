import Compression
import Dispatch
import Synchronization
import FlameGraph
import Folded
import Pprof
import Profile

/// The formats FlameWire reads, told apart by content, never by file name.
public enum InputFormat: String, Sendable, CaseIterable {
    /// pprof protobuf, raw or gzip-compressed.
    case pprof
    /// Folded stacks text (`a;b;c 12`), possibly gzip-compressed.
    case folded

    /// Classifies the first bytes of a (decompressed) input: folded stacks are text, a
    /// pprof message is binary (its first field tags and lengths are control bytes).
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> InputFormat {
        let n = min(prefix.count, 4096)
        for i in 0..<n {
            let c = prefix[i]
            if c < 0x09 || (c > 0x0D && c < 0x20 && c != 0x1B) || c == 0x7F { return .pprof }
        }
        return .folded
    }
}

/// Reading profile files of any supported format.
public enum ProfileInput {
    /// The most a gzip input may inflate to (guards against gzip bombs): 8 GiB.
    public static let maxInflatedSize = 8 << 30

    /// Reads and decodes a whole profile (pprof or folded, gzip or not).
    public static func loadProfile(_ path: String) throws(FileError) -> Profile {
        try decode(try RawFile.readAll(path), path: path)
    }

    /// Decodes bytes already in memory (decompressed or not).
    public static func decode(_ raw: [UInt8], path: String) throws(FileError) -> Profile {
        if raw.isEmpty { throw FileError(path: path, reason: .empty) }
        var bytes = raw
        if Gzip.isGzip(raw) {
            do { bytes = try Gzip.decompress(raw, limit: maxInflatedSize) } catch {
                throw FileError(path: path, reason: .compression(error))
            }
            if bytes.isEmpty { throw FileError(path: path, reason: .empty) }
        }
        let format = bytes.withUnsafeBytes { InputFormat.detect($0) }
        switch format {
        case .pprof:
            do { return try PprofDecoder.decode(bytes) } catch { throw FileError(path: path, reason: .pprof(error)) }
        case .folded:
            do { return try FoldedReader.profile(from: bytes) } catch { throw FileError(path: path, reason: .folded(error)) }
        }
    }

    /// Loads several files, decoding them in parallel (inputs are independent; on two
    /// cores this halves the time of merging a directory of profiles). Standard input is
    /// read on the calling thread. The first failing path, in argument order, is reported.
    public static func loadAll(_ paths: [String]) throws(FileError) -> [Profile] {
        if paths.count < 2 || paths.contains("-") {
            var out: [Profile] = []
            for p in paths { out.append(try loadProfile(p)) }
            return out
        }
        let results = Mutex<[Result<Profile, FileError>?]>(Array(repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let r: Result<Profile, FileError>
            r = Result { () throws(FileError) -> Profile in try loadProfile(paths[i]) }
            results.withLock { $0[i] = r }
        }
        var out: [Profile] = []
        out.reserveCapacity(paths.count)
        for r in results.withLock({ $0 }) {
            switch r! {
            case .success(let p): out.append(p)
            case .failure(let e): throw e
            }
        }
        return out
    }

    /// Loads and merges several profiles (see `Profile.merge` for the rules).
    public static func loadMerged(_ paths: [String], labels: LabelPolicy = .all) throws(FileError) -> Profile {
        let profiles = try loadAll(paths)
        do { return try Profile.merge(profiles, labels: labels) } catch {
            // Name the input that did not fit.
            if case .incompatibleSampleTypes(_, _, let i) = error { throw FileError(path: paths[i], reason: .profile(error)) }
            if case .incompatiblePeriodTypes(_, _, let i) = error { throw FileError(path: paths[i], reason: .profile(error)) }
            throw FileError(path: paths.first ?? "-", reason: .profile(error))
        }
    }
}
