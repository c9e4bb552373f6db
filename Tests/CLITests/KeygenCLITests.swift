import Foundation
import Testing

/// `flamewire keygen` and `flamewire pubkey`.
@Suite struct KeygenCLITests {
    static func freshDir() throws -> String {
        let dir = try scratch("keys-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func keygenWritesAFileAndPubkeyReadsIt() throws {
        let path = try Self.freshDir() + "/collector.key"
        let g = try CLI.run(["keygen", path])
        #expect(g.status == 0, "\(g.stderr)")
        let pub = g.out.trimmingCharacters(in: .newlines)
        #expect(pub.count == 44 && g.out.hasSuffix("\n"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let p = try CLI.run(["pubkey", path])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.out == g.out)
        #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines) != pub, "the file holds the private key")
    }

    @Test func errorsAreOneReadableLine() throws {
        let dir = try Self.freshDir()
        let path = dir + "/agent.key"
        #expect(try CLI.run(["keygen", path]).status == 0)
        expectOneLineError(try CLI.run(["keygen", path]), contains: "key file \(path) already exists")
        chmod(path, 0o644)
        expectOneLineError(try CLI.run(["pubkey", path]), contains: "key file \(path) is readable by others (mode 0644): chmod 600 \(path)")
        expectOneLineError(try CLI.run(["pubkey", dir + "/missing.key"]), contains: "does not exist")
        expectOneLineError(try CLI.run(["keygen"]), contains: "Missing expected argument")
    }
}
