/// Label keys and values repeat on every sample ("bytes" on each heap sample): the last
/// few are kept, so most lookups skip the dictionary's string hash.
///
/// Ids name bytes, so a hit must have the same bytes, not just Swift's canonical
/// equivalence. For an ASCII text, `==` with the same UTF-8 length implies the same bytes
/// (a non-ASCII scalar equivalent to ASCII, such as U+212A KELVIN SIGN, is longer than
/// what it stands for), and `==` on identical small strings is a register compare.
struct RecentStrings {
    private var texts: [String] = []
    private var lengths: [Int] = []
    private var ascii: [Bool] = []
    private var ids: [EntryID] = []
    private var next = 0
    private var last = 0

    @inline(__always)
    private func matches(_ k: Int, _ s: String, _ n: Int) -> Bool {
        lengths[k] == n && texts[k] == s && (ascii[k] || sameUTF8(texts[k], s))
    }

    mutating func id(_ s: String, _ d: inout WireDictionary) -> EntryID {
        if s.isEmpty { return d.emptyString }
        let n = s.utf8.count
        if last < texts.count, matches(last, s, n) { return ids[last] }
        for k in texts.indices where matches(k, s, n) { last = k; return ids[k] }
        let id = d.intern(string: s)
        let isASCII = s.utf8.allSatisfy { $0 < 0x80 }
        if texts.count < 8 {
            texts.append(s); lengths.append(n); ascii.append(isASCII); ids.append(id)
        } else {
            texts[next] = s; lengths[next] = n; ascii[next] = isASCII; ids[next] = id
            next = (next + 1) % 8
        }
        return id
    }
}
