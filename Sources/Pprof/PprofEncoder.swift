import Compression
import Profile
import SwiftProtobuf

/// Writing the `Profile` model as a pprof profile that `go tool pprof` and every other
/// pprof reader accepts.
public enum PprofEncoder {
    /// The raw protobuf (not compressed) encoding of `profile`.
    ///
    /// Builds a string table (entry 0 is the empty string, every other string appears
    /// once) and numbers mappings, locations and functions 1...n in model order, so the
    /// model's indices become ids. Everything the model holds is written: sample types,
    /// values, string and numeric labels (with units), mappings with their flags,
    /// inlined lines, comments, the default sample type, period, time and duration.
    public static func encode(_ profile: Profile) -> [UInt8] {
        let message = PBProfile(profile)
        do {
            // proto3 messages without `Any` fields cannot fail to encode.
            return try message.serializedBytes()
        } catch {
            preconditionFailure("encoding a pprof message failed: \(error)")
        }
    }

    /// The gzip-compressed encoding of `profile`: the form pprof files are normally
    /// stored and served in (`.pb.gz`).
    /// - Throws: `CompressionError` when zlib fails.
    public static func encodeGzip(_ profile: Profile) throws -> [UInt8] {
        try Gzip.compress(encode(profile))
    }
}
