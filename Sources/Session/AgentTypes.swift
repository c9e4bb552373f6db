import Noise
import SansIO
import WireFrame

/// What an agent session needs to know.
public struct AgentConfig: Sendable {
    public var staticKey: PrivateKey
    /// The collector's static key, pinned: the handshake fails against any other.
    public var collectorKey: PublicKey
    /// Optional pre-shared key (32 bytes): IKpsk2 instead of IK.
    public var psk: [UInt8]?
    /// Where the collector is, as the driver names addresses.
    public var collector: PeerAddress
    /// Further collectors, in order, to move to when the current one stops decoding the
    /// agent's windows (SPEC.md §11.7); after the last, the first again.
    public var alternates: [CollectorTarget] = []
    /// Framing, including the block-failure target parity is sized for (SPEC.md §11.4
    /// recommends 0.003, which keeps p99 delivery under two round trips at 12 % loss).
    public var frame: FrameConfig
    public var timers: SessionTimers
    /// Interval bounds (SPEC.md §11.6).
    public var minInterval: Duration
    public var maxInterval: Duration
    /// Bits per second of UDP payload the agent may send (nil: no budget).
    public var maxRate: Int?
    /// The loss rate parity is sized for before acknowledgements measure it.
    public var initialLoss: Double
    /// Windows of a stream allowed undecoded in flight before new ones are coalesced.
    public var maxUndecodedPerStream: Int
    /// Wall-clock time (TAI64N) at `Instant.zero`, for handshake timestamps.
    public var wallClockAtZero: TAI64N
    public var random: RandomSource

    public init(staticKey: PrivateKey, collectorKey: PublicKey, psk: [UInt8]? = nil, collector: PeerAddress,
                frame: FrameConfig, timers: SessionTimers = SessionTimers(),
                minInterval: Duration = .milliseconds(120), maxInterval: Duration = .milliseconds(480), maxRate: Int? = nil,
                initialLoss: Double = 0.05, maxUndecodedPerStream: Int = 4,
                wallClockAtZero: TAI64N, random: RandomSource = .system) {
        self.staticKey = staticKey
        self.collectorKey = collectorKey
        self.psk = psk
        self.collector = collector
        self.frame = frame
        self.timers = timers
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.maxRate = maxRate
        self.initialLoss = initialLoss
        self.maxUndecodedPerStream = maxUndecodedPerStream
        self.wallClockAtZero = wallClockAtZero
        self.random = random
    }
}

/// A collector an agent may send to: its address and pinned static key.
public struct CollectorTarget: Sendable, Equatable {
    public var address: PeerAddress
    public var key: PublicKey
    public init(address: PeerAddress, key: PublicKey) { (self.address, self.key) = (address, key) }
}

/// Where the agent's session stands, for a person.
public enum AgentStatus: Equatable, Sendable, CustomStringConvertible {
    /// No keys yet: initiations sent, none answered (attempt n).
    case handshaking(attempt: Int)
    /// Keys agreed; the collector answers.
    case established
    /// Something to send but nothing authenticated from the collector for a while.
    case silent(seconds: Int, collector: String)

    public var description: String {
        switch self {
        case .handshaking(let n): return n <= 1 ? "handshaking" : "handshaking (attempt \(n))"
        case .established: return "established"
        case .silent(let s, let c): return "no acknowledgement from the collector for \(s) s: is UDP to \(c) blocked?"
        }
    }
}

/// Something the agent's owner may want to act on or count.
public enum AgentEvent: Equatable, Sendable {
    case established(handshakes: Int)
    /// A window the collector decoded: when its snapshot was taken and when the agent
    /// learned it was decoded.
    case windowDecoded(WindowAddress, takenAt: Instant, repaired: Bool)
    /// A newer window of its stream was decoded first: its repair drops to low priority.
    case windowSuperseded(WindowAddress)
    /// A window given up after the repair limit.
    case windowLost(WindowAddress)
    case windowRejected(WindowAddress, reason: UInt8)
    case statusChanged(AgentStatus)
    /// The collector decoded none of the agent's windows for the failover time: the agent
    /// moved to the next collector of its list (position `index`, from 0).
    case collectorChanged(to: PeerAddress, index: Int)
    /// The collector, overloaded, asked for an interval of at least this (PACE, SPEC.md
    /// §11.6), or lifted its request (nil).
    case paced(Duration?)
}

/// What the agent sent and what became of it (what `flamewire simulate` reports).
public struct AgentStats: Equatable, Sendable {
    public var windowsSent = 0
    /// Windows sent with no base (a stream's first, and after a rejected base, a new epoch
    /// or a move to another collector): each defines every stack of its state, so each
    /// costs the agent and the collector many times a delta.
    public var keyframesSent = 0
    /// Bundles the windows went out in (SPEC.md §6.2).
    public var bundlesSent = 0
    public var windowsDecoded = 0
    public var windowsDecodedWithoutRepair = 0
    /// Windows a newer decoded window superseded and that were then given up undecoded.
    public var windowsSuperseded = 0
    /// Windows decoded after a newer one of their stream (repaired at low priority).
    public var windowsDecodedAfterSupersession = 0
    public var windowsLost = 0
    public var windowsRejected = 0
    /// Snapshots folded into the next window instead of being sent (the path was full).
    public var windowsCoalesced = 0
    public var datagramsSent = 0
    /// Bytes by purpose: source symbols, up-front parity, repair parity, CONTROL, handshake.
    public var bytesSource = 0
    public var bytesFEC = 0
    public var bytesRepair = 0
    public var bytesControl = 0
    public var bytesHandshake = 0
    /// What the bundles would cost sent once with no parity, in the fewest symbols that
    /// fit: the baseline loss protection is measured against.
    public var bytesPlain = 0
    public var bytesReceived = 0
    public var handshakes = 0
    /// Moves to another collector (SPEC.md §11.7).
    public var failovers = 0
    public var dropped: [SessionDropReason: Int] = [:]
    public var packetsAcked = 0
    public var packetsLost = 0
}

/// Why the agent session refused a request.
public enum SessionError: Error, Equatable, Sendable, CustomStringConvertible {
    case pipeline(String)
    public var description: String {
        switch self {
        case .pipeline(let why): return why
        }
    }
}
