import SansIO
import WireFrame

/// The timers and constants of sessions (SPEC.md §11.5), one value both ends and the spec
/// share. Defaults are the spec's; tests and the simulator may shorten them.
public struct SessionTimers: Sendable, Equatable {
    /// First handshake retry; doubles per attempt up to `handshakeRetryMax`.
    public var handshakeRetry: Duration = .seconds(1)
    public var handshakeRetryMax: Duration = .seconds(16)
    /// A new handshake starts this long after the current keys were made (WireGuard's
    /// REKEY_AFTER_TIME) or after `rekeyAfterPackets` packets under them.
    public var rekeyAfterTime: Duration = .seconds(120)
    public var rekeyAfterPackets: UInt64 = 1 << 60
    /// Keys older than this are not used any more, for sending or receiving (REJECT_AFTER_TIME).
    public var rejectAfterTime: Duration = .seconds(180)
    /// The agent sends a keepalive when it has sent nothing for this long.
    public var keepalive: Duration = .seconds(15)
    /// The agent sends a REPORT (its RTT, interval, loss and repair; SPEC.md §11.2) this
    /// long after the keys are agreed and then at this period; nil sends none.
    public var report: Duration? = .seconds(10)
    /// The agent reports silence when nothing authenticated arrived for this long while it
    /// had something to say.
    public var silence: Duration = .seconds(10)
    /// An agent with several collectors moves to the next when the current one decoded none
    /// of its windows for this long while some were outstanding (SPEC.md §11.7).
    public var failover: Duration = .seconds(30)
    /// The collector acknowledges at least this soon after an unacknowledged DATA datagram.
    public var maxAckDelay: Duration = .milliseconds(25)
    /// ... and at once after this many DATA datagrams, or when a window completes.
    public var ackEvery = 4
    /// Repair starts when a window is not decoded after `repairFactor` × smoothed RTT (or one
    /// probe timeout, when that is longer: SPEC §11.4).
    public var repairFactor = 2.0
    /// Repair stops for a window this long after it was first sent (it is then lost).
    public var repairLimit: Duration = .seconds(10)
    /// A PACE frame (an overloaded collector's floor on the interval) holds this long after
    /// it arrives, or twice its interval when that is longer; the collector repeats it at most
    /// every `paceRepeat`, with its acknowledgements, while it lasts (SPEC.md §11.6).
    public var paceHold: Duration = .seconds(5)
    public var paceRepeat: Duration = .seconds(1)
    /// The longest interval a PACE frame can impose.
    public var maxPace: Duration = .seconds(10)

    public init() {}
}

/// Where a session's randomness comes from: the system's CSPRNG in production, a seed
/// in tests and in the simulator (so a run reproduces). Ephemeral keys, indices and
/// cookie secrets are drawn from it.
public enum RandomSource: Sendable, Equatable {
    case system
    case seeded(UInt64)
}

/// A `RandomNumberGenerator` for a `RandomSource`.
public struct SessionRandom: RandomNumberGenerator, Sendable {
    private var seeded: UInt64?

    public init(_ source: RandomSource) {
        if case .seeded(let s) = source { seeded = s }
    }

    public mutating func next() -> UInt64 {
        guard var s = seeded else {
            var g = SystemRandomNumberGenerator()
            return g.next()
        }
        // SplitMix64: deterministic runs only (tests and `flamewire simulate`).
        s &+= 0x9E37_79B9_7F4A_7C15
        seeded = s
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
