import Agent
import ArgumentParser

/// The `flamewire` command: argument parsing only; the work is done by library modules.
public struct FlameWireCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flamewire",
        abstract: "Ship pprof profiles over bad networks and turn them into flame graphs.",
        discussion: """
            Examples:
              flamewire render cpu.pb.gz -o cpu.svg
              flamewire render heap.pb.gz --sample-index alloc_space --palette mem -o allocs.svg
              flamewire render stacks.folded --title "Checkout service" -o checkout.svg
              flamewire merge heap-*.pb.gz -o merged.pb.gz
              flamewire inspect cpu.pb.gz
              flamewire wire-size heap-*.pb.gz --loss 0.12
              flamewire keygen collector.key
              flamewire relay --listen 127.0.0.1:7001 --forward 127.0.0.1:7000 --loss 12% --delay 160ms
            """,
        version: "0.1.0",
        subcommands: [RenderCommand.self, MergeCommand.self, InspectCommand.self, WireSizeCommand.self, SimulateCommand.self, AgentCommand.self, CollectCommand.self, RelayCommand.self, KeygenCommand.self, PubkeyCommand.self]
    )

    public init() {}

    /// Sets the process up for the command `arguments` names, before anything runs: `agent`
    /// runs its tasks and sockets on one event loop (`AgentThreads`).
    public static func prepareProcess(_ arguments: [String]) {
        if arguments.dropFirst().first == "agent" { AgentThreads.useOneEventLoop() }
    }

    /// Runs the command line and exits. Every failure is one line on standard error,
    /// `flamewire: error: ...`, and a non-zero exit status.
    public static func runMain(_ arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            Glibc.exit(0)
        } catch let error as FileError {
            fail(error.description)
        } catch let error as CLIError {
            fail(error.description)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message + " (see 'flamewire --help')", code: code.rawValue)
        }
    }

    static func fail(_ message: String, code: Int32 = 1) -> Never {
        var stderr = StandardError()
        print("flamewire: error: \(message)", to: &stderr)
        Glibc.exit(code == 0 ? 1 : code)
    }
}

/// A usage problem found after parsing, with a message a user can act on.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { b in _ = Glibc.write(2, b.baseAddress, b.count) }
    }
}

import ProfileFiles
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
