import ArgumentParser
import Keys

/// `flamewire keygen`: a new private key file for an agent or a collector.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a private key file (mode 0600) and print its public key.",
        discussion: """
            The file holds one line, the X25519 private key in base64 (as 'wg genkey' writes
            it). An existing file is never overwritten. Give the printed public key to the
            other side: agents pin the collector's key, collectors allow agents' keys.

            With --psk the file holds a random 32-byte preshared key instead (as 'wg genpsk'
            writes it): give the same file to the collector and its agents with --psk-file,
            and a handshake also needs it (a second secret beside the keys).

            Examples:
              flamewire keygen /etc/flamewire/collector.key
              flamewire keygen agent.key > agent.pub
              flamewire keygen --psk /etc/flamewire/site.psk
            """)

    @Argument(help: "Where to write the private key; must not exist yet.")
    var path: String

    @Flag(help: "Write a preshared key (for --psk-file) instead of a private key.")
    var psk = false

    func run() throws {
        do {
            if psk {
                _ = try KeyFile.generatePresharedKey(path)
                return
            }
            let key = try KeyFile.generate(path)
            print(key.publicKey.base64)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// `flamewire pubkey`: the public key of an existing private key file.
struct PubkeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey",
        abstract: "Print the public key (base64) of a private key file.",
        discussion: """
            Examples:
              flamewire pubkey /etc/flamewire/collector.key
            """)

    @Argument(help: "A private key file written by 'flamewire keygen' (mode 0600).")
    var path: String

    func run() throws {
        do {
            print(try KeyFile.read(path).publicKey.base64)
        } catch {
            throw CLIError(error.description)
        }
    }
}
