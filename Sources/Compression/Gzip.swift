import CZlib

/// Errors from decompression, with what went wrong in words a user can act on.
public enum CompressionError: Error, Equatable, CustomStringConvertible, Sendable {
    case truncated
    case corrupt(String)
    case tooLarge(limit: Int)
    case library(String)

    public var description: String {
        switch self {
        case .truncated: return "gzip data is truncated (the file ends before the compressed stream does)"
        case .corrupt(let why): return "gzip data is corrupt: \(why)"
        case .tooLarge(let limit): return "decompressed data exceeds the limit of \(limit) bytes"
        case .library(let why): return "compression library error: \(why)"
        }
    }
}

/// gzip (RFC 1952) through zlib, the container pprof files use.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip<C: Collection>(_ data: C) -> Bool where C.Element == UInt8 {
        var it = data.makeIterator()
        return it.next() == 0x1f && it.next() == 0x8b
    }

    /// Decompresses a gzip stream (several concatenated members are accepted, as gunzip does).
    /// - Parameter limit: the most bytes the output may grow to; guards against gzip bombs.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 32) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: expect a gzip header.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .library("inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(max(input.count * 4, 4096), limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var result: Int32 = Z_OK
        var failure: CompressionError?
        input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            chunk.withUnsafeMutableBufferPointer { outBuf in
                while true {
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    result = inflate(&stream, Z_NO_FLUSH)
                    let produced = outBuf.count - Int(stream.avail_out)
                    if output.count + produced > limit { failure = .tooLarge(limit: limit); return }
                    output.append(contentsOf: outBuf[0..<produced])
                    if result == Z_STREAM_END {
                        // Another gzip member may follow.
                        if stream.avail_in > 0, stream.next_in.pointee == 0x1f {
                            if inflateReset(&stream) != Z_OK { failure = .library("inflateReset failed"); return }
                            continue
                        }
                        return
                    }
                    if result == Z_BUF_ERROR && stream.avail_in == 0 { failure = .truncated; return }
                    if result != Z_OK {
                        let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                        failure = .corrupt(msg)
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Compresses `input` as one gzip member.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .library("deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                status = deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw .library("deflate did not finish (status \(status))") }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }
}
