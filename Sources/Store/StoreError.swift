/// Why the store could not do what was asked, in words an operator can act on.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database file could not be opened or created.
    case open(path: String, String)
    /// SQLite refused a statement (full disk, read-only file, corruption, …).
    case sqlite(path: String, code: Int32, String)
    /// A stored blob does not decode: the file was changed by something else or is corrupt.
    case corrupt(String)
    /// A request the store cannot answer (unknown stream, empty range, …).
    case invalid(String)
    /// A store server (ClickHouse) could not be reached or refused a request; `transient`
    /// when the same request may succeed later (the server is down, slow or restarting).
    case server(String, transient: Bool)

    public var description: String {
        switch self {
        case .open(let path, let why): return "cannot open the store \(path): \(why)"
        case .sqlite(let path, let code, let why):
            let hint: String
            switch code & 0xff {
            case 13: hint = " (the disk is full: free space or move --data)"
            case 8: hint = " (the file is read-only)"
            case 11, 26: hint = " (the file is not a FlameWire database or is corrupt)"
            case 5, 6: hint = " (another process holds the database)"
            default: hint = ""
            }
            return "store \(path): \(why)\(hint)"
        case .corrupt(let why): return "the store holds a corrupt record: \(why)"
        case .invalid(let why): return why
        case .server(let why, _): return why
        }
    }

    /// True when the store may take the same windows later (a full disk, a store server
    /// that is down or slow): the collector keeps running, holds the durable watermark and
    /// retries, instead of giving up.
    public var isTransient: Bool {
        if case .server(_, let transient) = self { return transient }
        return isDiskFull
    }

    /// True for a full disk: the collector keeps running and retries.
    public var isDiskFull: Bool {
        if case .sqlite(_, let code, _) = self { return code & 0xff == 13 }
        return false
    }
}
