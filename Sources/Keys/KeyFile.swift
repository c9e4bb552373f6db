import Foundation
import Noise

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A private key file: one line, the key in base64 (as `wg genkey` writes it), mode 0600.
public enum KeyFile {
    /// Creates `path` with a new random private key and returns the key. The file is made
    /// with O_CREAT|O_EXCL and mode 0600, so an existing file (or symlink) is never
    /// overwritten and the key is never readable by others, not even briefly.
    public static func generate(_ path: String) throws(KeyFileError) -> PrivateKey {
        var rng = SystemRandomNumberGenerator()
        return try generate(path, using: &rng)
    }

    /// `generate` with the caller's random-number generator (tests pass a seeded one).
    public static func generate(_ path: String, using rng: inout some RandomNumberGenerator) throws(KeyFileError) -> PrivateKey {
        let key = PrivateKey(using: &rng)
        try writeSecretLine(path, key.base64)
        return key
    }

    /// Creates `path` (as `generate` does) holding a new random 32-byte preshared key in
    /// base64 (as `wg genpsk` writes it) and returns its bytes. Agent and collector given
    /// the same one mix it into their handshake (Noise IKpsk2, SPEC.md §10).
    public static func generatePresharedKey(_ path: String) throws(KeyFileError) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        let psk = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try writeSecretLine(path, Data(psk).base64EncodedString())
        return psk
    }

    /// Reads a preshared key file (same rules as `read`: mode 0600, one base64 line).
    public static func readPresharedKey(_ path: String) throws(KeyFileError) -> [UInt8] {
        let text = try readSecretLine(path)
        do { return try decodeKeyText(text) } catch { throw .badKey(path: path, reason: error.description) }
    }

    /// Writes one secret line to a new file of mode 0600 (never over an existing one).
    static func writeSecretLine(_ path: String, _ line: String) throws(KeyFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let e = errno
            throw e == EEXIST ? .exists(path: path) : .system(path: path, action: "create", errno: e)
        }
        var ok = fchmod(fd, 0o600) == 0
        var bytes = Array((line + "\n").utf8)
        var written = 0
        while ok && written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            ok = n > 0
            if ok { written += n }
        }
        if ok && fsync(fd) != 0 { ok = false }
        let e = errno
        for i in bytes.indices { bytes[i] = 0 }
        close(fd)
        guard ok else {
            unlink(path)
            throw .system(path: path, action: "write", errno: e)
        }
    }

    /// Reads the private key in `path`. Refuses a file that others may read
    /// (`mode & 0o077 != 0`), as ssh does, since its key would no longer be secret.
    public static func read(_ path: String) throws(KeyFileError) -> PrivateKey {
        let text = try readSecretLine(path)
        do {
            return try PrivateKey(base64: text)
        } catch {
            throw .badKey(path: path, reason: error.description)
        }
    }

    /// The one line of a secret file, refusing files others may read.
    static func readSecretLine(_ path: String) throws(KeyFileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw e == ENOENT ? .missing(path: path) : .system(path: path, action: "open", errno: e)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path: path, action: "stat", errno: errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path: path) }
        let mode = UInt32(st.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw .readableByOthers(path: path, mode: mode) }
        var buffer = [UInt8](repeating: 0, count: 256)
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .system(path: path, action: "read", errno: errno) }
            if n == 0 { break }
            count += n
        }
        defer { for i in buffer.indices { buffer[i] = 0 } }
        guard count < buffer.count else { throw .badKey(path: path, reason: "file is longer than one key line") }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

/// A key file problem, as one line that names the file and says what to do.
public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `generate` found a file (or link) at the path and left it alone.
    case exists(path: String)
    /// `read` found nothing at the path.
    case missing(path: String)
    /// The path is a directory, device or the like.
    case notAFile(path: String)
    /// Group or others may read the file (`mode & 0o077 != 0`); `mode` is the permission bits.
    case readableByOthers(path: String, mode: UInt32)
    /// The contents are not one base64 private key; `reason` says how.
    case badKey(path: String, reason: String)
    /// A system call failed (`action` names it: create, write, open, stat, read).
    case system(path: String, action: String, errno: Int32)

    public var description: String {
        switch self {
        case let .exists(path):
            return "key file \(path) already exists: refusing to overwrite it (remove it first or choose another path)"
        case let .missing(path):
            return "key file \(path) does not exist (create one with 'flamewire keygen \(path)')"
        case let .notAFile(path):
            return "key file \(path) is not a regular file"
        case let .readableByOthers(path, mode):
            return "key file \(path) is readable by others (mode \(Self.octal(mode))): chmod 600 \(path)"
        case let .badKey(path, reason):
            return "key file \(path): \(reason)"
        case let .system(path, action, code):
            return "key file \(path): cannot \(action): \(String(cString: strerror(code)))"
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let s = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
