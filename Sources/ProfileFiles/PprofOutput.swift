import Pprof
import Profile

/// Writing profiles as pprof files.
public enum PprofOutput {
    /// The gzip pprof bytes of `profile`; `path` only names the file in errors.
    public static func gzip(_ profile: Profile, path: String) throws(FileError) -> [UInt8] {
        do { return try PprofEncoder.encodeGzip(profile) } catch let e as CompressionError {
            throw FileError(path: path, reason: .compression(e))
        } catch {
            throw FileError(path: path, reason: .compression(.library("\(error)")))
        }
    }
}

import Compression
