import NetSim
import Noise
import Profile
import SansIO
import Session
import WireCodec
import WireFrame

/// One profile stream the simulated agent plays: its snapshots in order, repeated as needed.
public struct PlayedStream: Sendable {
    public var name: String
    public var info: StreamInfo
    public var mode: IngestMode
    /// (file name, gzip bytes the agent read, decoded profile), in playing order.
    public var profiles: [(name: String, bytes: Int, profile: Profile)]
    /// CPU windows come every `period` (Go's whole-second profiles); snapshots at the
    /// agent's adaptive interval when nil.
    public var period: Duration?

    public init(name: String, info: StreamInfo, mode: IngestMode, profiles: [(name: String, bytes: Int, profile: Profile)],
                period: Duration? = nil) {
        self.name = name
        self.info = info
        self.mode = mode
        self.profiles = profiles
        self.period = period
    }
}

/// What to simulate: the link in both directions, how long, with which seed and streams.
public struct Scenario: Sendable {
    /// Agent → collector.
    public var forward: LinkConfig
    /// Collector → agent.
    public var backward: LinkConfig
    public var duration: Duration
    /// After `duration`, no new snapshots; the session has this long to deliver the rest.
    public var drain: Duration = .seconds(30)
    public var seed: UInt64
    public var maxDatagram: Int = 1400
    public var minInterval: Duration = .milliseconds(120)
    public var maxInterval: Duration = .milliseconds(480)
    public var maxRate: Int?
    public var fecTarget: Double = 0.003
    public var timers = SessionTimers()
    /// Moves the agent to a new address at these times (NAT rebinding).
    public var rebindAt: [Instant] = []
    public var streams: [PlayedStream]

    public init(forward: LinkConfig, backward: LinkConfig, duration: Duration, seed: UInt64, streams: [PlayedStream]) {
        self.forward = forward
        self.backward = backward
        self.duration = duration
        self.seed = seed
        self.streams = streams
    }
}
