import EventLog
import Foundation
import Keys
import Logging
import Metrics
import NIOPosix
import Noise
import Profile
import SansIO
import Session
import Store
import Synchronization
import UDPRuntime
import WireCodec
import WirePipeline

/// What `flamewire collect` runs with.
public struct CollectorOptions: Sendable {
    /// The UDP address agents send to (`ip:port`).
    public var listen: String
    public var staticKey: PrivateKey
    /// Agent keys allowed to connect.
    public var allowed: Set<PublicKey>
    public var psk: [UInt8]?
    /// Where windows are kept; nil for a private in-memory SQLite store (gone on exit).
    public var store: (any ProfileStore)?
    /// Agents connecting, windows rejected, store failures, retention (one line each with
    /// `LineLogHandler`); each drain's commit at debug.
    public var logger: Logger
    /// Called after each commit with the windows it stored (`collect --window-log`).
    public var onStored: (@Sendable ([StoredWindow]) -> Void)?
    /// A drain that finds more events than this is behind (its store was starved or slow):
    /// it stores only the newest window of each stream (STORE.md §7). Drains run every
    /// 10 ms under load, so a collector that keeps up finds a few dozen.
    public var coalesceAbove = 512
    /// Sessions spread over this many cores, each on its own socket and event loop sharing
    /// `listen` (`CollectorShard`): decoding takes more than one core only this way.
    public var shards = 1
    /// Overload control (SPEC.md §11.6): while the sockets drop datagrams or the store falls
    /// behind, ask the agents for a longer interval (PACE). Off: agents are never paced.
    public var pace = true

    public init(listen: String, staticKey: PrivateKey, allowed: Set<PublicKey>, psk: [UInt8]? = nil, store: (any ProfileStore)? = nil,
                logger: Logger = .silent, onStored: (@Sendable ([StoredWindow]) -> Void)? = nil) {
        self.listen = listen
        self.staticKey = staticKey
        self.allowed = allowed
        self.psk = psk
        self.store = store
        self.logger = logger
        self.onStored = onStored
    }
}

/// One stream as the collector holds it: whose it is, what it is, its newest window.
public struct StreamSummary: Sendable {
    public var agent: PublicKey
    public var stream: UInt32
    public var info: StreamInfo
    public var seq: UInt32
    /// Windows of the stream decoded so far (duplicates not counted).
    public var windowsDecoded: Int
}

/// One agent with a session now: its key, where its datagrams come from, and what the
/// collector sees of its path (with the agent's own REPORT, once one arrived).
public struct AgentSummary: Sendable {
    public var agent: PublicKey
    public var address: String
    public var path: CollectorSession.PeerPath
}

/// One stored stream over a time range, rebuilt as a profile (counters summed over the
/// range, gauges as its mean or its last level).
public struct CollectedStream: Sendable {
    /// The agent's public key, base64.
    public var agent: String
    public var info: StreamInfo
    /// Windows stored in the range.
    public var windows: Int64
    /// The stream's first and last stored window times (ns since 1970).
    public var firstNanos: Int64
    public var lastNanos: Int64
    public var profile: Profile

    public init(_ r: RangeProfile) {
        agent = r.stream.agent
        info = r.stream.info
        windows = r.windows
        firstNanos = r.stream.firstNanos
        lastNanos = r.stream.lastNanos
        profile = r.profile
    }
}

/// Windows the collector decoded and rejected, per agent stream.
public struct CollectorTallies: Sendable, Equatable {
    public var decoded: [StreamKey: Int] = [:]
    public var rejected: [StreamKey: Int] = [:]
    public var peersConnected = 0
    /// Windows committed to the store, and store commits that failed (their windows are
    /// not reported durable; the next stored state of the stream carries their counts).
    public var windowsStored = 0
    public var storeFailures = 0
    /// Older windows that arrived after a newer one of their stream was stored (repairs
    /// that came late): their values are in the newer state, so they are not stored.
    public var windowsSuperseded = 0
    /// Windows not stored on their own because the collector was behind (a drain found more
    /// than `CollectorOptions.coalesceAbove` events): a newer window of their stream, stored
    /// in the same commit, carries their counts.
    public var windowsCoalesced = 0
    /// Capture-to-durable delay of the stored windows whose capture time is known, per
    /// profile type.
    public var delay: [String: DelayHistogram] = [:]

    public struct StreamKey: Hashable, Sendable {
        public var agent: PublicKey
        public var stream: UInt32
        public init(agent: PublicKey, stream: UInt32) {
            self.agent = agent
            self.stream = stream
        }
    }
}

/// `flamewire collect`: `CollectorSession`s on real UDP sockets, one per shard (core), all on
/// the listen address (`UDPEndpointGroup`, `CollectorShard`). Their events are drained
/// continuously: every decoded window goes to the store in one transaction per drain, and
/// only once that commit returned does the session report the window durable (DURABLE in
/// the next ACK), so a crash at any moment loses nothing an agent was told is stored.
public final class CollectorRuntime: Sendable {
    /// The collector's sockets: one per shard, all on `listen`.
    public let endpoint: UDPEndpointGroup<CollectorSession>
    public let store: any ProfileStore
    let tallies = Mutex(CollectorTallies())
    /// One warning per agent stream per 10 s for rejected windows (every one is counted).
    let rejectionLog = Mutex(LogThrottle<CollectorTallies.StreamKey>())
    let ingest = Mutex(IngestState())
    public let logger: Logger
    let onStored: (@Sendable ([StoredWindow]) -> Void)?
    let coalesceAbove: Int
    /// Through swift-metrics (a no-op unless the process bootstrapped a backend, as
    /// `collect` does with Prometheus): how long each store commit took.
    let commitDuration = Metrics.Timer(label: "flamewire_store_commit_duration_seconds")

    /// What the drain keeps between passes (touched by one drain at a time).
    struct IngestState {
        /// Entries committed to the store, per agent (base64 key).
        var known: [String: Set<EntryKey>] = [:]
        /// The newest (epoch, seq) stored per agent stream in the current session.
        var newest: [CollectorTallies.StreamKey: (epoch: UInt32, seq: UInt32)] = [:]
        var draining = false
        var lastFailure = ""
        /// Whether the last drain was behind (coalesced windows): logged when it turns.
        var behind = false
        /// After a transient store failure (a full disk, ClickHouse away or slow), no store
        /// attempt before this; the delay doubles per failure from 250 ms up to 8 s.
        var retryAt: ContinuousClock.Instant?
        var retryDelay: Duration = .zero
        /// The newest window of each stream that failed to store, stored with the next
        /// drain unless a newer window of the stream comes first: its cumulative state then
        /// reaches the store even when the agent sends nothing more.
        var unstored: [CollectorTallies.StreamKey: (WindowRecord, StoredWindow)] = [:]
    }

    /// Overload control, checked once a second by `run` (SPEC.md §11.6).
    struct LoadState {
        var controller = PaceController()
        var enabled = true
        var lastDrops: Int?
        var lastRead = 0
        var lastCoalesced = 0
        var nextCheck: ContinuousClock.Instant?
    }
    let load = Mutex(LoadState())
    /// The sans-IO time `PaceController` is fed.
    let clock = MonotonicClock()

    /// The interval the collector asks its agents for (PACE) while overloaded; nil while
    /// it keeps up.
    public var pace: Duration? { load.withLock { $0.controller.pace } }

    /// The UDP receive buffer the collector asks for: room for about 6,000 full datagrams,
    /// the bursts a thousand agents send while a drain or a keyframe holds the event loop.
    public static let receiveBuffer = 8 << 20

    public static func start(_ o: CollectorOptions) async throws -> CollectorRuntime {
        let store = try o.store ?? SQLiteStore(path: ":memory:")
        let ledger = ShardLedger(), shards = max(1, o.shards)
        let endpoint = try await UDPEndpointGroup.bind(shards: shards, to: o.listen, options: UDPOptions(vectorReads: 32, receiveBuffer: Self.receiveBuffer)) { i in
            CollectorSession(config: CollectorConfig(staticKey: o.staticKey, allowedAgents: o.allowed, psk: o.psk,
                                                     shard: shards > 1 ? CollectorShard(index: i, count: shards, ledger: ledger) : nil,
                                                     ackWithDurable: true))
        }
        if let granted = endpoint.receiveBufferBytes, granted < Self.receiveBuffer {
            o.logger.notice("the kernel granted a UDP receive buffer of \(granted >> 10) KiB of the \(Self.receiveBuffer >> 10) KiB asked for: bursts from many agents may be dropped and repaired; raise net.core.rmem_max")
        }
        let runtime = CollectorRuntime(endpoint: endpoint, store: store, logger: o.logger, onStored: o.onStored, coalesceAbove: o.coalesceAbove)
        runtime.load.withLock { $0.enabled = o.pace }
        return runtime
    }

    init(endpoint: UDPEndpointGroup<CollectorSession>, store: any ProfileStore, logger: Logger,
         onStored: (@Sendable ([StoredWindow]) -> Void)?, coalesceAbove: Int) {
        self.endpoint = endpoint
        self.store = store
        self.logger = logger
        self.onStored = onStored
        self.coalesceAbove = coalesceAbove
    }

    public var counts: CollectorTallies { tallies.withLock { $0 } }

    /// Drains the session's events until the task is cancelled: as soon as a read leaves
    /// events (a window decoded, an agent connected), but no sooner than `gap` after the
    /// previous drain began, so that under load one transaction carries every window decoded
    /// meanwhile (group commit); at least every `period` without reads.
    public func run(gap: Duration = .milliseconds(10), period: Duration = .milliseconds(250)) async {
        let wake = WakeSignal()
        try? await endpoint.onReads { c in if c.hasEvents { wake.signal() } }
        while !Task.isCancelled {
            let began = ContinuousClock.now
            await drain()
            await checkLoad()
            if ContinuousClock.now < began + gap { try? await Task.sleep(until: began + gap) }
            if Task.isCancelled { break }
            await wake.wait(upTo: period)
        }
    }

    /// Once a second: was the collector overloaded in the last second (its sockets dropped
    /// at least 1 % of what they read, and at least 10 datagrams, at full receive buffers,
    /// or a drain coalesced windows because the store fell behind)? `PaceController` turns
    /// that into the interval every shard's session asks its agents for.
    func checkLoad() async {
        let now = ContinuousClock.now
        let due = load.withLock { s -> Bool in
            guard s.enabled, now >= (s.nextCheck ?? now) else { return false }
            s.nextCheck = now + .seconds(1)
            return true
        }
        guard due else { return }
        let drops = await endpoint.receiveDrops()
        let read = (try? await endpoint.counters().datagramsIn) ?? 0
        let coalesced = counts.windowsCoalesced
        let at = clock.now()
        let (changed, pace, why, overloaded, clear) = load.withLock { s -> (Bool, Duration?, String, Bool, Duration) in
            let dropped = drops.map { $0 - (s.lastDrops ?? $0) } ?? 0
            let readNow = read - s.lastRead, coalescedNow = coalesced - s.lastCoalesced
            let overloaded = (dropped >= 10 && dropped * 100 >= readNow) || coalescedNow > 0
            (s.lastDrops, s.lastRead, s.lastCoalesced) = (drops, read, coalesced)
            let why = coalescedNow > 0 ? "the store fell behind (\(coalescedNow) windows coalesced)"
                : "\(dropped) of \(readNow + dropped) datagrams dropped at full receive buffers"
            return (s.controller.update(overloaded: overloaded, at: at), s.controller.pace, why, overloaded, s.controller.clearFor)
        }
        guard changed else { return }
        _ = try? await endpoint.withEach { c, _ in c.setPace(pace) }
        if let pace, overloaded {
            logger.notice("overloaded (\(why) in the last second): asking agents for an interval of at least \(String(format: "%.2f", pace.seconds)) s")
        } else if let pace {
            logger.notice("no overload for \(Int(clear.seconds)) s: asking agents for an interval of at least \(String(format: "%.2f", pace.seconds)) s")
        } else {
            logger.notice("load back under capacity: agents choose their own interval again")
        }
    }

    /// Takes the events the session has collected, stores the decoded windows and reports
    /// them durable. One drain runs at a time (a second caller waits for the first), so
    /// each stream's windows reach the store in order. A drain that started finishes even
    /// when its caller is cancelled (as at shutdown): the events it took would otherwise be
    /// lost to the store.
    public func drain() async {
        await Task { await self.drainOnce() }.value
    }

    func drainOnce() async {
        var acquired = false
        for _ in 0..<4000 {
            acquired = ingest.withLock { s -> Bool in
                if s.draining { return false }
                s.draining = true
                return true
            }
            if acquired { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard acquired else { return }
        defer { ingest.withLock { $0.draining = false } }
        let (known, start) = ingest.withLock { ($0.known, $0.newest) }
        let wall = Int64(Date().timeIntervalSince1970 * 1e9)
        // On the event loop: the events, and for each new window the entries its state
        // reaches that the store does not hold yet (resolved in the decoder's dictionary).
        // Each stream's windows are kept in order: a late repair of an older window carries
        // nothing its stream's newer stored state does not already hold (superseded).
        let coalesceAbove = max(1, self.coalesceAbove / endpoint.shards.count)
        // Each shard at once, on its own loop: its agents are its own (CollectorShard), so the
        // takes never share a stream and merge without conflict.
        guard let takes = try? await endpoint.withEach({ [known] c, _ in
            Self.take(from: &c, known: known, start: start, wall: wall, coalesceAbove: coalesceAbove)
        }) else { return }
        var events: [CollectorEvent] = [], decodedBatch: [(CollectorTallies.StreamKey, WindowRecord)] = [], decodedDelivered: [StoredWindow] = []
        var seen: [String: Set<EntryKey>] = [:], superseded = 0, coalesced = 0
        let reconnected = takes.reduce(into: Set<PublicKey>()) { $0.formUnion($1.reconnected) }
        var marks = reconnected.isEmpty ? start : start.filter { !reconnected.contains($0.key.agent) }
        for t in takes {
            events += t.events
            decodedBatch += t.batch
            decodedDelivered += t.delivered
            seen.merge(t.seen) { $0.union($1) }
            marks.merge(t.marks) { _, new in new }
            superseded += t.superseded
            coalesced += t.coalesced
        }
        var lines: [(Logger.Level, String)] = []
        let now = clock.now()
        tallies.withLock { t in
            for e in events {
                switch e {
                case .peerConnected(let key, let address):
                    t.peersConnected += 1
                    lines.append((.info, "agent \(key.base64) connected from \(address)"))
                case .windowDecoded(let key, let w):
                    if !w.isDuplicate { t.decoded[.init(agent: key, stream: w.header.stream), default: 0] += 1 }
                case .windowRejected(let key, let a, let why):
                    let k = CollectorTallies.StreamKey(agent: key, stream: a.stream)
                    t.rejected[k, default: 0] += 1
                    let (log, held, period) = rejectionLog.withLock { r in
                        let a = r.admit(k, at: now)
                        return (a.log, a.suppressed, r.period.components.seconds)
                    }
                    if log {
                        let more = held > 0 ? " (and \(held) more of this stream since the last such line; one line per \(period) s)" : ""
                        lines.append((.warning, "agent \(key.base64) stream \(a.stream) window \(a.seq) rejected: \(why)\(more)"))
                    }
                }
            }
        }
        ingest.withLock { $0.newest = marks }
        // Windows that failed to store go first, unless a newer window of the stream is here.
        var batch = decodedBatch, delivered = decodedDelivered
        let retried = ingest.withLock { s -> [(CollectorTallies.StreamKey, WindowRecord, StoredWindow)] in
            // An agent that connected again numbers its windows afresh: its keyframes follow.
            let reconnected = Set(events.compactMap { e -> PublicKey? in if case .peerConnected(let k, _) = e { return k } else { return nil } })
            let fresh = Set(batch.map(\.0))
            let out = s.unstored.filter { !fresh.contains($0.key) && !reconnected.contains($0.key.agent) }.sorted { $0.key.stream < $1.key.stream }.map { ($0.key, $0.value.0, $0.value.1) }
            s.unstored.removeAll()
            return out
        }
        if !retried.isEmpty {
            batch = retried.map { ($0.0, $0.1) } + batch
            delivered = retried.map(\.2) + delivered
        }
        if !batch.isEmpty {
            let store = self.store
            let rows = batch.map(\.1)
            let began = ContinuousClock.now
            defer { commitDuration.record(duration: ContinuousClock.now - began) }
            // Backing off after a transient failure: these windows are not stored (their
            // counts are in the next stored state), and decoding goes on meanwhile.
            let waiting = ingest.withLock { s in s.retryAt.map { ContinuousClock.now < $0 } ?? false }
            let result: Result<[AppendOutcome], StoreError> = waiting ? .failure(.server("backing off", transient: true)) :
                await (try? NIOThreadPool.singleton.runIfActive { () -> Result<[AppendOutcome], StoreError> in
                    do throws(StoreError) { return .success(try store.append(rows)) } catch { return .failure(error) }
                }) ?? .failure(.invalid("the store's thread pool has stopped"))
            switch result {
            case .success(let outcomes):
                ingest.withLock { s in
                    for (agent, ids) in seen where !ids.isEmpty { s.known[agent, default: []].formUnion(ids) }
                    if !s.lastFailure.isEmpty { lines.append((.notice, "the store takes windows again")) }
                    s.lastFailure = ""
                    s.retryAt = nil
                    s.retryDelay = .zero
                }
                var durableMarks: [CollectorTallies.StreamKey: UInt32] = [:]
                for (key, r) in batch { durableMarks[key] = max(durableMarks[key] ?? 0, r.seq) }
                let durable = durableMarks
                // Each shard marks the agents it holds (setDurable ignores the others).
                _ = try? await endpoint.withEach { c, _ in
                    for (key, seq) in durable { c.setDurable(agent: key.agent, stream: key.stream, seq: seq) }
                }
                for (r, o) in zip(rows, outcomes) where o.reset {
                    lines.append((.notice, "\(r.info.service) \(r.info.profileType) from agent \(r.agent.prefix(12))…: counters went down (the service restarted); a new lineage continues the stored totals"))
                }
                let storedAt = Int64(Date().timeIntervalSince1970 * 1e9)
                let stored = delivered.map { w -> StoredWindow in
                    var w = w
                    w.storedNanos = storedAt
                    return w
                }
                tallies.withLock { t in
                    t.windowsStored += rows.count
                    t.windowsSuperseded += superseded
                    t.windowsCoalesced += coalesced
                    for w in stored { if let d = w.delaySeconds { t.delay[w.type, default: DelayHistogram()].record(d) } }
                }
                onStored?(stored)
                let turned = ingest.withLock { s -> Bool in
                    defer { s.behind = coalesced > 0 }
                    return s.behind != (coalesced > 0)
                }
                if turned && coalesced > 0 {
                    lines.append((.notice, "behind: \(events.count) events waited for one commit; storing the newest window of each stream until it catches up (older windows coalesced into them, counted in flamewire_windows_coalesced_total)"))
                } else if turned {
                    lines.append((.notice, "caught up: every window is stored again"))
                }
                lines.append((.debug, "stored \(rows.count) windows (\(superseded) superseded) in \(Int(((ContinuousClock.now - began) / .milliseconds(1)).rounded())) ms"))
            case .failure(let error):
                // Not durable: the newest-window marks go back so the next windows are stored,
                // and their cumulative states carry what this batch held.
                ingest.withLock { s in
                    for (key, _) in batch { s.newest[key] = nil }
                    for ((key, r), w) in zip(batch, delivered) { s.unstored[key] = (r, w) }
                    guard !waiting else { return }
                    if s.lastFailure != "\(error)" { lines.append((.error, "cannot store \(rows.count) windows (will retry with the next ones): \(error)")) }
                    s.lastFailure = "\(error)"
                    if error.isTransient {
                        s.retryDelay = min(max(s.retryDelay * 2, .milliseconds(250)), .seconds(8))
                        s.retryAt = ContinuousClock.now + s.retryDelay
                    }
                }
                tallies.withLock { if !waiting { $0.storeFailures += 1 }; $0.windowsSuperseded += superseded }
            }
        } else if superseded > 0 {
            tallies.withLock { $0.windowsSuperseded += superseded }
        }
        for (level, l) in lines { logger.log(level: level, "\(l)") }
    }

    /// When a window happened: its end on the agent's clock (profile time plus duration), or
    /// nil when the agent gave none or its clock is more than `maxSkew` from ours; the store
    /// then takes the time we stored it (Protocol/STORE.md §2).
    static func captureEnd(_ h: WindowHeader, wall: Int64, maxSkew: Int64 = 300_000_000_000) -> Int64? {
        let end = h.timeNanos &+ h.durationNanos
        if h.timeNanos <= 0 || end > wall &+ maxSkew || end < wall &- maxSkew { return nil }
        return end
    }

    /// Every stream of every agent in the live sessions, without rebuilding profiles.
    public func summaries() async throws -> [StreamSummary] {
        let decodedCounts = counts.decoded
        return try await endpoint.withEach { c, _ -> [(String, StreamSummary)] in
            var out: [(String, StreamSummary)] = []
            for key in c.peerKeys {
                guard let rx = c.receiver(of: key) else { continue }
                for stream in rx.streams {
                    guard let d = rx.decoder(stream), let info = d.info, let seq = d.heldSequences.last else { continue }
                    out.append((key.base64, StreamSummary(agent: key, stream: stream, info: info, seq: seq,
                                                          windowsDecoded: decodedCounts[.init(agent: key, stream: stream)] ?? 0)))
                }
            }
            return out
        }.joined().sorted { ($0.0, $0.1.stream) < ($1.0, $1.1.stream) }.map(\.1)
    }

    /// Every agent with a session, by key.
    public func agents() async throws -> [AgentSummary] {
        try await endpoint.withEach { c, _ in
            c.peerKeys.compactMap { k in
                c.path(of: k).map { AgentSummary(agent: k, address: c.address(of: k)?.value ?? "", path: $0) }
            }
        }.joined().sorted { $0.agent.base64 < $1.agent.base64 }
    }

    /// The stored streams whose info passes `include`, each aggregated over `range`;
    /// streams left out cost nothing. Runs on the store's thread pool.
    public func streams(where include: @escaping @Sendable (StreamInfo) -> Bool = { _ in true }, range: TimeRange = .all,
                        aggregation: GaugeAggregation = .last) async throws -> [CollectedStream] {
        let store = self.store
        return try await NIOThreadPool.singleton.runIfActive {
            try store.profiles(where: { include($0.info) }, range: range, aggregation: aggregation).map(CollectedStream.init)
        }
    }

    /// The stored streams, without rebuilding profiles.
    public func storedStreams() async throws -> [StoredStream] {
        let store = self.store
        return try await NIOThreadPool.singleton.runIfActive { try store.streams() }
    }

    public func close() async { await endpoint.close() }
}

extension CollectorRuntime {
    /// Runs blocking store work on the thread pool the store's reads and writes use.
    public func onStorePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

extension CollectorRuntime {
    /// One retention pass: removes what ended more than `age` ago (by the wall clock).
    public func prune(olderThan age: Duration) async {
        let store = self.store
        let cutoff = Int64(Date().timeIntervalSince1970 * 1e9) - age.components.seconds * 1_000_000_000 - age.components.attoseconds / 1_000_000_000
        do {
            let r = try await onStorePool { try store.prune(before: cutoff) }
            if r.windows + r.checkpoints + r.streams > 0 {
                logger.info("retention: removed \(r.windows) windows, \(r.checkpoints) checkpoints and \(r.streams) streams older than \(age)")
            }
        } catch {
            logger.error("retention: \(error)")
        }
    }
}

/// The sessions' counters, summed over the collector's shards.
public struct SessionTotals: Sendable {
    /// Datagrams dropped unanswered, by reason.
    public var dropped: [SessionDropReason: Int] = [:]
    public var bytesSent = 0
    public var cookieRepliesSent = 0
    /// Datagrams a shard read and handed to the shard owning their agent.
    public var forwarded = 0
    /// Agents with a session, per shard (one entry per shard).
    public var agentsPerShard: [Int] = []
    /// Agents with a session.
    public var agents: Int { agentsPerShard.reduce(0, +) }
}

extension CollectorRuntime {
    /// The sessions' counters over all shards.
    public func sessionTotals() async throws -> SessionTotals {
        let each = try await endpoint.withEach { c, _ in (c.dropped, c.peerKeys.count, c.bytesSent, c.cookieRepliesSent, c.forwardedOut) }
        var t = SessionTotals()
        for (dropped, agents, sent, cookies, forwarded) in each {
            t.dropped.merge(dropped, uniquingKeysWith: +)
            t.bytesSent += sent
            t.cookieRepliesSent += cookies
            t.forwarded += forwarded
            t.agentsPerShard.append(agents)
        }
        return t
    }

    /// Runs `body` on the session (the shard) that holds `agent`'s session; nil when none does.
    public func withSession<T: Sendable>(of agent: PublicKey, _ body: @escaping @Sendable (inout CollectorSession) -> T) async throws -> T? {
        try await endpoint.withEach { c, _ in c.address(of: agent) == nil ? nil : body(&c) }.compactMap { $0 }.first
    }
}
