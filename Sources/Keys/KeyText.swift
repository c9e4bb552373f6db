import Foundation
import Noise

/// Why a key's text form was refused.
public enum KeyTextError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not 44 characters of standard base64 ending in "=" (WireGuard's form).
    case notBase64(length: Int)
    /// Valid base64 but not 32 bytes.
    case wrongLength(bytes: Int)

    public var description: String {
        switch self {
        case let .notBase64(length):
            return "not a base64 key (expected 44 characters like WireGuard's, got \(length))"
        case let .wrongLength(bytes):
            return "key decodes to \(bytes) bytes, expected 32"
        }
    }
}

/// 32 raw key bytes from WireGuard's text form: standard base64, 44 characters with one "=".
func decodeKeyText(_ text: String) throws(KeyTextError) -> [UInt8] {
    let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let data = Data(base64Encoded: t) else { throw .notBase64(length: t.count) }
    guard data.count == 32 else { throw .wrongLength(bytes: data.count) }
    guard t.count == 44 else { throw .notBase64(length: t.count) }
    return Array(data)
}

extension PublicKey {
    /// The key as WireGuard writes it: 44 characters of standard base64.
    public var base64: String { Data(rawRepresentation).base64EncodedString() }

    /// A key from its 44-character base64 form (surrounding whitespace ignored).
    public init(base64 text: String) throws(KeyTextError) {
        let raw = try decodeKeyText(text)
        do { try self.init(rawRepresentation: raw) } catch { throw .wrongLength(bytes: raw.count) }
    }
}

extension PrivateKey {
    /// The key as WireGuard writes it: 44 characters of standard base64. Secret: only for key files.
    public var base64: String { Data(rawRepresentation).base64EncodedString() }

    /// A key from its 44-character base64 form (surrounding whitespace ignored).
    public init(base64 text: String) throws(KeyTextError) {
        let raw = try decodeKeyText(text)
        do { try self.init(rawRepresentation: raw) } catch { throw .wrongLength(bytes: raw.count) }
    }
}
