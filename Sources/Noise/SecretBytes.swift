import CLibcrypto

/// Secret bytes (a chaining key, a private key, a cookie secret) in storage of their own
/// that is zeroed, with `OPENSSL_cleanse`, when the last reference goes.
///
/// Immutable: a new value replaces an old one (so holders keep value semantics and the old
/// storage is wiped as soon as nothing refers to it). `[UInt8]` copies taken from it
/// (`bytes`) are the taker's to wipe; inside this module secrets are read through
/// `withUnsafeBytes` instead.
final class SecretBytes: @unchecked Sendable {
    // @unchecked: the storage is written only in init and deinit, never while shared.
    private let storage: UnsafeMutableRawBufferPointer

    /// A copy of `bytes`.
    init(_ bytes: some Collection<UInt8>) {
        storage = .allocate(byteCount: max(1, bytes.count), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        _ = UnsafeMutableRawBufferPointer(rebasing: storage[..<bytes.count]).initializeMemory(as: UInt8.self, from: bytes)
        count = bytes.count
    }

    /// Takes `bytes` over: copies them, then zeroes the array (which must be the only
    /// reference to its storage for that to reach the original bytes).
    convenience init(wiping bytes: inout [UInt8]) {
        self.init(bytes)
        bytes.wipe()
    }

    /// The number of bytes.
    let count: Int

    deinit {
        flamewire_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }

    /// A copy as an array (not wiped by this object).
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Equal contents, compared in time independent of where they differ.
    func isEqual(to other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                var diff: UInt8 = 0
                for i in 0..<count { diff |= a[i] ^ b[i] }
                return diff == 0
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Zeroes the elements in place (`OPENSSL_cleanse`, which the compiler keeps). Reaches
    /// the original bytes only when this array is the sole reference to its storage;
    /// otherwise Swift copies first and the zeroes land in the copy.
    mutating func wipe() {
        withUnsafeMutableBytes { flamewire_cleanse($0.baseAddress, $0.count) }
    }
}
