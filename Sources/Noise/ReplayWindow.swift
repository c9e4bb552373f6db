/// Replay protection for packet numbers (RFC 6479 style): the highest packet number
/// accepted and a bitmap of the 2048 below and including it, as a ring of 64-bit words.
///
/// Use `check` before decrypting (cheap refusal of replays and stale packets) and
/// `commit` only after the tag verified, so a forged packet can neither be accepted nor
/// move the window.
public struct ReplayWindow: Sendable {
    /// How many packet numbers, ending at the highest accepted, are remembered.
    public static let size: UInt64 = 2048
    static let wordCount = Int(size / 64) + 1  // one spare word, so sliding clears whole words

    var words: [UInt64]
    /// The highest committed packet number (meaningless while `isEmpty`).
    public private(set) var highest: UInt64 = 0
    /// True until the first commit.
    public private(set) var isEmpty = true

    /// An empty window: every packet number is new.
    public init() {
        words = [UInt64](repeating: 0, count: Self.wordCount)
    }

    /// Whether `pn` would be accepted: newer than the highest, or within the last 2048
    /// and not yet committed.
    public func check(_ pn: UInt64) -> Bool {
        if isEmpty || pn > highest { return true }
        if highest - pn >= Self.size { return false }
        let (w, bit) = Self.position(pn)
        return words[w] & bit == 0
    }

    /// Records `pn` as received (after its tag verified), sliding the window forward when
    /// `pn` is the new highest. A `pn` that `check` would refuse changes nothing.
    public mutating func commit(_ pn: UInt64) {
        guard check(pn) else { return }
        if isEmpty || pn > highest {
            let newBlock = pn / 64
            if isEmpty {
                for i in words.indices { words[i] = 0 }
            } else {
                let oldBlock = highest / 64
                let steps = min(newBlock - oldBlock, UInt64(Self.wordCount))
                var b = oldBlock
                for _ in 0..<steps {
                    b += 1
                    words[Int(b % UInt64(Self.wordCount))] = 0
                }
            }
            highest = pn
            isEmpty = false
        }
        let (w, bit) = Self.position(pn)
        words[w] |= bit
    }

    static func position(_ pn: UInt64) -> (Int, UInt64) {
        (Int((pn / 64) % UInt64(wordCount)), 1 << (pn % 64))
    }
}
