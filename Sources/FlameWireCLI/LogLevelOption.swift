import EventLog
import Foundation
import Logging

/// `--log-level` on the long-running commands: one line per event on standard error.
enum LogLevelOption {
    static func logger(_ prefix: String, level text: String) throws -> Logger {
        guard let level = Logger.level(parsing: text) else {
            throw CLIError("--log-level \(text): give trace, debug, info, notice, warning, error or critical")
        }
        return .lines(prefix, level: level) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
