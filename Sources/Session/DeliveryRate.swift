import SansIO

/// The rate at which the collector acknowledges the agent's bytes (SPEC.md §11.6): the
/// path's delivery rate, measured over the last `window`. When the path queues, the agent
/// paces at this rate (BBR's insight: send at what gets through, not at what is offered).
public struct DeliveryRate: Sendable {
    public var window: Duration = .seconds(2)
    private var samples: [(at: Instant, bytes: Int)] = []
    private var total = 0

    public init() {}

    /// Bytes newly acknowledged at `now`.
    public mutating func acknowledged(_ bytes: Int, at now: Instant) {
        guard bytes > 0 else { return }
        total += bytes
        samples.append((now, total))
        while let first = samples.first, now - first.at > window, samples.count > 2 { samples.removeFirst() }
    }

    /// Bits per second over the samples held (nil until they span a quarter of the window).
    public var bitsPerSecond: Int? {
        guard let first = samples.first, let last = samples.last, last.at - first.at >= window / 4 else { return nil }
        return Int(Double(last.bytes - first.bytes) * 8 / (last.at - first.at).seconds)
    }
}
