import NetSim
import SansIO

/// A link described the way `flamewire simulate` takes it: the same impairments both ways,
/// with the rate cap on the agent's uplink.
public struct LinkOptions: Sendable {
    public var loss: Double = 0.12
    /// Mean loss burst length in datagrams (1: independent loss; more: Gilbert–Elliott).
    public var burst: Double = 1
    public var rtt: Duration = .milliseconds(320)
    /// Uniform ± jitter of each one-way delay.
    public var jitter: Duration = .zero
    /// Uplink bottleneck in bits per second (nil: none), with a drop-tail queue.
    public var rate: Int64?
    public var queueBytes = LinkConfig.defaultQueueBytes
    public var mtu = 1400
    public var outages: [Outage] = []
    public var duplicate = 0.0
    public var corrupt = 0.0
    public var reorder = 0.0

    public init() {}

    /// The agent → collector and collector → agent links.
    public var links: (forward: LinkConfig, backward: LinkConfig) {
        var c = LinkConfig()
        if burst > 1 {
            c.burstLoss = GilbertElliott(meanLossRate: loss, meanBurstLength: burst)
        } else {
            c.lossProbability = loss
        }
        c.delay = rtt / 2
        c.jitter = jitter > .zero ? .uniform(jitter) : .none
        c.mtu = mtu
        c.outages = outages
        c.duplicateProbability = duplicate
        c.corruptProbability = corrupt
        if reorder > 0 {
            c.reorderProbability = reorder
            c.reorderDelay = rtt / 4
        }
        var forward = c
        if let rate { forward.bandwidth = Bandwidth(bitsPerSecond: rate, queueBytes: queueBytes) }
        return (forward, c)
    }
}
