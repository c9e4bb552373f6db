import Foundation
import NetSim
import Noise
import Profile
import SansIO
import Session
import WireCodec
import WireFrame

/// The collector endpoint, recording when each window decoded (virtual time).
struct RecordingCollector: DatagramEndpoint {
    var session: CollectorSession
    var decodedAt: [WindowAddress: Instant] = [:]
    var rejected = 0
    var rejections: [String] = []

    mutating func receive(_ d: [UInt8], from a: PeerAddress, at now: Instant) {
        session.receive(d, from: a, at: now)
        for e in session.pollEvents() {
            switch e {
            case .windowDecoded(_, let w):
                if !w.isDuplicate { decodedAt[WindowAddress(stream: w.header.stream, seq: w.header.seq)] = now }
            case .windowRejected(_, let a, let why):
                rejected += 1
                rejections.append("\(a): \(why)")
            case .peerConnected: break
            }
        }
    }

    mutating func pollTransmit(at now: Instant) -> Transmit? { session.pollTransmit(at: now) }
    func nextWakeup() -> Instant? { session.nextWakeup() }
    mutating func handleTimeout(at now: Instant) { session.handleTimeout(at: now) }
}

/// The agent endpoint, recording what its owner would see.
struct RecordingAgent: DatagramEndpoint {
    var session: AgentSession
    var takenAt: [WindowAddress: Instant] = [:]
    var intervals: [Duration] = []
    var statusLog: [AgentStatus] = []

    mutating func receive(_ d: [UInt8], from a: PeerAddress, at now: Instant) {
        session.receive(d, from: a, at: now)
        drain()
    }

    mutating func drain() {
        for e in session.pollEvents() {
            if case .statusChanged(let s) = e { statusLog.append(s) }
        }
    }

    mutating func pollTransmit(at now: Instant) -> Transmit? { session.pollTransmit(at: now) }
    func nextWakeup() -> Instant? { session.nextWakeup() }
    mutating func handleTimeout(at now: Instant) {
        session.handleTimeout(at: now)
        drain()
    }
}

/// Runs a scenario: an agent session and a collector session over the simulated link,
/// the agent playing the streams at its adaptive interval, through the same loop the
/// UDP runtime uses. Deterministic for a seed.
public enum SimulationRun {
    public static func run(_ s: Scenario, progress: ((Instant, Instant) -> Void)? = nil) throws -> SimulationReport {
        var keyRandom = SessionRandom(.seeded(s.seed ^ 0x5EED))
        let agentKey = PrivateKey(using: &keyRandom), collectorKey = PrivateKey(using: &keyRandom)
        let agentAddress = PeerAddress("agent:40000"), collectorAddress = PeerAddress("collector:4460")
        let frame = try FrameConfig(maxDatagram: s.maxDatagram, fecTarget: s.fecTarget)
        var agentConfig = AgentConfig(staticKey: agentKey, collectorKey: collectorKey.publicKey, collector: collectorAddress, frame: frame,
                                      timers: s.timers, minInterval: s.minInterval, maxInterval: s.maxInterval, maxRate: s.maxRate,
                                      wallClockAtZero: TAI64N(unixSeconds: 1_800_000_000, nanoseconds: 0), random: .seeded(s.seed))
        agentConfig.initialLoss = 0.05
        var agent = AgentSession(config: agentConfig)
        for (i, stream) in s.streams.enumerated() { try agent.addStream(UInt32(i + 1), info: stream.info) }
        let collector = CollectorSession(config: CollectorConfig(staticKey: collectorKey, allowedAgents: [agentKey.publicKey],
                                                                 timers: s.timers, random: .seeded(s.seed &+ 1)))
        let sim = try Simulation(a: RecordingAgent(session: agent), addressA: agentAddress, b: RecordingCollector(session: collector),
                                 addressB: collectorAddress, forward: s.forward, backward: s.backward, seed: s.seed)
        for (i, t) in s.rebindAt.enumerated() { sim.scheduleRebindA(at: t, to: PeerAddress("agent:\(40001 + i)")) }

        var pprofBytes = 0
        var next = Array(repeating: 0, count: s.streams.count)
        let end = Instant.zero + s.duration
        // Snapshot streams at the adaptive interval, each tick taking all of them at once.
        let snapshotStreams = s.streams.indices.filter { s.streams[$0].period == nil }
        var errors: [String] = []
        // A snapshot replayed again has the state its first ingest gave (same epoch): reuse
        // it, so long runs measure the protocol rather than hashing the same profile again.
        var cached: [Int: (epoch: UInt32, state: StreamState)] = [:]
        func play(_ i: Int, _ a: inout RecordingAgent, _ now: Instant) {
            let stream = s.streams[i]
            let index = next[i] % stream.profiles.count
            let p = stream.profiles[index]
            next[i] += 1
            pprofBytes += p.bytes
            let id = UInt32(i + 1), key = i << 32 | index
            do {
                let outcome: AgentSession.SubmitOutcome
                if stream.mode == .snapshot, let c = cached[key], c.epoch == a.session.encoder(id)?.epoch {
                    outcome = try a.session.submit(state: c.state, stream: id, timeNanos: p.profile.timeNanos,
                                                   durationNanos: p.profile.durationNanos, takenAt: now, at: now)
                } else {
                    outcome = try a.session.submit(p.profile, stream: id, mode: stream.mode, takenAt: now, at: now)
                    if stream.mode == .snapshot, let e = a.session.encoder(id) { cached[key] = (e.epoch, e.state) }
                }
                if case .sent(let addr) = outcome { a.takenAt[addr] = now }
            } catch { errors.append("\(stream.name): \(error)") }
        }
        // Streams with a period of their own (CPU windows of whole seconds) join the first
        // tick after their window ended, so one bundle carries the tick's windows (SPEC.md
        // §6.2); without snapshot streams they run on their own period.
        let periodStreams = s.streams.indices.filter { s.streams[$0].period != nil }
        if !snapshotStreams.isEmpty {
            var due = periodStreams.map { Instant.zero + s.streams[$0].period! }
            sim.scheduleRepeating(firstAt: .zero + .milliseconds(10)) { a, _, now in
                guard now < end else { return nil }
                for i in snapshotStreams { play(i, &a, now) }
                for (n, i) in periodStreams.enumerated() where due[n] <= now {
                    play(i, &a, now)
                    due[n] = due[n] + s.streams[i].period!
                }
                a.intervals.append(a.session.interval)
                return now + a.session.interval
            }
        } else {
            for i in periodStreams {
                let period = s.streams[i].period!
                sim.scheduleRepeating(firstAt: .zero + period) { a, _, now in
                    guard now < end else { return nil }
                    play(i, &a, now)
                    return now + period
                }
            }
        }
        let total = end + s.drain
        var t = Instant.zero
        while t < total {
            t = min(total, t + .seconds(60))
            try sim.run(until: t)
            progress?(t, total)
        }
        guard errors.isEmpty else { throw SimulationRunError.streams(errors) }
        if let debug = getenv("FLAMEWIRE_SIM_DEBUG"), debug.pointee != 0 { for r in sim.b.rejections { print("rejected: \(r)") } }
        return SimulationReport(scenario: s, agent: sim.a, collector: sim.b, agentKey: agentKey.publicKey, pprofBytes: pprofBytes,
                                forward: sim.forward.counters, backward: sim.backward.counters)
    }
}

public enum SimulationRunError: Error, CustomStringConvertible {
    case streams([String])
    public var description: String {
        switch self {
        case .streams(let e): return "the agent refused profiles: " + e.prefix(3).joined(separator: "; ")
        }
    }
}
