/// What is wrong with a folded-stacks input, and where.
public enum FoldedError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The line has no count after its stack (`a;b;c` instead of `a;b;c 12`).
    case missingCount(line: Int)
    /// The count is not a non-negative integer that fits in 63 bits.
    case badCount(line: Int, text: String)
    /// The line has a count but no frames before it.
    case emptyStack(line: Int)
    /// A frame name is not valid UTF-8.
    case invalidUTF8(line: Int)
    /// A stack has more frames than `FoldedParser.maxDepth`.
    case tooDeep(line: Int, depth: Int)
    /// The sum of counts does not fit in a signed 64-bit integer.
    case totalOverflow(line: Int)

    public var description: String {
        switch self {
        case .missingCount(let l): return "line \(l): no count after the stack (expected 'frame;frame;frame COUNT')"
        case .badCount(let l, let t): return "line \(l): count '\(t)' is not a non-negative integer below 2^63"
        case .emptyStack(let l): return "line \(l): a count without any frames"
        case .invalidUTF8(let l): return "line \(l): a frame name is not valid UTF-8"
        case .tooDeep(let l, let d): return "line \(l): the stack has \(d) frames, more than the limit of \(FoldedParser.maxDepth)"
        case .totalOverflow(let l): return "line \(l): the counts add up to more than 2^63-1"
        }
    }

    /// The 1-based line the error was found on.
    public var line: Int {
        switch self {
        case .missingCount(let l), .badCount(let l, _), .emptyStack(let l), .invalidUTF8(let l),
             .tooDeep(let l, _), .totalOverflow(let l): return l
        }
    }
}
