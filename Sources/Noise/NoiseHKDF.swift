import Crypto

/// The hash functions of `Noise_*_25519_ChaChaPoly_SHA256` (Noise rev 34, §4.3 and §12.5).
enum NoiseHash {
    static let hashLength = 32

    static func hash(_ parts: [UInt8]...) -> [UInt8] {
        var h = SHA256()
        for p in parts { h.update(data: p) }
        return Array(h.finalize())
    }

    static func hmac(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        key.withUnsafeBytes { hmac(key: $0, parts) }
    }

    /// HMAC-SHA256 keyed with `key` (copied into swift-crypto's `SymmetricKey`, whose
    /// storage is zeroed when freed).
    static func hmac(key: UnsafeRawBufferPointer, _ parts: [[UInt8]]) -> [UInt8] {
        var m = HMAC<SHA256>(key: SymmetricKey(data: key))
        for p in parts { m.update(data: p) }
        return Array(m.finalize())
    }

    /// Noise's HKDF(chaining_key, input_key_material, 2): exactly the spec's construction
    /// from HMAC-HASH (temp_key = HMAC(ck, ikm); output_i = HMAC(temp_key, output_{i-1} ‖ byte(i))).
    /// temp_key is zeroed before returning; the outputs are the caller's to wipe.
    static func hkdf2(chainingKey: SecretBytes, inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        var temp = chainingKey.withUnsafeBytes { hmac(key: $0, [inputKeyMaterial]) }
        defer { temp.wipe() }
        let o1 = hmac(key: temp, [0x01])
        let o2 = hmac(key: temp, o1, [0x02])
        return (o1, o2)
    }

    /// Noise's HKDF(chaining_key, input_key_material, 3).
    static func hkdf3(chainingKey: SecretBytes, inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8], [UInt8]) {
        var temp = chainingKey.withUnsafeBytes { hmac(key: $0, [inputKeyMaterial]) }
        defer { temp.wipe() }
        let o1 = hmac(key: temp, [0x01])
        let o2 = hmac(key: temp, o1, [0x02])
        let o3 = hmac(key: temp, o2, [0x03])
        return (o1, o2, o3)
    }
}
