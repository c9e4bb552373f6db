import CGF256

/// Arithmetic in GF(2^8) with the polynomial x⁸+x⁴+x³+x²+1 (0x11D) and generator 2.
///
/// Bulk operations over whole symbols run in C with AVX2/SSSE3 shuffles (`CGF256`).
public enum GF256 {
    @inlinable public static func add(_ a: UInt8, _ b: UInt8) -> UInt8 { a ^ b }
    public static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 { fw_gf_mul(a, b) }
    /// The inverse of a non-zero element.
    public static func inv(_ a: UInt8) -> UInt8 {
        precondition(a != 0, "0 has no inverse in GF(256)")
        return fw_gf_inv(a)
    }
    public static func div(_ a: UInt8, _ b: UInt8) -> UInt8 { mul(a, inv(b)) }

    /// `dst[i] ^= c · src[i]` over `count` bytes.
    @inline(__always)
    public static func mulAdd(_ c: UInt8, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, count: Int) {
        fw_gf_mul_add(c, src.assumingMemoryBound(to: UInt8.self), dst.assumingMemoryBound(to: UInt8.self), count)
    }

    /// `dst[i] = c · src[i]` over `count` bytes.
    @inline(__always)
    public static func mulSet(_ c: UInt8, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, count: Int) {
        fw_gf_mul_set(c, src.assumingMemoryBound(to: UInt8.self), dst.assumingMemoryBound(to: UInt8.self), count)
    }

    /// The bulk kernel in use: `.avx2`, `.ssse3` or `.portable`.
    public enum Kernel: Int32, Sendable { case portable = 0, ssse3 = 1, avx2 = 2 }
    public static var kernel: Kernel { Kernel(rawValue: fw_gf_kernel()) ?? .portable }
    /// Forces a kernel (benchmarks and tests compare them); falls back when the CPU lacks it.
    @discardableResult
    public static func force(_ k: Kernel) -> Kernel { Kernel(rawValue: fw_gf_force_kernel(k.rawValue)) ?? .portable }
}
