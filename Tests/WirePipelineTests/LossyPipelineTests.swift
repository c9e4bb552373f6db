import Testing
import TestSupport
import Compression
import FEC
import Profile
@testable import WireCodec
@testable import WireFrame
import WirePipeline

/// A seeded link: drops, duplicates and reorders datagrams.
struct LossyLink {
    var rng: SplitMix64
    var loss: Double
    var duplicate: Double
    var reorder: Bool

    mutating func carry(_ datagrams: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for d in datagrams {
            if Double.random(in: 0..<1, using: &rng) < loss { continue }
            out.append(d)
            if Double.random(in: 0..<1, using: &rng) < duplicate { out.append(d) }
        }
        if reorder { out.shuffle(using: &rng) }
        return out
    }
}

/// The library's send and receive paths joined by lossy links in both directions, driven
/// window by window (the session layer adds timing on top of exactly these calls).
struct Pipeline {
    var tx: WindowSender
    var rx = WindowReceiver()
    let stream: UInt32
    var packetNumber: UInt64 = 0
    var forward: LossyLink
    var backward: LossyLink
    var sentStates: [UInt32: StreamState] = [:]
    var decoded: [UInt32: DecodedWindow] = [:]
    var repairRounds = 0
    /// Windows whose differing rows the decoder knew without a walk.
    var knownDiffering = 0
    /// Of those, windows based on an older state than the previous one (their increment
    /// spans held states in between).
    var knownAcrossHeld = 0

    init(stream: UInt32, info: StreamInfo, forward: LossyLink, backward: LossyLink) throws {
        tx = WindowSender(config: try FrameConfig())
        try tx.addStream(stream, info: info)
        self.stream = stream
        self.forward = forward
        self.backward = backward
    }

    mutating func ingest(_ p: Profile, mode: IngestMode) throws { try tx.ingest(p, stream: stream, mode: mode) }

    /// Everything queued, as datagrams.
    mutating func drain() -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let d = tx.pollDatagram(connectionID: 7, packetNumber: packetNumber + 1, protection: NullProtection()) {
            packetNumber += 1
            out.append(d.bytes)
        }
        return out
    }

    /// Sends one window; repairs it up to `maxRepairs` times while it is incomplete.
    mutating func send(timeNanos: Int64 = 0, dropEntirely: Bool = false, maxRepairs: Int = 8) throws {
        let w = try tx.encodeWindow(stream: stream, timeNanos: timeNanos)
        let bundle = try #require(tx.closeBundle(lossRate: forward.loss).first)
        #expect(bundle.windows == [w.address])
        sentStates[w.header.seq] = tx.encoder(stream)?.state
        var datagrams = drain()
        if dropEntirely { return }
        var rounds = 0
        while true {
            for d in forward.carry(datagrams) {
                let h = try DatagramHeader.parse(d)
                let symbol = try #require(NullProtection().openData(d, header: h))
                switch rx.receive(h, symbol: symbol, at: .zero) {
                case .bundle(_, let windows, _):
                    for outcome in windows {
                        switch outcome {
                        case .decoded(let win, let a):
                            #expect(a.seq == win.header.seq)
                            decoded[win.header.seq] = win
                            // What the decoder knew of where the states differ (from the rows
                            // the windows touched) is what a walk over every row finds.
                            if let d = win.differing, !win.isDuplicate {
                                knownDiffering += 1
                                if win.header.baseSeq != 0 && win.header.baseSeq != win.previousSeq { knownAcrossHeld += 1 }
                                #expect(d == win.state.changes(since: win.previousState, candidates: nil).differing)
                                #expect(win.increment == win.state.increment(since: win.previousState))
                                #expect(win.gainedStacks == win.state.ids(notIn: win.previousState))
                            }
                            // The acknowledgement may be lost too.
                            if !backward.carry([[0]]).isEmpty { tx.acknowledged(a) }
                        case .rejected(_, let why): Issue.record("rejected: \(why)")
                        }
                    }
                case .dropped(let e): Issue.record("dropped: \(e)")
                case .progress, .duplicate: break
                }
            }
            guard let missing = rx.reassembler.missing(bundle.id), rounds < maxRepairs else { return }
            // Repair (after ~2 RTT in a real session): fresh parity for what is still missing.
            rounds += 1
            repairRounds += 1
            tx.queueRepair(bundle.id, missing: missing, margin: 1)
            datagrams = drain()
        }
    }
}

@Suite struct LossyPipelineTests {
    @Test(arguments: [(UInt64(1), "heap"), (2, "heap"), (3, "cpu"), (4, "cpu"), (5, "goroutine"), (6, "mutex")])
    func sequenceSurvivesLossDuplicatesAndReordering(seed: UInt64, type: String) throws {
        let files = ["heap": Samples.heap, "cpu": Samples.cpu, "goroutine": Samples.goroutine, "mutex": Samples.mutex][type]!
        let first = try Samples.profile(files[0])
        var p = try Pipeline(
            stream: 3, info: info(for: first, type: type),
            forward: LossyLink(rng: SplitMix64(state: seed), loss: 0.12, duplicate: 0.05, reorder: true),
            backward: LossyLink(rng: SplitMix64(state: seed ^ 0xff), loss: 0.12, duplicate: 0, reorder: false))
        for f in files {
            try p.ingest(try Samples.profile(f), mode: mode(for: type))
            try p.send()
        }
        // Every window decoded rebuilds exactly the sender's state at that window.
        for (seq, w) in p.decoded { #expect(w.state == p.sentStates[seq], "window \(seq)") }
        // With repair, every window arrives.
        #expect(p.decoded.count == files.count, "decoded \(p.decoded.keys.sorted())")
        #expect(p.rx.dropped.isEmpty)
        #expect(p.rx.rejected.isEmpty)
    }

    /// Most acknowledgements lost: windows are based on states several windows back, and the
    /// receiver still knows where each new state differs from the previous one from the
    /// rows held states touched (checked against a walk over every row as they decode).
    @Test(arguments: ["heap", "cpu"])
    func differingRowsAreKnownAcrossHeldStates(type: String) throws {
        let files = type == "heap" ? Samples.heap : Samples.cpu
        let first = try Samples.profile(files[0])
        var p = try Pipeline(
            stream: 2, info: info(for: first, type: type),
            forward: LossyLink(rng: SplitMix64(state: 21), loss: 0.12, duplicate: 0.05, reorder: true),
            backward: LossyLink(rng: SplitMix64(state: 22), loss: 0.7, duplicate: 0, reorder: false))
        for f in files {
            try p.ingest(try Samples.profile(f), mode: mode(for: type))
            try p.send()
        }
        for (seq, w) in p.decoded { #expect(w.state == p.sentStates[seq], "window \(seq)") }
        #expect(p.knownAcrossHeld > 0)
        #expect(p.knownDiffering >= p.decoded.count - 1, "all but the keyframe")
    }

    @Test func lostWindowLosesNoCounterValue() throws {
        // CPU windows are deltas: the state is their running sum. Window 3 never arrives.
        let files = Samples.cpu
        let first = try Samples.profile(files[0])
        var p = try Pipeline(
            stream: 1, info: info(for: first, type: "cpu"),
            forward: LossyLink(rng: SplitMix64(state: 9), loss: 0, duplicate: 0, reorder: false),
            backward: LossyLink(rng: SplitMix64(state: 10), loss: 0, duplicate: 0, reorder: false))
        var totals: [[Int64]] = []
        for (i, f) in files.enumerated() {
            let profile = try Samples.profile(f)
            totals.append(profile.sampleTypes.indices.map { profile.total(sampleIndex: $0) })
            try p.ingest(profile, mode: .delta)
            try p.send(dropEntirely: i == 2)
        }
        #expect(p.decoded[3] == nil)
        let w4 = try #require(p.decoded[4])
        #expect(w4.differing != nil, "the decoder knows the rows window 4 touched")
        #expect(w4.previousSeq == 2)
        #expect(w4.header.baseSeq == 2)
        // The increment of window 4 holds windows 3 and 4 together, exactly.
        for c in 0..<2 {
            let inc = w4.increment.total(column: c)
            #expect(inc == totals[2][c] + totals[3][c])
        }
        // And the final state's totals equal the sum of all windows, exactly.
        let last = try #require(p.decoded[UInt32(files.count)])
        for c in 0..<2 {
            #expect(last.state.total(column: c) == totals.reduce(0) { $0 + $1[c] })
        }
    }
}
