/// A set of packet numbers as disjoint ranges, newest first: what a receiver acknowledges.
/// Bounded: only the `limit` newest ranges are kept (older gaps are forgotten, as QUIC
/// receivers do), so a hostile or broken sender cannot grow it.
public struct PacketRanges: Equatable, Sendable {
    /// Disjoint, non-adjacent ranges in descending order.
    public private(set) var ranges: [ClosedRange<UInt64>] = []
    public var limit: Int

    public init(limit: Int = ControlFrame.maxRanges) { self.limit = limit }

    /// Ranges given newest first (as parsed from an ACK frame).
    public init(descending: [ClosedRange<UInt64>]) {
        ranges = descending
        limit = max(ControlFrame.maxRanges, descending.count)
    }

    public var largest: UInt64 { ranges.first?.upperBound ?? 0 }
    public var isEmpty: Bool { ranges.isEmpty }

    public func contains(_ pn: UInt64) -> Bool {
        // Few ranges: a linear scan from the newest is fastest for recent packets.
        for r in ranges {
            if pn > r.upperBound { return false }
            if pn >= r.lowerBound { return true }
        }
        return false
    }

    /// Adds one packet number; true if it was not in the set (false also for a packet
    /// older than every range when the set is full: too old to matter).
    @discardableResult
    public mutating func insert(_ pn: UInt64) -> Bool {
        // ranges[..<i] end at or above pn; ranges[i...] end below it.
        var i = 0
        while i < ranges.count, ranges[i].upperBound >= pn { i += 1 }
        if i > 0, ranges[i - 1].lowerBound <= pn { return false }
        let joinsAbove = i > 0 && pn != .max && ranges[i - 1].lowerBound == pn + 1
        let joinsBelow = i < ranges.count && ranges[i].upperBound + 1 == pn
        switch (joinsAbove, joinsBelow) {
        case (true, true):
            ranges[i - 1] = ranges[i].lowerBound...ranges[i - 1].upperBound
            ranges.remove(at: i)
        case (true, false):
            ranges[i - 1] = pn...ranges[i - 1].upperBound
        case (false, true):
            ranges[i] = ranges[i].lowerBound...pn
        case (false, false):
            if i == ranges.count && ranges.count >= limit { return false }
            ranges.insert(pn...pn, at: i)
            trim()
        }
        return true
    }

    private mutating func trim() {
        if ranges.count > limit { ranges.removeLast(ranges.count - limit) }
    }
}
