import Logging

/// A swift-log handler that writes each event as one line, for a person reading a terminal
/// or a journal: `flamewire agent: warning: heap: connection refused; retrying [kind=heap]`.
///
/// Information-level events carry no level word (they are the normal story of a run);
/// every other level names itself, so `grep warning:` finds what needs attention. Metadata
/// follows the message in brackets, sorted by key, so lines compare stably. Nothing here
/// formats keys or secrets: callers log public keys at most.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    /// What starts every line, such as `flamewire agent`.
    public let prefix: String
    let sink: @Sendable (String) -> Void

    /// A handler writing `prefix: …` lines to `sink` (one call per event, no newline).
    public init(prefix: String, level: Logger.Level = .info, sink: @escaping @Sendable (String) -> Void) {
        self.prefix = prefix
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        sink(Self.format(prefix: prefix, level: level, message: "\(message)", metadata: self.metadata.merging(explicit ?? [:]) { $1 }))
    }

    /// The line for one event (without a newline).
    public static func format(prefix: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var s = prefix + ": "
        if level != .info { s += "\(level): " }
        // One event, one line: a message that holds newlines keeps them escaped.
        s += message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n")
        if !metadata.isEmpty {
            s += " [" + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]"
        }
        return s
    }
}

extension Logger {
    /// A logger writing one line per event through `LineLogHandler`.
    public static func lines(_ prefix: String, level: Logger.Level = .info, sink: @escaping @Sendable (String) -> Void) -> Logger {
        Logger(label: prefix) { _ in LineLogHandler(prefix: prefix, level: level, sink: sink) }
    }

    /// A logger that drops everything (the default where a caller gives none).
    public static var silent: Logger { Logger(label: "flamewire.silent") { _ in SwiftLogNoOpLogHandler() } }

    /// Reads a `--log-level` value: trace, debug, info, notice, warning, error or critical.
    public static func level(parsing text: String) -> Logger.Level? { Logger.Level(rawValue: text.lowercased()) }
}
