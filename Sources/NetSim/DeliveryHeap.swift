import SansIO

/// A binary min-heap of scheduled deliveries, earliest arrival first and, at equal
/// arrival, in the order they were scheduled (so runs are deterministic).
struct DeliveryHeap: Sendable {
    private struct Entry: Sendable {
        var delivery: Delivery
        var order: UInt64
        func precedes(_ other: Entry) -> Bool {
            (delivery.arrivesAt, order) < (other.delivery.arrivesAt, other.order)
        }
    }

    private var entries: [Entry] = []
    private var nextOrder: UInt64 = 0

    var count: Int { entries.count }
    var first: Delivery? { entries.first?.delivery }

    mutating func insert(_ delivery: Delivery) {
        entries.append(Entry(delivery: delivery, order: nextOrder))
        nextOrder &+= 1
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Delivery? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < entries.count && entries[left].precedes(entries[best]) { best = left }
            if right < entries.count && entries[right].precedes(entries[best]) { best = right }
            if best == parent { break }
            entries.swapAt(parent, best)
            parent = best
        }
        return top.delivery
    }
}
