import Foundation
import Keys
import Noise

/// The agents a collector answers, from `--allow` keys and an `--allow-file` (one base64
/// public key per line; blank lines and `#` comments ignored), re-read on SIGHUP so a key
/// is revoked without a restart.
public enum AllowList {
    /// Reads an allow file; the error names the file and line.
    public static func read(_ path: String) throws(AllowListError) -> Set<PublicKey> {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        var keys = Set<PublicKey>()
        for (i, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            do { keys.insert(try PublicKey(base64: text)) } catch { throw .badKey(path: path, line: i + 1, "\(error)") }
        }
        return keys
    }
}

public enum AllowListError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case badKey(path: String, line: Int, String)

    public var description: String {
        switch self {
        case .unreadable(let p): return "cannot read the allow file \(p)"
        case .badKey(let p, let line, let why): return "\(p):\(line): not an agent public key: \(why)"
        }
    }
}

extension CollectorRuntime {
    /// Replaces the allow list with `keys`; agents no longer on it lose their sessions at once.
    /// Returns a line for the log.
    public func setAllowedAgents(_ keys: Set<PublicKey>) async -> String {
        guard let revoked = try? await endpoint.withEach({ c, _ in c.setAllowedAgents(keys) }).joined() else {
            return "allow list: the collector is closing"
        }
        let gone = revoked.map { String($0.base64.prefix(12)) + "…" }.sorted()
        return "allow list reloaded: \(keys.count) agent keys\(gone.isEmpty ? "" : "; sessions ended for \(gone.joined(separator: ", "))")"
    }
}
