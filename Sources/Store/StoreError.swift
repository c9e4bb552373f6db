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
        }
    }

    /// True for a full disk: the collector keeps running and retries.
    public var isDiskFull: Bool {
        if case .sqlite(_, let code, _) = self { return code & 0xff == 13 }
        return false
    }
}
