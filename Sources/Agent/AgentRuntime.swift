import EventLog
import Foundation
import Logging
import Noise
import Pprof
import Profile
import ProfileFiles
import Folded
import SansIO
import Session
import Synchronization
import UDPRuntime
import WireCodec
import WireFrame

/// What `flamewire agent` runs with.
public struct AgentOptions: Sendable {
    /// A Go service's pprof endpoints, or nil when the profiles come from `watch` or `folded`.
    public var source: PprofHTTPSource?
    public var kinds: [ProfileKind]
    /// `--watch DIR`: each new profile file in the directory is a window.
    public var watch: DirectoryWatch?
    /// `--folded -`: folded stacks read continuously, one window per interval.
    public var folded: FoldedLineReader?
    /// The profile type folded stacks are sent as.
    public var foldedType = "cpu"
    /// `--perf PID`: gap-free CPU from Linux perf events (then CPU is not fetched from pprof).
    public var perf: PerfSource?
    public var service: String
    public var labels: [String: String]
    /// The collector, `ip:port`.
    public var collector: String
    /// The local UDP address (`ip:port`; port 0 picks one).
    public var bind: String
    public var staticKey: PrivateKey
    public var collectorKey: PublicKey
    /// Further collectors (`ip:port` and key), in order, to move to when the current one
    /// stops decoding this agent's windows (SPEC.md §11.7).
    public var alternates: [(address: String, key: PublicKey)] = []
    public var psk: [UInt8]?
    public var dscp: DSCP?
    public var minInterval: Duration
    public var maxInterval: Duration
    /// Seconds per Go CPU window (Go takes whole seconds only).
    public var cpuSeconds: Int
    /// Events worth a person's attention (a source down, back, a service restart) at info
    /// and warning; `LineLogHandler` writes each as one line.
    public var logger: Logger

    public init(source: PprofHTTPSource?, kinds: [ProfileKind], service: String, labels: [String: String] = [:], collector: String,
                bind: String = "0.0.0.0:0", staticKey: PrivateKey, collectorKey: PublicKey, psk: [UInt8]? = nil, dscp: DSCP? = .af41,
                minInterval: Duration = .milliseconds(120), maxInterval: Duration = .milliseconds(480), cpuSeconds: Int = 1,
                logger: Logger = .silent) {
        self.source = source
        self.kinds = kinds
        self.service = service
        self.labels = labels
        self.collector = collector
        self.bind = bind
        self.staticKey = staticKey
        self.collectorKey = collectorKey
        self.psk = psk
        self.dscp = dscp
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.cpuSeconds = max(1, cpuSeconds)
        self.logger = logger
    }
}

/// What the agent read from the service and what became of it.
public struct SourceCounters: Sendable, Equatable {
    public var fetches = 0
    public var failures = 0
    /// Gzip pprof bytes read from the service.
    public var pprofBytes = 0
    public var windowsSent = 0
    public var windowsCoalesced = 0
}

/// `flamewire agent`: pulls profiles from a Go service's pprof endpoints and sends them to a
/// collector through an `AgentSession` on a real UDP socket.
///
/// CPU is taken as back-to-back Go CPU windows of `cpuSeconds` (each a delta window); the
/// snapshot types (heap, goroutine, mutex, block) are fetched together once per the
/// session's adaptive interval and submitted together, so they travel in one bundle. A
/// source that fails is retried with backoff and reported once until it recovers.
public final class AgentRuntime: Sendable {
    public let endpoint: UDPEndpoint<AgentSession>
    public let options: AgentOptions
    let counters = Mutex(SourceCounters())

    public static func start(_ o: AgentOptions) async throws -> AgentRuntime {
        let collector = try PeerAddresses.socketAddress(o.collector)
        var config = AgentConfig(staticKey: o.staticKey, collectorKey: o.collectorKey, psk: o.psk, collector: PeerAddresses.peer(collector),
                                 frame: try FrameConfig(fecTarget: 0.003), minInterval: o.minInterval, maxInterval: o.maxInterval,
                                 wallClockAtZero: Self.wallClock())
        config.alternates = try o.alternates.map { CollectorTarget(address: PeerAddresses.peer(try PeerAddresses.socketAddress($0.address)), key: $0.key) }
        let endpoint = try await UDPEndpoint.bind(AgentSession(config: config), to: o.bind, options: UDPOptions(dscp: o.dscp))
        return AgentRuntime(endpoint: endpoint, options: o)
    }

    /// Now, as the handshake's timestamp counts (the session adds its monotonic time to it).
    static func wallClock() -> TAI64N {
        let t = Date().timeIntervalSince1970
        return TAI64N(unixSeconds: Int64(t), nanoseconds: UInt32((t - t.rounded(.down)) * 1e9))
    }

    init(endpoint: UDPEndpoint<AgentSession>, options: AgentOptions) {
        self.endpoint = endpoint
        self.options = options
    }

    public var sourceCounters: SourceCounters { counters.withLock { $0 } }

    /// Pulls and sends until `duration` has passed (or forever) or the task is cancelled.
    public func run(for duration: Duration? = nil) async {
        let end = duration.map { ContinuousClock.now + $0 }
        let snapshots = Array(Set(options.kinds.filter { $0 != .cpu }.map { $0 == .allocs ? ProfileKind.heap : $0 })).sorted()
        await withTaskGroup(of: Void.self) { group in
            if let source = options.source {
                if options.kinds.contains(.cpu) && options.perf == nil { group.addTask { await self.cpuLoop(source, until: end) } }
                if !snapshots.isEmpty { group.addTask { await self.snapshotLoop(source, snapshots, until: end) } }
            }
            if let watch = options.watch { group.addTask { await self.watchLoop(watch, until: end) } }
            if let folded = options.folded { group.addTask { await self.foldedLoop(folded, until: end) } }
            if let perf = options.perf { group.addTask { await self.perfLoop(perf, until: end) } }
        }
    }

    /// Waits until every window sent was acknowledged decoded (or `timeout`); true when all were.
    public func drain(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if (try? await endpoint.withEndpoint({ a, _ in a.windowsInFlight })) == 0 { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (try? await endpoint.withEndpoint({ a, _ in a.windowsInFlight })) == 0
    }

    /// Sends a last REPORT (the collector keeps the agent's final figures), then closes the
    /// source and the socket.
    public func close() async {
        _ = try? await endpoint.withEndpoint { a, _ in a.requestReport() }
        await options.source?.close()
        await endpoint.close()
    }

    // MARK: - Loops

    func cpuLoop(_ source: PprofHTTPSource, until end: ContinuousClock.Instant?) async {
        var backoff = Backoff()
        while !Task.isCancelled, end.map({ ContinuousClock.now < $0 }) ?? true {
            do {
                let bytes = try await source.fetch(.cpu, cpuSeconds: options.cpuSeconds)
                let profile = try snapshot(bytes, .cpu, source)
                if let malformed = try await submit([(.cpu, .pprof(profile, url: source.url(.cpu)), .delta)])[.cpu] { throw malformed }
                backoff.succeeded(.cpu, logger: options.logger)
            } catch {
                if Task.isCancelled { break }  // a fetch cut short by shutdown is no failure
                counters.withLock { $0.failures += 1 }
                await backoff.failed(.cpu, error, logger: options.logger)
            }
        }
    }

    func snapshotLoop(_ source: PprofHTTPSource, _ kinds: [ProfileKind], until end: ContinuousClock.Instant?) async {
        var backoff = Backoff()
        while !Task.isCancelled, end.map({ ContinuousClock.now < $0 }) ?? true {
            let tick = ContinuousClock.now
            let interval = (try? await endpoint.withEndpoint { a, _ in a.interval }) ?? .milliseconds(240)
            var taken: [(ProfileKind, TakenProfile, IngestMode)] = []
            for kind in kinds {
                do {
                    let bytes = try await source.fetch(kind)
                    taken.append((kind, .pprof(try snapshot(bytes, kind, source), url: source.url(kind)), .snapshot))
                } catch {
                    if Task.isCancelled { break }
                    counters.withLock { $0.failures += 1 }
                    await backoff.failed(kind, error, logger: options.logger)
                }
            }
            if !taken.isEmpty {
                // A profile found malformed when ingested fails like a fetch: reported once
                // while its source keeps serving such profiles, and retried with backoff.
                let malformed = (try? await submit(taken)) ?? [:]
                for (kind, _, _) in taken {
                    if let error = malformed[kind] {
                        counters.withLock { $0.failures += 1 }
                        await backoff.failed(kind, error, logger: options.logger)
                    } else {
                        backoff.succeeded(kind, logger: options.logger)
                    }
                }
            }
            let next = tick + interval
            if next > ContinuousClock.now { try? await Task.sleep(until: next) }
        }
    }

    /// A fetched profile gunzipped and its top level read; its tables and samples are read
    /// when it is ingested (`AgentSession.submit(pprof:)`), straight into the stream's state.
    func snapshot(_ bytes: [UInt8], _ kind: ProfileKind, _ source: PprofHTTPSource) throws(AgentError) -> PprofSnapshot {
        counters.withLock {
            $0.fetches += 1
            $0.pprofBytes += bytes.count
        }
        do { return try PprofSnapshot(bytes) } catch {
            throw .badProfile(url: source.url(kind), why: "\(error)")
        }
    }

    /// The adaptive interval the session asks for now.
    func interval() async -> Duration { (try? await endpoint.withEndpoint { a, _ in a.interval }) ?? .milliseconds(240) }

    func watchLoop(_ watch: DirectoryWatch, until end: ContinuousClock.Instant?) async {
        var scan = DirectoryWatch.Scan()
        while !Task.isCancelled, end.map({ ContinuousClock.now < $0 }) ?? true {
            let tick = ContinuousClock.now
            var taken: [(ProfileKind, TakenProfile, IngestMode)] = []
            for name in scan.ready(in: watch.directory) {
                let path = (watch.directory as NSString).appendingPathComponent(name)
                do {
                    let bytes = try RawFile.readAll(path)
                    counters.withLock { $0.fetches += 1; $0.pprofBytes += bytes.count }
                    let p = try ProfileInput.decode(bytes, path: path)
                    let kind = ProfileKind.detect(fileName: name, p)
                    // Two files of one type in one look: each is its own window, in name order.
                    if taken.contains(where: { $0.0.stream == kind.stream }) { try? await submit(taken); taken.removeAll() }
                    taken.append((kind, .model(p), kind.fileMode))
                } catch {
                    counters.withLock { $0.failures += 1 }
                    options.logger.warning("\(error); skipped")
                }
            }
            if !taken.isEmpty {
                do { try await submit(taken) } catch { options.logger.error("\(error)") }
            }
            let next = tick + (await interval())
            if next > ContinuousClock.now { try? await Task.sleep(until: next) }
        }
    }

    /// CPU windows from perf, cut at the adaptive interval: every sample lands in exactly
    /// one window, so nothing is unprofiled between windows.
    func perfLoop(_ perf: PerfSource, until end: ContinuousClock.Instant?) async {
        defer { perf.stop() }
        while !Task.isCancelled, end.map({ ContinuousClock.now < $0 }) ?? true {
            let tick = ContinuousClock.now
            let (folded, ended, errors) = perf.take()
            if !folded.isEmpty {
                counters.withLock { $0.fetches += 1 }
                do { try await submit([(.cpu, .model(try FoldedReader.profile(from: folded)), .delta)]) } catch { options.logger.warning("perf: \(error)") }
            }
            if ended {
                let why = errors.split(separator: "\n").first.map { ": \($0)" } ?? ""
                options.logger.error("perf on process \(perf.pid) stopped (has the process ended?)\(why)")
                return
            }
            let next = tick + (await interval())
            if next > ContinuousClock.now { try? await Task.sleep(until: next) }
        }
    }

    func foldedLoop(_ input: FoldedLineReader, until end: ContinuousClock.Instant?) async {
        var lineBase = 1
        while !Task.isCancelled, end.map({ ContinuousClock.now < $0 }) ?? true {
            let tick = ContinuousClock.now
            let (bytes, ended) = input.take()
            if bytes.contains(where: { $0 > 32 }) {
                counters.withLock { $0.fetches += 1; $0.pprofBytes += bytes.count }
                do {
                    let p = try FoldedReader.profile(from: bytes)
                    let kind = ProfileKind(rawValue: options.foldedType) ?? .cpu
                    try await submit([(kind, .model(p), .delta)], typeName: options.foldedType)
                } catch {
                    counters.withLock { $0.failures += 1 }
                    options.logger.warning("folded input after line \(lineBase): \(error); those lines skipped")
                }
            }
            lineBase += bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            if ended {
                options.logger.notice("folded input ended after \(lineBase - 1) lines")
                return
            }
            let next = tick + (await interval())
            if next > ContinuousClock.now { try? await Task.sleep(until: next) }
        }
    }

    /// Submits one tick's profiles together (one bundle), adding each stream on its first profile.
    /// One line for what a person should know of the session's events: a move to another
    /// collector, silence, and keys agreed again after it.
    func log(_ events: [AgentEvent]) {
        var silent = false
        for e in events {
            switch e {
            case .collectorChanged(let to, let index):
                options.logger.warning("no window decoded by the collector for \(Int(SessionTimers().failover.seconds)) s: moving to collector \(index + 1), \(to.value)")
            case .statusChanged(.silent(let seconds, let collector)):
                if !silent { options.logger.warning("no acknowledgement from \(collector) for \(seconds) s: is UDP to it blocked?") }
                silent = true
            case .established(let n) where n > 1:
                options.logger.notice("session established again (handshake \(n))")
            case .paced(let p?):
                options.logger.notice("the collector is overloaded and asks for an interval of at least \(String(format: "%.2f", p.seconds)) s: sampling that often until it lifts the request")
            case .paced(nil):
                options.logger.notice("the collector lifted its interval request: the interval adapts to the path again")
            default: break
            }
        }
    }

    /// Returns the pprof profiles found malformed when ingested (skipped; the others of the
    /// tick are sent), for the caller to report and back off.
    @discardableResult
    func submit(_ taken: [(ProfileKind, TakenProfile, IngestMode)], typeName: String? = nil) async throws -> [ProfileKind: AgentError] {
        let service = options.service, labels = options.labels
        let (outcomes, restarted, events, malformed) = try await endpoint.withEndpoint { a, now -> ([AgentSession.SubmitOutcome], [String], [AgentEvent], [ProfileKind: AgentError]) in
            var out: [AgentSession.SubmitOutcome] = []
            var restarted: [String] = []
            var malformed: [ProfileKind: AgentError] = [:]
            // The session's events since the last submit (taken here, so they never pile up).
            let events = a.pollEvents()
            for (kind, taken, mode) in taken {
                let before = a.restarts(kind.stream)
                switch taken {
                case .model(let profile):
                    if !a.hasStream(kind.stream) {
                        try a.addStream(kind.stream, info: StreamInfo(describing: profile, service: service, profileType: typeName ?? kind.streamName, labels: labels))
                    }
                    out.append(try a.submit(profile, stream: kind.stream, mode: mode, takenAt: now, at: now))
                case .pprof(let snapshot, let url):
                    // A malformed profile (found when its samples are read) is skipped and
                    // reported; the others of the tick go on.
                    do {
                        if !a.hasStream(kind.stream) {
                            // The stream's first profile describes it: through the model once.
                            let profile = try snapshot.profile()
                            try a.addStream(kind.stream, info: StreamInfo(describing: profile, service: service, profileType: typeName ?? kind.streamName, labels: labels))
                            out.append(try a.submit(profile, stream: kind.stream, mode: mode, takenAt: now, at: now))
                        } else {
                            out.append(try a.submit(pprof: snapshot, stream: kind.stream, mode: mode, takenAt: now, at: now))
                        }
                    } catch {
                        malformed[kind] = .badProfile(url: url, why: "\(error)")
                    }
                }
                if a.restarts(kind.stream) > before { restarted.append(typeName ?? kind.streamName) }
            }
            return (out, restarted, events, malformed)
        }
        log(events)
        for name in restarted {
            options.logger.notice("\(name): counters went down (the service restarted); its stream continues in a new epoch")
        }
        counters.withLock { c in
            for o in outcomes {
                if case .sent = o { c.windowsSent += 1 } else { c.windowsCoalesced += 1 }
            }
        }
        return malformed
    }
}

/// A profile as the agent took it: a model (files, folded stacks, perf), or a Go
/// service's pprof bytes, read straight into the stream's state when submitted.
enum TakenProfile: Sendable {
    case model(Profile)
    case pprof(PprofSnapshot, url: String)
}

/// Retry pacing for one loop's sources: a failing source waits 0.5 s, doubling to 30 s, and
/// is reported once when it fails and once when it is back.
struct Backoff {
    var failing: [ProfileKind: Duration] = [:]

    mutating func succeeded(_ kind: ProfileKind, logger: Logger) {
        if failing.removeValue(forKey: kind) != nil { logger.notice("\(kind.rawValue): the service answers again") }
    }

    mutating func failed(_ kind: ProfileKind, _ error: Error, logger: Logger) async {
        let wait = failing[kind].map { min($0 * 2, .seconds(30)) } ?? .milliseconds(500)
        if failing[kind] == nil { logger.warning("\(kind.rawValue): \(error); retrying with backoff up to 30 s") }
        failing[kind] = wait
        try? await Task.sleep(for: wait)
    }
}
