/// A DiffServ code point (RFC 2474), the six high bits of the IPv4 TOS / IPv6 traffic
/// class byte, which the agent sets on every datagram it sends.
public struct DSCP: Equatable, Sendable, CustomStringConvertible {
    /// 0–63.
    public let value: UInt8

    public init?(_ value: Int) {
        guard (0...63).contains(value) else { return nil }
        self.value = UInt8(value)
    }

    /// A class name (`ef`, `af11`…`af43`, `cs0`…`cs7`, `va`, `le`) or a number 0–63.
    public init(parsing text: String) throws(RuntimeError) {
        let t = text.lowercased()
        if let n = Int(t) {
            guard let d = DSCP(n) else { throw .badDSCP(text) }
            self = d
            return
        }
        let named: [String: Int] = ["ef": 46, "va": 44, "le": 1]
        if let n = named[t] { self.value = UInt8(n); return }
        if t.hasPrefix("cs"), let n = Int(t.dropFirst(2)), (0...7).contains(n) { self.value = UInt8(n << 3); return }
        if t.hasPrefix("af"), t.count == 4, let c = Int(String(Array(t)[2])), let p = Int(String(Array(t)[3])),
           (1...4).contains(c), (1...3).contains(p) {
            self.value = UInt8(c << 3 | p << 1)
            return
        }
        throw .badDSCP(text)
    }

    /// The TOS / traffic class byte: DSCP << 2, the ECN bits zero.
    public var trafficClass: Int { Int(value) << 2 }

    public var description: String { "\(value)" }

    /// AF41: interactive video class, the agent's default (low drop precedence, high priority).
    public static let af41 = DSCP(34)!
}
