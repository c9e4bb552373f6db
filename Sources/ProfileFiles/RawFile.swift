/// Plain POSIX file access: whole-file reads, chunked reads and atomic-enough writes.
///
/// Kept free of Foundation so that large inputs stream through a fixed buffer.
public enum RawFile {
    /// Opens `path` for reading (`-` is standard input) and returns the descriptor.
    static func openForReading(_ path: String) throws(FileError) -> Int32 {
        if path == "-" { return 0 }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, reason: .cannotOpen(errno: errno)) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FileError(path: path, reason: .isDirectory)
        }
        return fd
    }

    /// Reads into `buffer` until it is full or the file ends; returns the bytes read.
    static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileError) -> Int {
        var got = 0
        while got < buffer.count {
            let n = read(fd, buffer.baseAddress! + got, buffer.count - got)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: .cannotRead(errno: errno))
            }
            got += n
        }
        return got
    }

    /// Reads a whole file (or standard input for `-`).
    public static func readAll(_ path: String) throws(FileError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        var hint = 0
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 { hint = Int(st.st_size) }
        return try readAllFrom(fd, path: path, sizeHint: hint)
    }

    /// Reads everything left in `fd`.
    static func readAllFrom(_ fd: Int32, path: String, sizeHint: Int = 0) throws(FileError) -> [UInt8] {
        var out: [UInt8] = []
        if sizeHint > 0 { out.reserveCapacity(sizeHint + 1) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try readFully(fd, chunk, path: path)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            if n < chunk.count { break }
        }
        return out
    }

    /// Writes `bytes` to `path` (`-` is standard output), replacing it.
    ///
    /// Writes to a temporary file beside the target and renames it, so a failed write
    /// never leaves a truncated output behind.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        if path == "-" {
            try writeAll(1, bytes, path: path)
            return
        }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError(path: path, reason: .cannotOpen(errno: errno)) }
        do {
            try writeAll(fd, bytes, path: path)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw FileError(path: path, reason: .cannotWrite(errno: e))
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { b in
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 { throw FileError(path: path, reason: .cannotWrite(errno: failure)) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
