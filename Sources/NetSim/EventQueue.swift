import SansIO

/// Application events in time order; at equal times, in the order they were inserted.
struct EventQueue<Event> {
    private var entries: [(time: Instant, event: Event)] = []

    var nextTime: Instant? { entries.first?.time }

    mutating func insert(at time: Instant, _ event: Event) {
        // Binary search for the first entry later than `time`: equal times keep insertion order.
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].time <= time { low = mid + 1 } else { high = mid }
        }
        entries.insert((time, event), at: low)
    }

    mutating func popFirst() -> (Event, Instant)? {
        guard !entries.isEmpty else { return nil }
        let first = entries.removeFirst()
        return (first.event, first.time)
    }
}
