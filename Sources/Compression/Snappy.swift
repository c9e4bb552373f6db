import CSnappy

/// Snappy block compression through libsnappy, used by the wire codec for window payloads.
public enum Snappy {
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var outLen = snappy_max_compressed_length(input.count)
        var out = [UInt8](repeating: 0, count: outLen)
        let status = input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                i.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(i.count, 1)) { ip in
                    o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) { op in
                        snappy_compress(ip, i.count, op, &outLen)
                    }
                }
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress cannot fail with a max-length buffer")
        out.removeLast(out.count - outLen)
        return out
    }

    /// Decompresses a snappy block whose uncompressed length must not exceed `limit`.
    public static func decompress(_ input: [UInt8], limit: Int) throws(CompressionError) -> [UInt8] {
        try decompress(input[...], limit: limit)
    }

    /// As `decompress(_:limit:)`, for a block inside a larger buffer (a window of a bundle),
    /// without copying it out first.
    public static func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(CompressionError) -> [UInt8] {
        var length = 0
        let ok = input.withUnsafeBufferPointer { i -> Bool in
            guard let base = i.baseAddress else { return false }
            return base.withMemoryRebound(to: CChar.self, capacity: i.count) {
                snappy_uncompressed_length($0, i.count, &length) == SNAPPY_OK
            }
        }
        guard ok else { throw .corrupt("snappy header is not valid") }
        guard length <= limit else { throw .tooLarge(limit: limit) }
        var out = [UInt8](repeating: 0, count: length)
        var outLen = length
        let status = input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                i.baseAddress!.withMemoryRebound(to: CChar.self, capacity: i.count) { ip in
                    o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(o.count, 1)) { op in
                        snappy_uncompress(ip, i.count, op, &outLen)
                    }
                }
            }
        }
        guard status == SNAPPY_OK, outLen == length else { throw .corrupt("snappy block is corrupt") }
        return out
    }
}
