/// Hex helpers for the tests.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
}

func unhex(_ s: String) -> [UInt8] {
    let chars = Array(s.utf8.filter { $0 != 32 })
    precondition(chars.count % 2 == 0, "odd hex length")
    return stride(from: 0, to: chars.count, by: 2).map { i in
        UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16)!
    }
}

/// A small deterministic generator (SplitMix64) for reproducible keys and nonces.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
