import Noise
import SansIO
import WireCodec
import WireFrame
import WireLimits
import WirePipeline

/// What a collector session needs to know.
public struct CollectorConfig: Sendable {
    public var staticKey: PrivateKey
    /// Agent static keys allowed to connect; no other initiation is ever answered.
    public var allowedAgents: Set<PublicKey>
    /// Optional pre-shared key every agent uses (IKpsk2).
    public var psk: [UInt8]?
    public var timers: SessionTimers
    /// Initiations per second above which the collector is under load and answers
    /// initiations without a valid mac2 with a cookie reply only (SPEC.md §10.4).
    public var loadThreshold: Int
    /// Most agents with live sessions at once (memory bound under a flood of valid keys).
    public var maxPeers: Int
    public var random: RandomSource
    /// This session's place among the shards of a collector spread over cores (nil: the
    /// collector is one session). `maxPeers` and `loadThreshold` then hold per shard.
    public var shard: CollectorShard?
    /// The owner stores decoded windows and reports them durable (`setDurable`) soon
    /// after: DATA is then acknowledged by the ack timer (within `MAX_ACK_DELAY` of the
    /// first unacknowledged datagram), usually together with the durable watermark the
    /// commit moves, rather than at every completed bundle, every `ACK_EVERY` datagrams
    /// and again after the commit (SPEC.md §11.3). A rejection is still sent at once.
    /// Fewer CONTROL datagrams, for the collector to send and for every agent to read.
    public var ackWithDurable: Bool

    public init(staticKey: PrivateKey, allowedAgents: Set<PublicKey>, psk: [UInt8]? = nil, timers: SessionTimers = SessionTimers(),
                loadThreshold: Int = 50, maxPeers: Int = 10_000, random: RandomSource = .system, shard: CollectorShard? = nil,
                ackWithDurable: Bool = false) {
        self.staticKey = staticKey
        self.allowedAgents = allowedAgents
        self.psk = psk
        self.timers = timers
        self.loadThreshold = loadThreshold
        self.maxPeers = maxPeers
        self.random = random
        self.shard = shard
        self.ackWithDurable = ackWithDurable
    }
}

/// What happened at the collector, for its owner (the store, metrics, the simulator).
public enum CollectorEvent: Sendable {
    case peerConnected(PublicKey, address: PeerAddress)
    case windowDecoded(PublicKey, DecodedWindow)
    case windowRejected(PublicKey, WindowAddress, WindowRejection)
}

/// The collector's side of FlameWire sessions (SPEC.md §10–§11), for every agent, sans-IO.
///
/// It answers only what proves knowledge of its public key (mac1) and comes from an
/// allowed agent key, never with more bytes than it received; opens DATA with the keys
/// its connection id selects (replay-checked, committed only after the tag verifies);
/// reassembles and decodes each agent's windows; and acknowledges what it received,
/// decoded, still lacks and has stored.
public struct CollectorSession: DatagramEndpoint, Sendable {
    public private(set) var config: CollectorConfig
    /// Datagrams dropped, by reason (never answered).
    public internal(set) var dropped: [SessionDropReason: Int] = [:]
    public internal(set) var bytesSent = 0
    public internal(set) var cookieRepliesSent = 0
    /// Datagrams handed to the shard that owns them (`CollectorShard`).
    public internal(set) var forwardedOut = 0
    /// The newest initiation timestamp accepted per agent key: persist it and give it back
    /// (`restoreTimestamps`) after a restart, so an old initiation cannot be replayed.
    public internal(set) var acceptedTimestamps: [PublicKey: TAI64N] = [:]

    var random: SessionRandom
    var cookieChecker: CookieChecker
    var peers: [PublicKey: Peer] = [:]
    var connections: [UInt32: PublicKey] = [:]
    var outbox: [Transmit] = []
    var forwards: [ForwardedDatagram] = []
    var events: [CollectorEvent] = []
    var initiationsThisSecond = 0
    var currentSecond: Int64 = -1
    /// Peers that may owe an acknowledgement (ACK-now or a deadline), so finding the due
    /// ones never walks every peer; `ackQueue` holds the due ones of the last scan.
    var ackPending: Set<PublicKey> = []
    var ackQueue: [PublicKey] = []
    /// Some pending peer wants an acknowledgement at once.
    var ackSoon = false
    /// No pending deadline is earlier than this (it may be earlier than the true one).
    var nextAckDeadline: Instant?
    var lastKeyExpiry: Instant?

    struct Peer: Sendable {
        var key: PublicKey
        var address: PeerAddress
        var slots: [UInt32: Slot] = [:]
        /// Keys the latest authenticated datagram came under: acknowledgements use them.
        var replyIndex: UInt32
        var receiver = WindowReceiver()
        var received = PacketRanges()
        /// The agent's CONTROL packets (keepalives, REPORT): never acknowledged, so not in
        /// `received`, but they share its packet numbers and are no loss (`path(of:)`).
        var controlPackets = Self.noControlPackets
        /// CONTROL packets come one at a time, each its own range: room for more of them
        /// than `received` keeps ranges, so the span it covers holds all of them.
        static var noControlPackets: PacketRanges { PacketRanges(limit: 4 * ControlFrame.maxRanges) }
        var largestReceivedAt: Instant?
        var unacked = 0
        var ackDeadline: Instant?
        var ackNow = false
        var nextPacketNumber: UInt64 = 1
        var highestPacket: UInt64 = 0
        var rejected: [ControlFrame] = []
        var durable: [UInt32: UInt32] = [:]
        /// The agent's newest REPORT and the packet it came in (an older one arriving late
        /// does not replace it).
        var report: PathReport?
        var reportPacket: UInt64 = 0
        /// The PACE this peer last got (ms; 0: none or lifted) and when.
        var paceSent: UInt32 = 0
        var paceSentAt: Instant?

        /// After a datagram authenticated: commit its packet number, follow the agent's
        /// address (NAT rebinding: only a newer packet moves it), and note it for
        /// acknowledgement. Returns the connections it forgot because the agent restarted.
        @discardableResult
        mutating func authenticated(connection: UInt32, packetNumber pn: UInt64, from address: PeerAddress, at now: Instant,
                                    ackEliciting: Bool, ackEvery: Int, maxAckDelay: Duration) -> [UInt32] {
            slots[connection]?.replay.commit(pn)
            var forgotten: [UInt32] = []
            if pn <= highestPacket, connection != replyIndex, let made = slots[connection]?.madeAt,
               slots[replyIndex].map({ made > $0.madeAt }) ?? true {
                // The first packet under keys newer than the ones followed so far, numbered
                // no higher than what came before: the agent process restarted and its
                // counter began again (a rekeying agent keeps counting). Its packet numbers
                // are a new space: the old run's keys, received ranges and pending frames go,
                // or every reply would go out under keys nobody holds (SPEC.md §11.3).
                forgotten = slots.keys.filter { $0 != connection }
                for i in forgotten { slots[i] = nil }
                received = PacketRanges()
                controlPackets = Self.noControlPackets
                largestReceivedAt = nil
                unacked = 0
                ackDeadline = nil
                ackNow = false
                highestPacket = 0
                rejected = []
                durable = [:]
                report = nil
                reportPacket = 0
            }
            if slots[connection]?.confirmed == false { confirm(connection, forgetting: &forgotten) }
            if pn > highestPacket {
                highestPacket = pn
                self.address = address
                replyIndex = connection
            }
            guard ackEliciting else {
                controlPackets.insert(pn)
                return forgotten
            }
            if received.insert(pn), pn >= received.largest { largestReceivedAt = now }
            unacked += 1
            if unacked >= ackEvery { ackNow = true }
            if ackDeadline == nil { ackDeadline = now + maxAckDelay }
            return forgotten
        }

        /// The first datagram under a key set: the agent holds it, so it becomes *current*; the
        /// current set becomes *previous* and the previous one goes (SPEC.md §11.5).
        mutating func confirm(_ connection: UInt32, forgetting forgotten: inout [UInt32]) {
            slots[connection]!.confirmed = true
            let older = slots.filter { $0.key != connection && $0.value.confirmed }.sorted { $0.value.madeAt > $1.value.madeAt }
            for (i, _) in older.dropFirst() {
                slots[i] = nil
                forgotten.append(i)
            }
        }

        /// A new initiation's key set (*next*): it replaces an earlier set no datagram came
        /// under yet (the agent, retrying, no longer holds it), never the sets in use.
        mutating func addNext(_ index: UInt32, _ slot: Slot) -> [UInt32] {
            let unused = slots.filter { !$0.value.confirmed }.map(\.key)
            for i in unused { slots[i] = nil }
            slots[index] = slot
            return unused
        }
    }

    /// Opened DATA symbols land here (`SealedProtection.openData(_:header:into:)`).
    var scratch: [UInt8] = []

    struct Slot: Sendable {
        var keys: TransportKeys
        var protection: SealedProtection
        var madeAt: Instant
        var replay = ReplayWindow()
        /// A datagram came under these keys, so the agent holds them (*current* or
        /// *previous*); until then they are *next*, made by answering an initiation.
        var confirmed = false
    }

    public init(config: CollectorConfig) {
        self.config = config
        random = SessionRandom(config.random)
        cookieChecker = CookieChecker(localStatic: config.staticKey.publicKey)
    }

    /// Gives back persisted timestamps (SPEC.md §10.3) after a restart.
    public mutating func restoreTimestamps(_ t: [PublicKey: TAI64N]) {
        for (k, v) in t { acceptedTimestamps[k] = max(v, acceptedTimestamps[k] ?? v) }
    }

    /// Replaces the allow list (a reload on SIGHUP). An agent no longer on it loses its
    /// session at once: its keys are forgotten, so its datagrams are dropped from now on
    /// (`unknownConnection`) and its initiations refused (`unknownAgent`). Returns the
    /// agents whose sessions ended.
    @discardableResult
    public mutating func setAllowedAgents(_ keys: Set<PublicKey>) -> [PublicKey] {
        config.allowedAgents = keys
        let revoked = peers.keys.filter { !keys.contains($0) }
        config.shard?.ledger.retain(keys)
        for k in revoked {
            for index in peers[k]!.slots.keys { connections[index] = nil }
            peers[k] = nil
        }
        return revoked
    }

    /// The store committed `stream`'s windows up to `seq` for `agent`: acknowledgements
    /// carry it as the durable watermark from now on.
    public mutating func setDurable(agent: PublicKey, stream: UInt32, seq: UInt32) {
        guard peers[agent] != nil else { return }
        peers[agent]!.durable[stream] = max(peers[agent]!.durable[stream] ?? 0, seq)
        peers[agent]!.ackNow = true
        noteAck(agent, now: true, deadline: nil)
    }

    /// Remembers that `key` owes an acknowledgement (now, or by `deadline`).
    mutating func noteAck(_ key: PublicKey, now: Bool, deadline: Instant?) {
        guard now || deadline != nil else { return }
        ackPending.insert(key)
        if now { ackSoon = true }
        if let deadline { nextAckDeadline = nextAckDeadline.map { min($0, deadline) } ?? deadline }
    }

    /// The events since the last call, oldest first.
    /// Whether `pollEvents` has something to give.
    public var hasEvents: Bool { !events.isEmpty }

    public mutating func pollEvents() -> [CollectorEvent] {
        defer { events.removeAll() }
        return events
    }

    public var peerKeys: [PublicKey] { Array(peers.keys) }

    /// How many sets of transport keys the collector holds for `agent` (at most three:
    /// current, previous and next, SPEC.md §11.5).
    public func keySets(of agent: PublicKey) -> Int { peers[agent]?.slots.count ?? 0 }

    /// What the collector sees of one agent's path: datagrams authenticated, the share of
    /// packet numbers up to the highest that never arrived (loss seen here, before repair;
    /// over the ranges still remembered), and blocks rebuilt from parity.
    public struct PeerPath: Sendable, Equatable {
        public var highestPacket: UInt64
        public var packetsReceived: UInt64
        public var lossSeen: Double
        public var blocksRecovered: Int
        /// Stack rows the agent's stream decoders hold (whole states and patches): with
        /// `dictionaryEntries`, what the session costs in memory.
        public var heldRows: Int = 0
        /// Entries in the dictionaries of the agent's streams.
        public var dictionaryEntries: Int = 0
        /// What the agent last reported of its path (RTT, interval, loss, repair); nil
        /// until its first REPORT.
        public var report: PathReport?
    }

    public func path(of agent: PublicKey) -> PeerPath? {
        guard let p = peers[agent] else { return nil }
        let got = p.received.ranges.reduce(UInt64(0)) { $0 + ($1.upperBound - $1.lowerBound + 1) }
        let span = p.received.ranges.last.map { p.received.largest - $0.lowerBound + 1 } ?? 0
        // CONTROL packets inside the span arrived too: only packet numbers nothing came in are loss.
        var control: UInt64 = 0
        if let low = p.received.ranges.last?.lowerBound {
            for r in p.controlPackets.ranges {
                let a = max(r.lowerBound, low), b = min(r.upperBound, p.received.largest)
                if a <= b { control += b - a + 1 }
            }
        }
        var rows = 0, entries = 0
        for stream in p.receiver.streams {
            guard let d = p.receiver.decoder(stream) else { continue }
            let c = d.heldCost
            rows += c.fullRows + c.patchRows
            entries += d.dictionary.count
        }
        return PeerPath(highestPacket: p.highestPacket, packetsReceived: got, lossSeen: span > 0 ? max(0, 1 - Double(got + control) / Double(span)) : 0,
                        blocksRecovered: p.receiver.reassembler.blocksRecovered, heldRows: rows, dictionaryEntries: entries,
                        report: p.report)
    }
    public func address(of agent: PublicKey) -> PeerAddress? { peers[agent]?.address }
    public func receiver(of agent: PublicKey) -> WindowReceiver? { peers[agent]?.receiver }
    /// The dictionary of an agent's stream, without copying its receiver and decoder on the way.
    public func dictionary(of agent: PublicKey, stream: UInt32) -> WireDictionary? {
        guard let i = peers.index(forKey: agent) else { return nil }
        return peers.values[i].receiver.dictionary(stream)
    }

    // MARK: - DatagramEndpoint

    public mutating func receive(_ d: [UInt8], from address: PeerAddress, at now: Instant) {
        receive(d, from: address, at: now, forwarded: false)
    }

    public mutating func receiveForwarded(_ d: [UInt8], from address: PeerAddress, at now: Instant) {
        receive(d, from: address, at: now, forwarded: true)
    }

    public mutating func pollForward() -> ForwardedDatagram? {
        forwards.isEmpty ? nil : forwards.removeFirst()
    }

    mutating func receive(_ d: [UInt8], from address: PeerAddress, at now: Instant, forwarded: Bool) {
        let type: WireFrame.DatagramType
        do { type = try WireFrame.DatagramType.of(d) } catch {
            count(SessionDropReason(error.reason))
            return
        }
        switch type {
        case .handshakeInitiation: receiveInitiation(d, from: address, at: now, forwarded: forwarded)
        case .data: receiveData(d, from: address, at: now, forwarded: forwarded)
        case .ack: receiveControl(d, from: address, at: now, forwarded: forwarded)
        case .handshakeResponse, .cookieReply: count(.unexpectedType)
        }
    }

    public mutating func pollTransmit(at now: Instant) -> Transmit? {
        if !outbox.isEmpty { return sent(outbox.removeFirst()) }
        while true {
            if ackQueue.isEmpty {
                guard ackSoon || (nextAckDeadline.map { $0 <= now } ?? false) else { return nil }
                // One walk over the pending peers finds every due one (and the next deadline).
                ackSoon = false
                nextAckDeadline = nil
                var still: Set<PublicKey> = []
                for key in ackPending {
                    guard let (soon, deadline) = peers[key].map({ ($0.ackNow, $0.ackDeadline) }) else { continue }
                    if soon || (deadline.map { $0 <= now } ?? false) {
                        ackQueue.append(key)
                    } else if let deadline {
                        still.insert(key)
                        nextAckDeadline = nextAckDeadline.map { min($0, deadline) } ?? deadline
                    }
                }
                ackPending = still
                if ackQueue.isEmpty { return nil }
            }
            if let t = acknowledgement(for: ackQueue.removeLast(), at: now) { return sent(t) }
        }
    }

    public func nextWakeup() -> Instant? { nextAckDeadline }

    public mutating func handleTimeout(at now: Instant) {
        // Keys past their lifetime are forgotten (the agent rekeys well before); looked for
        // at most once a second, since timeouts come as often as acknowledgements are due.
        if lastKeyExpiry.map({ now - $0 < .seconds(1) }) ?? false {
            cookieChecker.rotateSecretIfNeeded(at: now, using: &random)
            return
        }
        lastKeyExpiry = now
        for key in Array(peers.keys) {
            for (index, slot) in peers[key]!.slots where now - slot.madeAt > config.timers.rejectAfterTime {
                peers[key]!.slots[index] = nil
                connections[index] = nil
            }
        }
        cookieChecker.rotateSecretIfNeeded(at: now, using: &random)
    }

    // MARK: - Internals

    mutating func count(_ reason: SessionDropReason) { dropped[reason, default: 0] += 1 }

    mutating func sent(_ t: Transmit) -> Transmit {
        bytesSent += t.datagram.count
        return t
    }

    /// Hands `d` to the shard that gave out `connection` when that is another shard (an
    /// agent whose address moved it to this shard's socket). False: it is this shard's.
    mutating func forward(_ d: [UInt8], connection: UInt32, from address: PeerAddress, forwarded: Bool) -> Bool {
        guard let shard = config.shard, !forwarded else { return false }
        let owner = shard.owner(ofConnection: connection)
        guard owner != shard.index else { return false }
        handOff(d, to: owner, from: address)
        return true
    }

    mutating func handOff(_ d: [UInt8], to shard: Int, from address: PeerAddress) {
        forwards.append(ForwardedDatagram(shard: shard, datagram: d, source: address))
        forwardedOut += 1
    }

    mutating func receiveInitiation(_ d: [UInt8], from address: PeerAddress, at now: Instant, forwarded: Bool = false) {
        let second = now.nanoseconds / 1_000_000_000
        if second != currentSecond {
            currentSecond = second
            initiationsThisSecond = 0
        }
        initiationsThisSecond += 1
        // The shard that read a forwarded initiation checked its mac2 already.
        let underLoad = !forwarded && initiationsThisSecond > config.loadThreshold
        cookieChecker.rotateSecretIfNeeded(at: now, using: &random)
        let source = Array(address.value.utf8)
        let verdict: CookieChecker.Verdict
        do { verdict = try cookieChecker.check(d, source: source, underLoad: underLoad, at: now) } catch {
            count(error == .badMac1 ? SessionDropReason.badMac1 : .badHandshake)
            return
        }
        if verdict == .sendCookieReply {
            guard let reply = try? cookieChecker.cookieReply(to: d, source: source, at: now, using: &random) else { return }
            cookieRepliesSent += 1
            outbox.append(Transmit(datagram: reply, destination: address))
            return
        }
        let got: ReceivedInitiation
        do { got = try ReceivedInitiation.read(d, localStatic: config.staticKey, usesPSK: config.psk != nil) } catch {
            count(.badInitiation)
            return
        }
        guard config.allowedAgents.contains(got.peerStatic) else {
            count(.unknownAgent)
            return
        }
        if let shard = config.shard {
            let owner = shard.ledger.claim(got.peerStatic, for: shard.index)
            if owner != shard.index {
                // Another shard holds this agent's session: the initiation is answered there.
                if forwarded { count(.misrouted) } else { handOff(d, to: owner, from: address) }
                return
            }
        }
        if let last = acceptedTimestamps[got.peerStatic], got.timestamp <= last {
            count(.replayedInitiation)
            return
        }
        guard peers[got.peerStatic] != nil || peers.count < config.maxPeers else {
            // A full shard keeps no claim on the agent: a shard with room may take it.
            config.shard?.ledger.release(got.peerStatic, from: config.shard!.index)
            count(.tooManyPeers)
            return
        }
        let shard = config.shard
        func draw() -> UInt32 {
            let r = UInt32(truncatingIfNeeded: random.next())
            return shard?.connectionID(from: r) ?? r
        }
        var index = draw()
        while connections[index] != nil || index == 0 { index = draw() }
        let response: [UInt8], keys: TransportKeys
        do { (response, keys) = try got.respond(localIndex: index, psk: config.psk, using: &random) } catch {
            count(.badInitiation)
            return
        }
        acceptedTimestamps[got.peerStatic] = got.timestamp
        connections[index] = got.peerStatic
        var peer = peers[got.peerStatic] ?? Peer(key: got.peerStatic, address: address, replyIndex: index)
        let isNew = peers[got.peerStatic] == nil
        peer.address = address
        // The keys in use (current, and previous for datagrams still in flight under them)
        // stay until a datagram comes under the new ones; an unanswered earlier set goes.
        for i in peer.addNext(index, Slot(keys: keys, protection: SealedProtection(keys: keys), madeAt: now)) { connections[i] = nil }
        peers[got.peerStatic] = peer
        if isNew { events.append(.peerConnected(got.peerStatic, address: address)) }
        outbox.append(Transmit(datagram: response, destination: address))
    }

    /// The peer and slot a connection id names, after the replay check.
    mutating func slot(for connection: UInt32, packetNumber pn: UInt64) -> (PublicKey, Slot)? {
        guard let key = connections[connection], let slot = peers[key]?.slots[connection] else {
            count(.unknownConnection)
            return nil
        }
        guard slot.replay.check(pn) else {
            count(.replayed)
            return nil
        }
        return (key, slot)
    }

    /// After a datagram authenticated (SPEC.md §11.3): see `Peer.authenticated`.
    mutating func authenticated(_ key: PublicKey, connection: UInt32, packetNumber pn: UInt64, from address: PeerAddress,
                                at now: Instant, ackEliciting: Bool) {
        let ackEvery = config.timers.ackEvery, maxAckDelay = config.timers.maxAckDelay
        var owes: (Bool, Instant?) = (false, nil)
        var forgotten: [UInt32] = []
        Self.modify(&peers[key]) { p in
            forgotten = p.authenticated(connection: connection, packetNumber: pn, from: address, at: now,
                                        ackEliciting: ackEliciting, ackEvery: ackEvery, maxAckDelay: maxAckDelay)
            owes = (p.ackNow, p.ackDeadline)
        }
        for i in forgotten { connections[i] = nil }
        noteAck(key, now: owes.0, deadline: owes.1)
    }

    /// Mutates a peer in place (one hash lookup, no copy of its receiver).
    static func modify(_ peer: inout Peer?, _ body: (inout Peer) -> Void) {
        guard peer != nil else { return }
        body(&peer!)
    }

    mutating func receiveData(_ d: [UInt8], from address: PeerAddress, at now: Instant, forwarded: Bool = false) {
        let h: DatagramHeader
        do { h = try DatagramHeader.parse(d) } catch {
            count(SessionDropReason(error.reason))
            return
        }
        guard let key = connections[h.connectionID] else {
            if forward(d, connection: h.connectionID, from: address, forwarded: forwarded) { return }
            count(.unknownConnection)
            return
        }
        // One lookup of the peer for the whole datagram, which is opened straight from the
        // borrowed bytes into the session's scratch buffer (no copy, no allocation).
        var scratch = self.scratch
        self.scratch = []
        defer { self.scratch = scratch }
        var drop: SessionDropReason?
        var event: ReceiveEvent?
        var owes: (Bool, Instant?) = (false, nil)
        var forgotten: [UInt32] = []
        let ackEvery = config.timers.ackEvery, maxAckDelay = config.timers.maxAckDelay, withDurable = config.ackWithDurable
        Self.modify(&peers[key]) { p in
            let pn = h.packetNumber
            guard let slot = p.slots[h.connectionID] else { drop = .unknownConnection; return }
            guard slot.replay.check(pn) else { drop = .replayed; return }
            guard slot.protection.openData(d, header: h, into: &scratch) else { drop = .authenticationFailed; return }
            // Holding for the owner's commit, the ack timer alone paces acknowledgements.
            forgotten = p.authenticated(connection: h.connectionID, packetNumber: pn, from: address, at: now,
                                        ackEliciting: true, ackEvery: withDurable ? .max : ackEvery, maxAckDelay: maxAckDelay)
            let e = p.receiver.receive(h, symbol: scratch[0..<h.symbolSize], at: now)
            if case .bundle(_, let windows, _) = e {
                let rejectedBefore = p.rejected.count
                for case .rejected(let a, let why) in windows {
                    p.rejected.append(.rejected(stream: a.stream, seq: a.seq, reason: UInt8(RejectReason.allCases.firstIndex(of: why.reason) ?? 0),
                                                base: why.unknownBase ?? 0))
                }
                // At once, unless the owner's commit will acknowledge it within the ack
                // timer (set when this bundle's first datagram arrived). A rejection goes
                // at once either way: the agent acts on it.
                if !withDurable || p.rejected.count > rejectedBefore { p.ackNow = true }
            }
            event = e
            owes = (p.ackNow, p.ackDeadline)
        }
        for i in forgotten { connections[i] = nil }
        noteAck(key, now: owes.0, deadline: owes.1)
        if event == nil && drop == nil { drop = .unknownConnection }
        if let drop {
            count(drop)
            return
        }
        switch event {
        case .bundle(_, let windows, _):
            for w in windows {
                switch w {
                case .decoded(let d, _): events.append(.windowDecoded(key, d))
                case .rejected(let a, let why): events.append(.windowRejected(key, a, why))
                }
            }
        case .dropped(let e): count(SessionDropReason(e.reason))
        case .progress, .duplicate, .none: break
        }
    }

    mutating func receiveControl(_ d: [UInt8], from address: PeerAddress, at now: Instant, forwarded: Bool = false) {
        guard let (connection, pn) = ControlDatagram.header(d) else {
            count(.tooShort)
            return
        }
        if connections[connection] == nil, forward(d, connection: connection, from: address, forwarded: forwarded) { return }
        guard let (key, slot) = slot(for: connection, packetNumber: pn) else { return }
        guard let payload = ControlDatagram.open(d, packetNumber: pn, keys: slot.keys) else {
            count(.authenticationFailed)
            return
        }
        guard let frames = try? ControlFrame.decode(payload) else {
            count(.malformedControl)
            return
        }
        // Keepalives prove liveness and carry the agent's current address; nothing to acknowledge.
        authenticated(key, connection: connection, packetNumber: pn, from: address, at: now, ackEliciting: false)
        for case .report(let r) in frames {
            Self.modify(&peers[key]) { p in
                guard pn > p.reportPacket else { return }
                p.report = r
                p.reportPacket = pn
            }
        }
    }

    /// The CONTROL datagram acknowledging what `key`'s agent sent (SPEC.md §11.2).
    mutating func acknowledgement(for key: PublicKey, at now: Instant) -> Transmit? {
        var t: Transmit?, paced: Transmit?
        let repairLimit = config.timers.repairLimit, every = config.timers.paceRepeat
        let want = UInt32(clamping: (pace?.nanoseconds ?? 0) / 1_000_000)
        // In place: a copy of the peer would copy its receiver's buffers on the first change.
        Self.modify(&peers[key]) { p in
            t = p.acknowledgement(at: now, repairLimit: repairLimit)
            paced = p.paceDatagram(want, at: now, every: every)
        }
        if let paced { outbox.append(paced) }
        return t
    }

    /// The interval this collector asks its agents for while it is overloaded (PACE,
    /// SPEC.md §11.6), nil while it is not.
    public private(set) var pace: Duration?

    /// Asks every agent for an interval of at least `p` (at most `MAX_PACE`; nil or zero
    /// lifts the request). A PACE frame goes with each agent's next acknowledgement, then
    /// every `PACE_REPEAT` while it lasts; lifting it sends PACE 0 once to the agents that
    /// had one.
    public mutating func setPace(_ p: Duration?) {
        guard let p, p > .zero else { pace = nil; return }
        pace = max(min(p, config.timers.maxPace), .milliseconds(1))
    }
}

extension CollectorSession.Peer {
    /// The acknowledgement of everything this peer sent so far, under the keys of its
    /// newest authenticated packet (or its newest keys in use if those are gone); nil when there
    /// is nothing to say or no keys.
    mutating func acknowledgement(at now: Instant, repairLimit: Duration) -> Transmit? {
        // Whatever happens below, this acknowledgement is done: no timer stays in the past.
        unacked = 0
        ackNow = false
        ackDeadline = nil
        guard let slot = replySlot else { return nil }
        var frames: [ControlFrame] = []
        if !received.isEmpty {
            let delay = largestReceivedAt.map { now - $0 } ?? .zero
            frames.append(.ack(received, ackDelayMicros: UInt64(max(0, delay.nanoseconds / 1000))))
        }
        for stream in receiver.streams {
            guard let held = receiver.decoder(stream)?.heldSequences, let highest = held.last else { continue }
            var earlier: UInt64 = 0
            for s in held where s < highest && highest - s <= 64 { earlier |= 1 << UInt64(highest - s - 1) }
            frames.append(.decoded(stream: stream, highest: highest, earlier: earlier))
        }
        for (stream, seq) in durable.sorted(by: { $0.key < $1.key }) { frames.append(.durable(stream: stream, seq: seq)) }
        // Bundles the agent stopped repairing (older than the repair limit, with margin) are
        // given up, so MISSING frames name only what repair can still complete.
        receiver.reassembler.expire(before: now - repairLimit * 2)
        for id in receiver.reassembler.partialIDs.prefix(32) {
            if let m = receiver.reassembler.missing(id) { frames.append(.missing(bundle: id, perBlock: m.map { UInt32($0) })) }
        }
        frames += rejected
        rejected.removeAll()
        let pn = nextPacketNumber
        nextPacketNumber += 1
        guard !frames.isEmpty else { return nil }
        let d = ControlDatagram.seal(frames, connectionID: slot.keys.remoteIndex, packetNumber: pn, keys: slot.keys)
        return Transmit(datagram: d, destination: address)
    }

    /// The keys replies go under: those of the newest authenticated packet, or if they are
    /// gone the newest confirmed set, or the newest set.
    var replySlot: CollectorSession.Slot? {
        slots[replyIndex] ?? slots.values.filter(\.confirmed).max(by: { $0.madeAt < $1.madeAt })
            ?? slots.values.max(by: { $0.madeAt < $1.madeAt })
    }

    /// A CONTROL datagram holding PACE alone (an agent that predates the frame refuses
    /// that datagram only) when this peer is due one: `want` ms (0: no request) differs
    /// from what it last got, or the same request was last sent `every` ago. Nothing for a
    /// peer that never got a PACE while there is no request.
    mutating func paceDatagram(_ want: UInt32, at now: Instant, every: Duration) -> Transmit? {
        if want == paceSent {
            guard want != 0, let at = paceSentAt, now - at >= every else { return nil }
        }
        guard let slot = replySlot else { return nil }
        paceSent = want
        paceSentAt = now
        let pn = nextPacketNumber
        nextPacketNumber += 1
        let d = ControlDatagram.seal([.pace(intervalMillis: want)], connectionID: slot.keys.remoteIndex, packetNumber: pn, keys: slot.keys)
        return Transmit(datagram: d, destination: address)
    }
}
