import Foundation
import Testing
import Keys
import Noise

/// Key text and key files.
struct KeysTests {
    /// A fresh temporary directory per test.
    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    @Test func base64RoundTripsInWireGuardForm() throws {
        let key = try PrivateKey(rawRepresentation: [UInt8](repeating: 0x42, count: 32))
        #expect(key.base64.count == 44 && key.base64.hasSuffix("="))
        #expect(try PrivateKey(base64: key.base64) == key)
        #expect(try PublicKey(base64: key.publicKey.base64 + "\n") == key.publicKey)
        // RFC 7748 §6.1: Alice's private and public key, in base64.
        let alice = try PrivateKey(base64: Data([
            0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
            0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
        ]).base64EncodedString())
        #expect(alice.publicKey.base64 == Data([
            0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
            0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
        ]).base64EncodedString())
    }

    @Test func badTextIsRefusedClearly() {
        #expect(throws: KeyTextError.notBase64(length: 5)) { try PublicKey(base64: "hello") }
        #expect(throws: KeyTextError.wrongLength(bytes: 3)) { try PublicKey(base64: "AQID") }
        #expect(throws: KeyTextError.wrongLength(bytes: 33)) { try PublicKey(base64: Data(count: 33).base64EncodedString()) }
        #expect(KeyTextError.wrongLength(bytes: 3).description.contains("expected 32"))
    }

    @Test func generateWritesMode0600AndReadGivesTheSameKey() throws {
        let path = try Self.tempDir() + "/agent.key"
        let key = try KeyFile.generate(path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == key.base64 + "\n")
        #expect(try KeyFile.read(path) == key)
    }

    /// `keygen --psk`: 32 random bytes in one base64 line, mode 0600, read back exactly; a
    /// private key's rules (no overwrite, not readable by others) hold for it too.
    @Test func presharedKeysRoundTripUnderTheSameRules() throws {
        let path = try Self.tempDir() + "/site.psk"
        let psk = try KeyFile.generatePresharedKey(path)
        #expect(psk.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try KeyFile.readPresharedKey(path) == psk)
        #expect(try KeyFile.generatePresharedKey(try Self.tempDir() + "/other.psk") != psk)
        #expect(throws: KeyFileError.exists(path: path)) { try KeyFile.generatePresharedKey(path) }
        chmod(path, 0o644)
        #expect(throws: KeyFileError.readableByOthers(path: path, mode: 0o644)) { try KeyFile.readPresharedKey(path) }
        let short = try Self.tempDir() + "/short.psk"
        FileManager.default.createFile(atPath: short, contents: Data("c2hvcnQ=\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: KeyFileError.self) { try KeyFile.readPresharedKey(short) }
    }

    @Test func generateRefusesToOverwrite() throws {
        let path = try Self.tempDir() + "/agent.key"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: KeyFileError.exists(path: path)) { try KeyFile.generate(path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me\n")
        let missingDir = try Self.tempDir() + "/no/such/dir/k"
        #expect(throws: KeyFileError.self) { try KeyFile.generate(missingDir) }
    }

    @Test func readRefusesFilesOthersCanRead() throws {
        let path = try Self.tempDir() + "/agent.key"
        _ = try KeyFile.generate(path)
        chmod(path, 0o644)
        do {
            _ = try KeyFile.read(path)
            Issue.record("a 0644 key file was accepted")
        } catch {
            #expect(error == .readableByOthers(path: path, mode: 0o644))
            #expect(error.description == "key file \(path) is readable by others (mode 0644): chmod 600 \(path)")
        }
        chmod(path, 0o640)
        #expect(throws: KeyFileError.readableByOthers(path: path, mode: 0o640)) { try KeyFile.read(path) }
        chmod(path, 0o400)
        _ = try KeyFile.read(path)
    }

    @Test func readErrorsNameTheFile() throws {
        let dir = try Self.tempDir()
        #expect(throws: KeyFileError.missing(path: dir + "/nope")) { try KeyFile.read(dir + "/nope") }
        #expect(throws: KeyFileError.notAFile(path: dir)) { try KeyFile.read(dir) }
        for (name, text) in [("bad", "not a key\n"), ("short", "AQID\n"), ("empty", "")] {
            let path = dir + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            do {
                _ = try KeyFile.read(path)
                Issue.record("\(name) accepted")
            } catch {
                guard case .badKey(path, _) = error else { Issue.record("\(error)"); continue }
                #expect(error.description.hasPrefix("key file \(path): "))
                #expect(!error.description.contains("\n"))
            }
        }
    }
}
