/// A systematic Reed–Solomon erasure code over GF(2^8) with a Cauchy generator matrix.
///
/// A block has `k` source symbols of equal size, indexed 0..<k. Parity symbol with index
/// `k + p` (p ≥ 0) is `Σⱼ C[p][j] · source[j]` with `C[p][j] = 1 / ((k + p) ⊕ j)`. Every
/// square submatrix of a Cauchy matrix is invertible, so the receiver rebuilds the block
/// from ANY k distinct symbols, source or parity. Indices go up to 255, so a sender can
/// keep sending fresh parity (repair) that the receiver has not seen, and the receiver
/// never has to ask for a particular symbol.
public struct ReedSolomon: Sendable {
    /// Number of source symbols in the block.
    public let k: Int
    /// Largest symbol index + 1 (source and parity together).
    public static let maxSymbols = 256

    public init(sourceCount k: Int) throws(FECError) {
        guard k >= 1, k < Self.maxSymbols else { throw .invalidSourceCount(k) }
        self.k = k
    }

    /// How many distinct parity indices exist for this k.
    public var maxParity: Int { Self.maxSymbols - k }

    /// The generator coefficient of source symbol `j` in symbol `index` (≥ k).
    @inline(__always)
    public func coefficient(index: Int, source j: Int) -> UInt8 {
        GF256.inv(UInt8(truncatingIfNeeded: index) ^ UInt8(truncatingIfNeeded: j))
    }

    /// Writes the parity symbol `index` (k ≤ index < 256) of a block.
    /// - Parameters:
    ///   - source: the k source symbols back to back, `k * symbolSize` bytes.
    ///   - output: `symbolSize` bytes.
    public func encodeParity(index: Int, source: UnsafeRawBufferPointer, symbolSize: Int, into output: UnsafeMutableRawBufferPointer) throws(FECError) {
        guard index >= k, index < Self.maxSymbols else { throw .indexOutOfRange(index: index, k: k) }
        guard source.count == k * symbolSize, output.count >= symbolSize else { throw .sizeMismatch }
        guard symbolSize > 0 else { return }
        let src = source.baseAddress!, dst = output.baseAddress!
        GF256.mulSet(coefficient(index: index, source: 0), src, dst, count: symbolSize)
        for j in 1..<k {
            GF256.mulAdd(coefficient(index: index, source: j), src + j * symbolSize, dst, count: symbolSize)
        }
    }

    /// Convenience: the parity symbols with the given indices, for source bytes padded to
    /// `k * symbolSize`.
    public func encodeParity(indices: some Sequence<Int>, source: [UInt8], symbolSize: Int) throws(FECError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for index in indices {
            var parity = [UInt8](repeating: 0, count: symbolSize)
            var failure: FECError?
            source.withUnsafeBytes { s in
                parity.withUnsafeMutableBytes { p in
                    do throws(FECError) { try encodeParity(index: index, source: s, symbolSize: symbolSize, into: p) } catch { failure = error }
                }
            }
            if let failure { throw failure }
            out.append(parity)
        }
        return out
    }

    /// Rebuilds the k source symbols from at least k distinct symbols.
    ///
    /// - Parameter symbols: index → symbol bytes (each `symbolSize` long). Extra symbols
    ///   beyond k are ignored.
    /// - Returns: the source symbols back to back (`k * symbolSize` bytes).
    public func decode(_ symbols: [Int: [UInt8]], symbolSize: Int) throws(FECError) -> [UInt8] {
        var present: [(index: Int, bytes: [UInt8])] = []
        for (i, b) in symbols {
            guard i >= 0, i < Self.maxSymbols else { throw .indexOutOfRange(index: i, k: k) }
            guard b.count == symbolSize else { throw .sizeMismatch }
            present.append((i, b))
        }
        guard present.count >= k else { throw .notEnoughSymbols(have: present.count, need: k) }
        var out = [UInt8](repeating: 0, count: k * symbolSize)
        // Sources first, then the lowest parity indices: deterministic choice.
        present.sort { $0.index < $1.index }
        var haveSource = [Bool](repeating: false, count: k)
        var parityRows: [(index: Int, bytes: [UInt8])] = []
        for s in present {
            if s.index < k {
                haveSource[s.index] = true
                out.withUnsafeMutableBytes { o in
                    s.bytes.withUnsafeBytes { b in (o.baseAddress! + s.index * symbolSize).copyMemory(from: b.baseAddress!, byteCount: symbolSize) }
                }
            } else {
                parityRows.append(s)
            }
        }
        let missing = (0..<k).filter { !haveSource[$0] }
        if missing.isEmpty { return out }
        parityRows = Array(parityRows.prefix(missing.count))
        // For each used parity row r: parity_r - Σ_{known j} C[r][j]·src_j = Σ_{missing j} C[r][j]·src_j.
        // Solve the e×e system M · x = y with M[r][t] = C[r][missing[t]].
        let e = missing.count
        var m = [UInt8](repeating: 0, count: e * e)
        for (r, row) in parityRows.enumerated() {
            for (t, j) in missing.enumerated() { m[r * e + t] = coefficient(index: row.index, source: j) }
        }
        let inverse = try Self.invert(m, size: e)
        // y_r = parity_r ⊕ Σ_known C[r][j]·src_j
        var y = [UInt8](repeating: 0, count: e * symbolSize)
        y.withUnsafeMutableBytes { yb in
            out.withUnsafeBytes { ob in
                for (r, row) in parityRows.enumerated() {
                    let dst = yb.baseAddress! + r * symbolSize
                    row.bytes.withUnsafeBytes { pb in dst.copyMemory(from: pb.baseAddress!, byteCount: symbolSize) }
                    for j in 0..<k where haveSource[j] {
                        GF256.mulAdd(coefficient(index: row.index, source: j), ob.baseAddress! + j * symbolSize, dst, count: symbolSize)
                    }
                }
            }
        }
        // x_t = Σ_r inverse[t][r] · y_r, written straight into the missing source slots.
        out.withUnsafeMutableBytes { ob in
            y.withUnsafeBytes { yb in
                for (t, j) in missing.enumerated() {
                    let dst = ob.baseAddress! + j * symbolSize
                    GF256.mulSet(inverse[t * e], yb.baseAddress!, dst, count: symbolSize)
                    for r in 1..<e { GF256.mulAdd(inverse[t * e + r], yb.baseAddress! + r * symbolSize, dst, count: symbolSize) }
                }
            }
        }
        return out
    }

    /// Gauss–Jordan inversion of a size×size matrix over GF(256).
    static func invert(_ matrix: [UInt8], size n: Int) throws(FECError) -> [UInt8] {
        var a = matrix
        var inv = [UInt8](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            guard let pivot = (col..<n).first(where: { a[$0 * n + col] != 0 }) else { throw .singular }
            if pivot != col {
                for c in 0..<n {
                    a.swapAt(pivot * n + c, col * n + c)
                    inv.swapAt(pivot * n + c, col * n + c)
                }
            }
            let scale = GF256.inv(a[col * n + col])
            for c in 0..<n {
                a[col * n + c] = GF256.mul(a[col * n + c], scale)
                inv[col * n + c] = GF256.mul(inv[col * n + c], scale)
            }
            for r in 0..<n where r != col {
                let f = a[r * n + col]
                if f == 0 { continue }
                for c in 0..<n {
                    a[r * n + c] ^= GF256.mul(f, a[col * n + c])
                    inv[r * n + c] ^= GF256.mul(f, inv[col * n + c])
                }
            }
        }
        return inv
    }
}

/// Errors from the erasure code.
public enum FECError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidSourceCount(Int)
    case indexOutOfRange(index: Int, k: Int)
    case sizeMismatch
    case notEnoughSymbols(have: Int, need: Int)
    case singular

    public var description: String {
        switch self {
        case .invalidSourceCount(let k): return "a block must have 1 to 255 source symbols, not \(k)"
        case .indexOutOfRange(let i, let k): return "symbol index \(i) is out of range for a block of \(k) source symbols (parity indices are \(k)..255)"
        case .sizeMismatch: return "symbols of one block must all have the same size"
        case .notEnoughSymbols(let have, let need): return "cannot rebuild the block: \(have) distinct symbols received, \(need) needed"
        case .singular: return "internal error: the decoding matrix is singular"
        }
    }
}
