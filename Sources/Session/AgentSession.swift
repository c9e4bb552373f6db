import Noise
import Pprof
import Profile
import SansIO
import WireCodec
import WireFrame
import WireLimits
import WirePipeline

/// The agent's side of a FlameWire session (SPEC.md §10–§11), sans-IO.
///
/// Profiles go in with `submit`; sealed datagrams come out of `pollTransmit`; datagrams
/// from the collector go in with `receive`; `nextWakeup` and `handleTimeout` run the
/// timers (handshake retry, repair, probes, keepalive, rekey). No socket, clock or thread:
/// the UDP runtime and the network simulator drive it through the same loop.
///
/// It owns packet numbers (one counter for DATA and CONTROL), pacing, the RTT and loss
/// estimates and the adaptive interval, and decides when windows get repair.
public struct AgentSession: DatagramEndpoint, Sendable {
    /// The configuration; `collector` and `collectorKey` name the collector in use, which
    /// changes on failover.
    public private(set) var config: AgentConfig
    /// Every collector the agent may use: the configured one first, then the alternates.
    let targets: [CollectorTarget]
    var targetIndex = 0
    /// When the collector in use last made progress: decoded a window, completed a
    /// handshake, or became the one.
    var progressAt: Instant = .zero
    public internal(set) var stats = AgentStats()
    public internal(set) var rtt = RttEstimator()
    public internal(set) var loss: LossEstimator
    public internal(set) var intervalControl: IntervalController
    /// How often the owner should snapshot and submit (SPEC.md §11.6): the controller's
    /// interval, or an overloaded collector's PACE when that is longer.
    public var interval: Duration { max(intervalControl.current, pace ?? .zero) }
    /// The interval the collector asked for in its latest PACE frame (nil: none in force).
    public internal(set) var pace: Duration?
    /// When the PACE in force lapses unless the collector repeats it.
    var paceUntil: Instant?
    public internal(set) var status: AgentStatus = .handshaking(attempt: 0)

    var random: SessionRandom
    var sender: WindowSender
    var pacer: Pacer
    var delivery = DeliveryRate()
    var cookies: CookieState

    // Handshake and keys.
    var pending: HandshakeInitiator?
    var pendingSentAt: Instant?
    var attempts = 0
    var nextHandshakeAt: Instant? = .zero
    var lastTimestamp: TAI64N?
    var current: KeySlot?
    var previous: KeySlot?

    struct KeySlot: Sendable {
        var keys: TransportKeys
        var protection: SealedProtection
        var madeAt: Instant
        var replay = ReplayWindow()
        var packetsSent: UInt64 = 0
    }

    // Packets, windows and bundles in flight.
    var nextPacketNumber: UInt64 = 1
    var sentPackets: [SentPacket] = []
    var largestAcked: UInt64 = 0
    /// Windows encoded and not yet decoded, rejected or given up.
    var windows: [WindowAddress: WindowState] = [:]
    /// Bundles sent and still being repaired (some window of theirs undecoded).
    var bundles: [UInt32: BundleState] = [:]
    var highestDecoded: [UInt32: UInt32] = [:]
    public internal(set) var durable: [UInt32: UInt32] = [:]

    struct SentPacket: Sendable {
        var number: UInt64
        var sentAt: Instant
        var bytes: Int
        var bundle: UInt32?
        var block: Int
        var resolved = false
        var lost = false
    }

    struct WindowState: Sendable {
        var takenAt: Instant
        /// The bundle carrying it (nil until the open bundle closes).
        var bundle: UInt32?
        /// A newer window of the stream was decoded: still repaired, at low priority.
        var superseded = false
    }

    /// Repair state is per bundle: one code protects all its windows (SPEC.md §11.4).
    struct BundleState: Sendable {
        /// Its windows not yet decoded, rejected or given up.
        var windows: [WindowAddress]
        var firstSent: Instant?
        /// When repair is next considered (nil until the bundle's first datagram left).
        var deadline: Instant?
        var repairRounds = 0
        var probes = 0
        var blocks: Int
        var sourcePerBlock: [Int]
        /// Symbols of each block the collector acknowledged (by packet number).
        var ackedPerBlock: [Int]
        /// The collector's latest word on what each block lacks, and when it said so.
        var reportedMissing: [Int]?
        var heardAt: Instant?
        /// When the last round (first transmission or repair) was queued.
        var roundAt: Instant?
        var queued: Int
        var datagramSize: Int
        var repaired: Bool { repairRounds + probes > 0 }
    }

    /// Streams whose latest snapshot was coalesced: a window of the current state goes
    /// out as soon as the stream has room again.
    var pendingFlush: [UInt32: (takenAt: Instant, timeNanos: Int64, durationNanos: Int64)] = [:]
    /// When each stream last sent a window, and when a stream whose snapshot a PACE held
    /// back may send it (SPEC.md §11.6).
    var streamSentAt: [UInt32: Instant] = [:]
    var pacedFlushAt: [UInt32: Instant] = [:]
    /// Packets judged (acknowledged or lost) in packet-number order up to here.
    var judged = 0
    var lastSentAt: Instant?
    var lastHeardAt: Instant?
    /// The first DATA sent since the collector was last heard: the silence clock runs from
    /// the later of the two (WireGuard's rule), so an agent that sent nothing for a while
    /// (a quiet `--watch` directory or folded input) does not count its own idle time as
    /// the collector's silence.
    var waitingSince: Instant?
    var keepaliveDue = false
    /// When the next REPORT is due (set once the keys are first agreed), and whether one is.
    var reportAt: Instant?
    var reportDue = false
    var outbox: [Transmit] = []
    var events: [AgentEvent] = []

    public init(config: AgentConfig) {
        self.config = config
        targets = [CollectorTarget(address: config.collector, key: config.collectorKey)] + config.alternates
        var random = SessionRandom(config.random)
        // A random first bundle id: a restarted agent's bundles are not mistaken for ones the
        // collector rebuilt before the restart (SPEC.md §6.2).
        sender = WindowSender(config: config.frame, firstBundleID: UInt32(truncatingIfNeeded: random.next()))
        self.random = random
        pacer = Pacer(rate: config.maxRate)
        cookies = CookieState(remoteStatic: config.collectorKey)
        loss = LossEstimator(initialLoss: config.initialLoss)
        intervalControl = IntervalController(minimum: config.minInterval, maximum: config.maxInterval)
    }

    // MARK: - Streams and profiles

    /// Starts a stream (its number is this agent's choice, unique for the session).
    public mutating func addStream(_ stream: UInt32, info: StreamInfo) throws(SessionError) {
        do { try sender.addStream(stream, info: info) } catch { throw .pipeline("\(error)") }
    }

    public func encoder(_ stream: UInt32) -> StreamEncoder? { sender.encoder(stream) }
    /// Whether `stream` was added (`addStream`), without copying its encoder.
    public func hasStream(_ stream: UInt32) -> Bool { sender.hasStream(stream) }
    /// Snapshots of `stream` whose counters went down (`StreamEncoder.restarts`), without copying its encoder.
    public func restarts(_ stream: UInt32) -> Int { sender.restarts(stream) }

    /// What `submit` did with a snapshot.
    public enum SubmitOutcome: Equatable, Sendable {
        /// Encoded as window `seq`; it leaves in the bundle of the windows submitted with
        /// it (before the next `pollTransmit`).
        case sent(WindowAddress)
        /// Folded into the stream's state only: the path is full (too many windows of the
        /// stream undecoded, or the rate budget's backlog is over an interval). Counters
        /// carry over into the next window, so nothing is lost.
        case coalesced
    }

    /// Adds a profile taken at `takenAt` to a stream and, unless the path is full, sends
    /// the stream's next window.
    @discardableResult
    public mutating func submit(_ profile: Profile, stream: UInt32, mode: IngestMode, takenAt: Instant,
                                at now: Instant) throws(SessionError) -> SubmitOutcome {
        do { try sender.ingest(profile, stream: stream, mode: mode) } catch { throw .pipeline("\(error)") }
        return try send(stream: stream, timeNanos: profile.timeNanos, durationNanos: profile.durationNanos, takenAt: takenAt, at: now)
    }

    /// As `submit`, for a pprof profile read straight from its bytes (`StreamEncoder.ingest(pprof:mode:)`):
    /// the agent's path for a Go service's profiles.
    @discardableResult
    public mutating func submit(pprof snapshot: PprofSnapshot, stream: UInt32, mode: IngestMode, takenAt: Instant,
                                at now: Instant) throws(SessionError) -> SubmitOutcome {
        do { try sender.ingest(pprof: snapshot, stream: stream, mode: mode) } catch { throw .pipeline("\(error)") }
        return try send(stream: stream, timeNanos: snapshot.timeNanos, durationNanos: snapshot.durationNanos, takenAt: takenAt, at: now)
    }

    /// As `submit`, for a snapshot whose state an earlier ingest of this epoch produced
    /// (`encoder(stream)?.state` after it): replaying a capture without hashing it again.
    @discardableResult
    public mutating func submit(state: StreamState, stream: UInt32, timeNanos: Int64 = 0, durationNanos: Int64 = 0,
                                takenAt: Instant, at now: Instant) throws(SessionError) -> SubmitOutcome {
        do { try sender.setState(state, stream: stream) } catch { throw .pipeline("\(error)") }
        return try send(stream: stream, timeNanos: timeNanos, durationNanos: durationNanos, takenAt: takenAt, at: now)
    }

    private mutating func send(stream: UInt32, timeNanos: Int64, durationNanos: Int64, takenAt: Instant, at now: Instant) throws(SessionError) -> SubmitOutcome {
        guard hasRoom(stream, at: now) else {
            // Held back by a PACE alone: a timer sends it when the PACE allows.
            if let at = pacedUntil(stream), now < at { pacedFlushAt[stream] = at }
            stats.windowsCoalesced += 1
            // The first coalesced snapshot's time stays: that is how late its data will be.
            let first = pendingFlush[stream]?.takenAt ?? takenAt
            pendingFlush[stream] = (first, timeNanos, durationNanos)
            return .coalesced
        }
        pendingFlush[stream] = nil
        let w: EncodedWindow
        do { w = try sender.encodeWindow(stream: stream, timeNanos: timeNanos, durationNanos: durationNanos) } catch {
            throw .pipeline("\(error)")
        }
        windows[w.address] = WindowState(takenAt: takenAt)
        streamSentAt[stream] = now
        pacedFlushAt[stream] = nil
        stats.windowsSent += 1
        if w.isKeyframe { stats.keyframesSent += 1 }
        return .sent(w.address)
    }

    /// Puts the windows submitted since the last datagram left into one bundle (SPEC.md
    /// §6.2): what a tick's snapshots share, one code over all of them.
    mutating func closeBundle() {
        guard sender.openBytes > 0 else { return }
        for b in sender.closeBundle(lossRate: loss.lossRate, meanBurstLength: loss.meanBurstLength) {
            let layout = b.layout
            bundles[b.id] = BundleState(windows: b.windows, blocks: layout.blockCount,
                                        sourcePerBlock: (0..<layout.blockCount).map { layout.sourceCount(block: $0) },
                                        ackedPerBlock: Array(repeating: 0, count: layout.blockCount), queued: b.datagrams,
                                        datagramSize: b.datagramSize)
            for a in b.windows { windows[a]?.bundle = b.id }
            stats.bundlesSent += 1
            if let plain = try? BundleLayout(bundleLength: layout.bundleLength, maxSymbol: config.frame.maxSymbol) {
                stats.bytesPlain += plain.sourceBytes
            }
        }
    }

    /// Whether a stream may send a window now: fewer than `maxUndecodedPerStream` of its
    /// windows undecoded (superseded ones do not count), the budget's backlog within an
    /// interval, and, while a collector's PACE is in force, its previous window at least
    /// that long ago (SPEC.md §11.6).
    func hasRoom(_ stream: UInt32, at now: Instant) -> Bool {
        let undecoded = windows.filter { $0.key.stream == stream && !$0.value.superseded }.count
        return undecoded < config.maxUndecodedPerStream && pacer.drainTime(queuedBytes) <= interval
            && (pacedUntil(stream).map { now >= $0 } ?? true)
    }

    /// While a PACE is in force: when `stream` may send its next window (its previous one
    /// plus the PACE, less a tenth so a source that ticks at the PACE is not held back by
    /// scheduling jitter). Nil without a PACE or before the stream's first window.
    func pacedUntil(_ stream: UInt32) -> Instant? {
        guard let p = pace, let last = streamSentAt[stream] else { return nil }
        return last + p * 0.9
    }

    /// Sends the windows coalesced snapshots are waiting for, where there is room now.
    mutating func flushPending(at now: Instant) {
        for (stream, p) in pendingFlush.sorted(by: { $0.key < $1.key }) where hasRoom(stream, at: now) {
            _ = try? send(stream: stream, timeNanos: p.timeNanos, durationNanos: p.durationNanos, takenAt: p.takenAt, at: now)
        }
    }

    /// Bytes queued and not yet sent (windows not yet bundled counted at their size).
    var queuedBytes: Int {
        bundles.values.reduce(sender.openBytes) { $0 + $1.queued * $1.datagramSize }
    }

    /// Windows encoded and not yet decoded (nor given up), superseded ones excepted.
    public var windowsInFlight: Int { windows.values.filter { !$0.superseded }.count }
    /// Superseded windows still being repaired at low priority.
    public var supersededInFlight: Int { windows.values.filter(\.superseded).count }

    /// Queues a REPORT now (besides the periodic ones), for example as the agent stops, so
    /// the collector keeps its final figures. Nothing without keys.
    public mutating func requestReport() {
        if current != nil && config.timers.report != nil { reportDue = true }
    }

    /// The events since the last call, oldest first.
    public mutating func pollEvents() -> [AgentEvent] {
        defer { events.removeAll() }
        return events
    }

    // MARK: - DatagramEndpoint

    public mutating func pollTransmit(at now: Instant) -> Transmit? {
        if !outbox.isEmpty {
            let t = outbox.removeFirst()
            note(sent: t.datagram.count, at: now)
            return t
        }
        guard let slot = current, now - slot.madeAt < config.timers.rejectAfterTime else { return nil }
        if keepaliveDue {
            keepaliveDue = false
            let pn = takePacketNumber()
            let d = ControlDatagram.seal([.keepalive], connectionID: slot.keys.remoteIndex, packetNumber: pn, keys: slot.keys)
            stats.bytesControl += d.count
            note(sent: d.count, at: now)
            return Transmit(datagram: d, destination: config.collector)
        }
        if reportDue {
            // In a datagram of its own: a collector that predates REPORT drops the datagram
            // as malformed, and nothing else is lost with it.
            reportDue = false
            let pn = takePacketNumber()
            let d = ControlDatagram.seal([.report(pathReport)], connectionID: slot.keys.remoteIndex, packetNumber: pn, keys: slot.keys)
            stats.bytesControl += d.count
            note(sent: d.count, at: now)
            return Transmit(datagram: d, destination: config.collector)
        }
        closeBundle()
        guard sender.queuedCount > 0, pacer.canSend(config.frame.maxDatagram, at: now) else { return nil }
        let pn = nextPacketNumber
        guard let out = sender.pollDatagram(connectionID: slot.keys.remoteIndex, packetNumber: pn, protection: slot.protection) else {
            return nil
        }
        _ = takePacketNumber()
        pacer.sent(out.bytes.count, at: now)
        sentPackets.append(SentPacket(number: pn, sentAt: now, bytes: out.bytes.count, bundle: out.bundle, block: out.symbol.block))
        Self.modify(&bundles[out.bundle]) { b in
            b.queued = max(0, b.queued - 1)
            if b.firstSent == nil {
                b.firstSent = now
                b.roundAt = now
                b.deadline = now + max(rtt.probeTimeout(maxAckDelay: config.timers.maxAckDelay), rtt.smoothed * config.timers.repairFactor)
            }
        }
        if waitingSince == nil { waitingSince = now }
        if out.isRepair { stats.bytesRepair += out.bytes.count } else if out.isSource { stats.bytesSource += out.bytes.count } else {
            stats.bytesFEC += out.bytes.count
        }
        note(sent: out.bytes.count, at: now)
        return Transmit(datagram: out.bytes, destination: config.collector)
    }

    /// Mutates a bundle's state in place, if it is still there.
    static func modify(_ b: inout BundleState?, _ body: (inout BundleState) -> Void) {
        guard b != nil else { return }
        body(&b!)
    }

    public func nextWakeup() -> Instant? {
        var t: Instant? = nextHandshakeAt
        func consider(_ x: Instant?) { if let x { t = t.map { min($0, x) } ?? x } }
        for b in bundles.values { consider(b.deadline) }
        if let slot = current {
            // Each timer only while it can still do something, so no wake-up stays in the past.
            if pending == nil && nextHandshakeAt == nil { consider(slot.madeAt + config.timers.rekeyAfterTime) }
            if !keepaliveDue { consider((lastSentAt ?? slot.madeAt) + config.timers.keepalive) }
            if !reportDue { consider(reportAt) }
            if sender.queuedCount > 0 || sender.openBytes > 0 { consider(pacer.nextSend(config.frame.maxDatagram)) }
            if status == .established && !windows.isEmpty { consider(silenceFrom(madeAt: slot.madeAt) + config.timers.silence) }
        }
        consider(failoverDeadline)
        consider(paceUntil)
        for at in pacedFlushAt.values { consider(at) }
        return t
    }

    /// When the agent moves to its next collector unless the current one decodes a window
    /// first (SPEC.md §11.7): the failover time after the later of its last progress and the
    /// oldest window it has not decoded. Nil with one collector or nothing outstanding.
    var failoverDeadline: Instant? {
        guard targets.count > 1, let oldest = windows.values.lazy.map(\.takenAt).min() else { return nil }
        return max(progressAt, oldest) + config.timers.failover
    }

    /// Moves to the next collector of the list: its address and key, no transport keys, a
    /// handshake at once. The new collector cannot rebuild bundles it never saw, so the
    /// windows in flight are given up (superseded: each stream's next window carries its
    /// cumulative state) and every stream that had some sends a keyframe of its current
    /// state as soon as the keys are agreed (SPEC.md §11.7).
    mutating func failover(at now: Instant) {
        let streams = Set(windows.keys.map(\.stream))
        stats.windowsSuperseded += windows.count
        windows.removeAll()
        bundles.removeAll()
        sender.restartAtNewReceiver()
        for stream in streams.sorted() where pendingFlush[stream] == nil { pendingFlush[stream] = (now, 0, 0) }
        targetIndex = (targetIndex + 1) % targets.count
        let next = targets[targetIndex]
        config.collector = next.address
        config.collectorKey = next.key
        cookies = CookieState(remoteStatic: next.key)
        pending = nil
        pendingSentAt = nil
        current = nil
        previous = nil
        attempts = 0
        nextHandshakeAt = now
        lastHeardAt = nil
        waitingSince = nil
        keepaliveDue = false
        reportDue = false
        progressAt = now
        stats.failovers += 1
        events.append(.collectorChanged(to: next.address, index: targetIndex))
        setStatus(.handshaking(attempt: 0))
    }

    public mutating func handleTimeout(at now: Instant) {
        // Handshake: first, retries, and rekey before the keys get old.
        if let slot = current, pending == nil, now - slot.madeAt >= config.timers.rekeyAfterTime
            || slot.packetsSent >= config.timers.rekeyAfterPackets {
            nextHandshakeAt = now
        }
        if let at = paceUntil, now >= at { setPace(nil, at: now) }
        if let at = failoverDeadline, now >= at { failover(at: now) }
        if let at = nextHandshakeAt, now >= at { startHandshake(at: now) }
        if let slot = current, now - (lastSentAt ?? slot.madeAt) >= config.timers.keepalive { keepaliveDue = true }
        if let at = reportAt, now >= at, let every = config.timers.report {
            reportDue = true
            reportAt = now + every
        }
        repair(at: now)
        pacedFlushAt = pacedFlushAt.filter { $0.value > now }
        flushPending(at: now)
        updateStatus(at: now)
    }

    public mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
        stats.bytesReceived += datagram.count
        let type: WireFrame.DatagramType
        do { type = try WireFrame.DatagramType.of(datagram) } catch {
            count(drop: SessionDropReason(error.reason))
            return
        }
        switch type {
        case .handshakeResponse: receiveResponse(datagram, at: now)
        case .cookieReply:
            do { _ = try cookies.consumeCookieReply(datagram, at: now) } catch { count(drop: .badCookieReply) }
        case .ack: receiveControl(datagram, at: now)
        case .data, .handshakeInitiation: count(drop: .unexpectedType)
        }
    }

    // MARK: - Internals

    mutating func takePacketNumber() -> UInt64 {
        defer {
            nextPacketNumber += 1
            current?.packetsSent += 1
        }
        return nextPacketNumber
    }

    mutating func note(sent bytes: Int, at now: Instant) {
        stats.datagramsSent += 1
        lastSentAt = now
    }

    mutating func count(drop reason: SessionDropReason) { stats.dropped[reason, default: 0] += 1 }

    mutating func startHandshake(at now: Instant) {
        let wall = config.wallClockAtZero.adding(now - .zero)
        // Timestamps must grow even if the wall clock stands still between two attempts.
        let stamp = lastTimestamp.map { max(wall, $0.adding(.nanoseconds(1))) } ?? wall
        lastTimestamp = stamp
        let index = UInt32(truncatingIfNeeded: random.next())
        do {
            let h = try HandshakeInitiator(localStatic: config.staticKey, remoteStatic: config.collectorKey, psk: config.psk,
                                           localIndex: index, ephemeral: PrivateKey(using: &random), timestamp: stamp,
                                           cookies: &cookies, at: now)
            pending = h
            pendingSentAt = now
            attempts += 1
            stats.bytesHandshake += h.initiation.count
            outbox.append(Transmit(datagram: h.initiation, destination: config.collector))
        } catch {
            count(drop: .handshakeBuildFailed)
        }
        let backoff = min(config.timers.handshakeRetryMax, config.timers.handshakeRetry * (1 << min(attempts - 1, 16)))
        nextHandshakeAt = now + backoff
        if current == nil { setStatus(.handshaking(attempt: attempts)) }
    }

    mutating func receiveResponse(_ d: [UInt8], at now: Instant) {
        guard var h = pending, HandshakeInitiator.receiverIndex(ofResponse: d) == h.localIndex else {
            count(drop: .unexpectedResponse)
            return
        }
        let keys: TransportKeys
        do { keys = try h.readResponse(d) } catch {
            count(drop: .badResponse)
            return
        }
        pending = nil
        previous = current
        current = KeySlot(keys: keys, protection: SealedProtection(keys: keys), madeAt: now)
        // A collector that completes a handshake is there: the failover clock starts again.
        progressAt = now
        attempts = 0
        nextHandshakeAt = nil
        lastHeardAt = now
        waitingSince = nil
        stats.handshakes += 1
        events.append(.established(handshakes: stats.handshakes))
        if let sentAt = pendingSentAt, rtt.samples == 0 {
            rtt.update(sample: now - sentAt, ackDelay: .zero, maxAckDelay: config.timers.maxAckDelay)
        }
        setStatus(.established)
        // Something to say at once, so the collector learns the new keys are in use.
        keepaliveDue = true
        // The first REPORT once a few RTT samples are in, then one per period.
        if reportAt == nil, let every = config.timers.report { reportAt = now + min(every, .seconds(1)) }
    }

    mutating func setStatus(_ s: AgentStatus) {
        guard s != status else { return }
        status = s
        events.append(.statusChanged(s))
    }

    /// Where the silence clock starts (SPEC.md §11.5 `SILENCE`): the later of the last
    /// datagram heard from the collector and the first DATA sent since.
    func silenceFrom(madeAt: Instant) -> Instant {
        let heard = lastHeardAt ?? madeAt
        guard let w = waitingSince, w > heard else { return heard }
        return w
    }

    mutating func updateStatus(at now: Instant) {
        guard let slot = current else { return }
        let quiet = now - silenceFrom(madeAt: slot.madeAt)
        if quiet >= config.timers.silence && (!windows.isEmpty || sender.queuedCount > 0) {
            // Keys the collector does not answer to (it restarted, or a forged response with
            // another index got in first) are useless: handshake again, as WireGuard does.
            if case .silent = status {} else if pending == nil { nextHandshakeAt = now }
            setStatus(.silent(seconds: Int(quiet.seconds), collector: config.collector.value))
        } else if case .silent = status, quiet < config.timers.silence {
            setStatus(.established)
        }
    }
}

extension TAI64N {
    /// This time plus `d` (d ≥ 0).
    func adding(_ d: Duration) -> TAI64N {
        let ns = UInt64(max(0, d.nanoseconds)) + UInt64(nanoseconds)
        return TAI64N(seconds: seconds + ns / 1_000_000_000, nanoseconds: UInt32(ns % 1_000_000_000))
    }
}
