import SansIO

/// Round-trip time estimates at the sender, as RFC 9002 §5 defines them: the latest
/// sample, the minimum, the smoothed RTT and its variation, with the receiver's reported
/// acknowledgement delay subtracted where that keeps the sample above the minimum.
public struct RttEstimator: Sendable, Equatable {
    /// Before the first sample (RFC 9002: 333 ms); FlameWire's links are about that slow.
    public static let initialRtt: Duration = .milliseconds(333)

    public private(set) var latest: Duration = .zero
    public private(set) var minimum: Duration = .zero
    public private(set) var smoothed: Duration = RttEstimator.initialRtt
    public private(set) var variation: Duration = RttEstimator.initialRtt / 2
    public private(set) var samples = 0
    /// Queuing delay samples (latest − minimum − ack delay), newest last, for the interval
    /// controller's filter (SPEC.md §11.6).
    public private(set) var recentQueuingDelays: [Duration] = []

    public init() {}

    /// One RTT sample: the time from sending the largest newly acknowledged packet to
    /// receiving its acknowledgement, and the ack delay the receiver reported (capped at
    /// `maxAckDelay`).
    public mutating func update(sample: Duration, ackDelay: Duration, maxAckDelay: Duration) {
        guard sample > .zero else { return }
        latest = sample
        if samples == 0 || sample < minimum { minimum = sample }
        let delay = min(ackDelay, maxAckDelay)
        // Subtract the ack delay only when that does not take the sample below the minimum.
        let adjusted = sample >= minimum + delay ? sample - delay : sample
        if samples == 0 {
            smoothed = adjusted
            variation = adjusted / 2
        } else {
            let deviation = smoothed > adjusted ? smoothed - adjusted : adjusted - smoothed
            variation = (variation * 3 + deviation) / 4
            smoothed = (smoothed * 7 + adjusted) / 8
        }
        samples += 1
        let queuing = sample - minimum - delay
        recentQueuingDelays.append(max(.zero, queuing))
        if recentQueuingDelays.count > 4 { recentQueuingDelays.removeFirst() }
    }

    /// The current queuing delay: the smallest of the last four samples (LEDBAT's filter,
    /// RFC 6817), so path jitter does not look like a queue.
    public var queuingDelay: Duration { recentQueuingDelays.min() ?? .zero }

    /// The probe timeout (RFC 9002 §6.2.1): smoothed RTT + max(4 × variation, 1 ms) + max ack delay.
    public func probeTimeout(maxAckDelay: Duration) -> Duration {
        smoothed + max(variation * 4, .milliseconds(1)) + maxAckDelay
    }
}
