import FEC
import WireFuzzSupport

/// libFuzzer entry point for the Reed–Solomon erasure code (`ReedSolomon`, `GF256`).
///
/// The input (format: `FECInput` in WireFuzzSupport) gives k, a symbol size, a kernel,
/// source bytes and the symbol indices a receiver holds. The block is encoded for real,
/// the held symbols are taken from it (and, in corrupt mode, damaged), and
/// `ReedSolomon.decode` runs on them. Findings besides crashes:
/// - with ≥ k distinct, undamaged symbols, decode does not return the source exactly;
/// - with fewer, it does not throw `notEnoughSymbols(have:need:)` with the right counts;
/// - decode throws `.singular` (every square Cauchy submatrix is invertible);
/// - a damaged input (wrong size, index out of range) is not rejected, or a successful
///   decode returns a block of the wrong length;
/// - the AVX2, SSSE3 and portable kernels give different parity (kernel mode 3);
/// - `ReedSolomon(sourceCount:)` and `encodeParity` accept what they must reject.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFEC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let input = FECInput.parse(bytes) else { return 0 }
    let k = input.k, s = input.symbolSize
    let code: ReedSolomon
    do {
        code = try ReedSolomon(sourceCount: k)
    } catch {
        check(k < 1 || k > 255, "ReedSolomon(sourceCount: \(k)) failed: \(error)")
        check(error == .invalidSourceCount(k), "ReedSolomon(sourceCount: \(k)) threw \(error)")
        return 0
    }
    check(k <= 255, "ReedSolomon accepted k = \(k)")

    let kernels: [GF256.Kernel] = input.kernel == 3 ? [.avx2, .ssse3, .portable] : [[GF256.Kernel.portable, .ssse3, .avx2][input.kernel]]
    defer { GF256.force(.avx2) }  // back to the best kernel the CPU has

    // Parity for every index the input names, with each kernel; all kernels must agree.
    let parityIndices = Set(input.entries.map(\.index).filter { $0 >= k && $0 < 256 }).sorted()
    var parity: [Int: [UInt8]] = [:]
    for (n, kernel) in kernels.enumerated() {
        GF256.force(kernel)
        let p = encode(code, parityIndices, input.source, s)
        if n == 0 {
            parity = p
        } else {
            for (i, bytes) in p { check(parity[i] == bytes, "kernel \(GF256.kernel) gives other parity for index \(i) (k \(k), size \(s))") }
        }
    }
    // Rejections of encodeParity.
    do {
        _ = try code.encodeParity(indices: [k - 1], source: input.source, symbolSize: s)
        check(false, "encodeParity accepted source index \(k - 1)")
    } catch { check(error == .indexOutOfRange(index: k - 1, k: k), "encodeParity(index: \(k - 1)) threw \(error)") }
    if k < 255 {
        do {
            _ = try code.encodeParity(indices: [k], source: input.source + [0], symbolSize: s)
            check(false, "encodeParity accepted a source of the wrong size")
        } catch { check(error == .sizeMismatch, "encodeParity with a wrong source size threw \(error)") }
    }

    // The symbols a receiver holds.
    var held: [Int: [UInt8]] = [:]
    var damaged = false, badShape = false
    for (index, op) in input.entries {
        var key = index
        var symbol = index < k ? Array(input.source[(index * s)..<((index + 1) * s)]) : parity[index]!
        var flipped = false, bad = false
        switch op {
        case .keep: break
        case .flip(let at):
            if s > 0 { symbol[at % s] ^= 0x5A; flipped = true }
        case .wrongSize:
            if symbol.isEmpty || index & 1 == 0 { symbol.append(UInt8(truncatingIfNeeded: index)) } else { symbol.removeLast() }
            bad = true
        case .badIndex:
            key = index & 1 == 0 ? 256 + index : -1 - index
            bad = true
        }
        // The first symbol with an index counts; later ones are duplicates a receiver ignores.
        if held[key] == nil {
            held[key] = symbol
            damaged = damaged || flipped
            badShape = badShape || bad
        }
    }
    let distinct = held.count

    var first: [UInt8]?
    for kernel in kernels {
        GF256.force(kernel)
        do {
            let out = try code.decode(held, symbolSize: s)
            if let first { check(out == first, "kernel \(GF256.kernel) decodes differently (k \(k), size \(s))") } else { first = out }
            check(!badShape, "decode accepted a symbol of the wrong size or index (k \(k), size \(s))")
            check(distinct >= k, "decode succeeded with \(distinct) of \(k) symbols")
            check(out.count == k * s, "decode returned \(out.count) bytes, not \(k * s)")
            if !damaged { check(out == input.source, "decode did not rebuild the source (k \(k), size \(s), indices \(held.keys.sorted()), kernel \(GF256.kernel))") }
        } catch {
            switch error {
            case .singular: check(false, "decode found a singular matrix for indices \(held.keys.sorted()) (k \(k))")
            case .notEnoughSymbols(let have, let need):
                check(!badShape && have == distinct && need == k && distinct < k, "notEnoughSymbols(have: \(have), need: \(need)) with \(distinct) of \(k)")
            case .sizeMismatch, .indexOutOfRange: check(badShape, "decode rejected good symbols: \(error)")
            case .invalidSourceCount: check(false, "decode threw \(error)")
            }
        }
    }
    return 0
}

private func encode(_ code: ReedSolomon, _ indices: [Int], _ source: [UInt8], _ s: Int) -> [Int: [UInt8]] {
    var out: [Int: [UInt8]] = [:]
    do {
        let p = try code.encodeParity(indices: indices, source: source, symbolSize: s)
        for (i, index) in indices.enumerated() { out[index] = p[i] }
    } catch { check(false, "encodeParity failed for valid indices: \(error)") }
    return out
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-fec invariant broken: \(message())") }
}
