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
        var m = HMAC<SHA256>(key: SymmetricKey(data: key))
        for p in parts { m.update(data: p) }
        return Array(m.finalize())
    }

    /// Noise's HKDF(chaining_key, input_key_material, 2): exactly the spec's construction
    /// from HMAC-HASH (temp_key = HMAC(ck, ikm); output_i = HMAC(temp_key, output_{i-1} ‖ byte(i))).
    static func hkdf2(chainingKey: [UInt8], inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        let temp = hmac(key: chainingKey, inputKeyMaterial)
        let o1 = hmac(key: temp, [0x01])
        let o2 = hmac(key: temp, o1, [0x02])
        return (o1, o2)
    }

    /// Noise's HKDF(chaining_key, input_key_material, 3).
    static func hkdf3(chainingKey: [UInt8], inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8], [UInt8]) {
        let temp = hmac(key: chainingKey, inputKeyMaterial)
        let o1 = hmac(key: temp, [0x01])
        let o2 = hmac(key: temp, o1, [0x02])
        let o3 = hmac(key: temp, o2, [0x03])
        return (o1, o2, o3)
    }
}
