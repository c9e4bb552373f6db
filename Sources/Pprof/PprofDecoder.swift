import Compression
import Profile
import SwiftProtobuf

/// Reading pprof profiles (`profile.proto`, as written by Go's runtime/pprof,
/// `go tool pprof -proto` and other profilers) into the `Profile` model.
public enum PprofDecoder {
    /// The most bytes a gzip-compressed profile may decompress to (1 GiB). Real profiles
    /// are far smaller; the limit stops a gzip bomb before it exhausts memory.
    public static let maxDecompressedBytes = 1 << 30

    /// The deepest stack accepted, counting every line of every location as a frame.
    /// Real stacks are rarely deeper than a few hundred frames; a deeper one is almost
    /// certainly a corrupt or hostile file, and would make every consumer slow.
    public static let maxStackDepth = 65_536

    /// Decodes a pprof profile, gzip-compressed (detected by its magic bytes `1f 8b`) or
    /// raw protobuf.
    ///
    /// The wire format is read straight into the model (`ProfileReader`), with the checks
    /// and errors of the generated-message path (`decodeThroughMessages`).
    /// Every reference in the file is validated, so the returned model is consistent:
    /// string indices, ids (non-zero, unique, and pointing at entries that exist),
    /// value counts, stack depth and UTF-8. Ids become array indices. Never traps: any
    /// input either decodes or throws a `PprofError` that says what is wrong and where.
    ///
    /// - Parameter maxDecompressedBytes: the most a gzip-compressed input may expand to;
    ///   lower it where memory is tight.
    public static func decode(
        _ bytes: [UInt8], maxDecompressedBytes: Int = PprofDecoder.maxDecompressedBytes
    ) throws(PprofError) -> Profile {
        let raw = try uncompressed(bytes, limit: maxDecompressedBytes)
        return try raw.withUnsafeBufferPointer { b throws(PprofError) in try ProfileReader(bytes: b).profile(maxStackDepth: maxStackDepth) }
    }

    /// The same decode through the generated protobuf messages (`PBProfile`, then
    /// `model`): the reference `decode` is tested against, and the benchmark's baseline.
    public static func decodeThroughMessages(
        _ bytes: [UInt8], maxDecompressedBytes: Int = PprofDecoder.maxDecompressedBytes
    ) throws(PprofError) -> Profile {
        let raw = try uncompressed(bytes, limit: maxDecompressedBytes)
        let message: PBProfile
        do {
            var options = BinaryDecodingOptions()
            options.discardUnknownFields = true
            message = try PBProfile(serializedBytes: raw, options: options)
        } catch let e as BinaryDecodingError {
            throw .notProtobuf(reason: reason(e))
        } catch {
            throw .notProtobuf(reason: "\(error)")
        }
        return try message.model(maxStackDepth: maxStackDepth)
    }

    /// The protobuf bytes: `bytes` gunzipped (up to `limit`) when they start with gzip's magic.
    static func uncompressed(_ bytes: [UInt8], limit: Int) throws(PprofError) -> [UInt8] {
        guard Gzip.isGzip(bytes) else { return bytes }
        do { return try Gzip.decompress(bytes, limit: limit) } catch { throw .compression(error) }
    }

    /// What went wrong, in words, for the protobuf runtime's errors.
    static func reason(_ error: BinaryDecodingError) -> String {
        switch error {
        case .truncated: return "it ends in the middle of a field"
        case .malformedProtobuf: return "invalid field tag or wire type"
        case .trailingGarbage: return "unexpected bytes after the message"
        case .invalidUTF8: return "a text field is not valid UTF-8"
        case .messageDepthLimit: return "messages nested too deeply"
        case .missingRequiredFields: return "required fields are missing"
        case .internalExtensionError: return "internal protobuf extension error"
        @unknown default: return "\(error)"
        }
    }
}
