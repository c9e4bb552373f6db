import Testing
@testable import WireCodec

/// The receiver keeps old states as patches (StatePatch); nothing a sender can do may tell
/// a decoder that keeps one state whole from one that keeps all sixteen whole.
@Suite struct HeldStatesTests {
    static func randomState(_ r: inout SplitMix64, columns: Int, universe: Int) -> StreamState {
        var ids: [EntryID] = [], cells: [Int64] = []
        for id in 0..<EntryID(universe) where r.below(3) != 0 {
            ids.append(id)
            // Zero rows included: a patch must give them back too.
            for _ in 0..<columns { cells.append(r.below(4) == 0 ? 0 : Int64(r.below(1000)) - 300) }
        }
        return StreamState(columns: columns, ids: ids, cells: cells)!
    }

    @Test func patchGivesTheOlderStateBackExactly() {
        var r = SplitMix64(state: 7)
        for round in 0..<300 {
            let columns = 1 + r.below(4)
            let a = Self.randomState(&r, columns: columns, universe: 1 + r.below(60))
            // Newer: either unrelated, or a few rows changed, added and dropped.
            var b = Self.randomState(&r, columns: columns, universe: 1 + r.below(60))
            if round % 2 == 0 {
                b = a.mapValues { _, v in r.below(5) == 0 ? v + 1 : v }
                b = b.adding(Self.randomState(&r, columns: columns, universe: 80).mapValues { _, v in r.below(6) == 0 ? v : 0 })
            }
            let p = StatePatch(from: b, to: a)
            #expect(p.applied(to: b) == a, "round \(round)")
            #expect(StatePatch(from: a, to: a).rowCount == 0)
        }
    }

    /// Real heap snapshots through a lossy, reordering, late-acknowledging channel into
    /// decoders that keep 1, 4 and 16 states whole: the same outcome for every window, and
    /// every decoded state is exactly the sender's.
    @Test func decodersAgreeWhateverTheyKeepWhole() throws {
        let files = Samples.heap
        let profiles = try files.map { try Samples.profile($0) }
        // Snapshots in random order: as gauges, so going back to an earlier one is no restart.
        var streamInfo = info(for: profiles[0], type: "heap")
        streamInfo.columnKinds = streamInfo.columnKinds.map { _ in .gauge }
        var tx = StreamEncoder(stream: 1, info: streamInfo)
        var decoders = [StreamDecoder(fullStates: 1), StreamDecoder(fullStates: 4), StreamDecoder(fullStates: 16)]
        var r = SplitMix64(state: 42)
        var sent: [UInt32: StreamState] = [:]
        // In flight: (deliver at step, payload, seq); acknowledgements: (at step, seq).
        var flight: [(at: Int, payload: [UInt8], seq: UInt32)] = []
        var acks: [(at: Int, seq: UInt32)] = []
        var decodedCount = 0, rejected = 0, reconstructed = 0
        for step in 0..<400 {
            if step < 300 {
                try tx.ingest(profiles[r.below(profiles.count)], mode: .snapshot)
                let (h, payload) = tx.nextWindow()
                sent[h.seq] = tx.state
                // 15 % lost; the rest arrive after 0–5 steps (so out of order).
                if r.below(100) >= 15 { flight.append((step + r.below(6), payload, h.seq)) }
            }
            for w in flight where w.at == step {
                var outcomes: [String] = []
                let newestHeld = decoders[0].heldSequences.last
                var base: UInt32?
                for i in decoders.indices {
                    do {
                        let d = try decoders[i].decode(w.payload)
                        base = d.header.baseSeq
                        #expect(d.state == sent[w.seq], "window \(w.seq) decoder \(i)")
                        if let p = d.previousSeq { #expect(d.previousState == sent[p]) }
                        outcomes.append("ok \(d.isDuplicate) \(d.previousSeq ?? 0)")
                    } catch {
                        if case .unknownBase(let b) = error { base = b }
                        outcomes.append("\(error)")
                    }
                }
                #expect(Set(outcomes).count == 1, "window \(w.seq): \(outcomes)")
                #expect(Set(decoders.map(\.heldSequences)).count == 1)
                if outcomes[0].hasPrefix("ok") {
                    decodedCount += 1
                    // Acknowledged 1–8 steps later (a slow return path), so bases lag.
                    acks.append((step + 1 + r.below(8), w.seq))
                    // Based on anything but the newest held state: decoded from a patch.
                    if let base, base != 0, base != newestHeld { reconstructed += 1 }
                } else {
                    rejected += 1
                    if let base { _ = tx.baseRejected(base: base) }
                }
            }
            flight.removeAll { $0.at == step }
            for a in acks where a.at == step { _ = tx.acknowledge(seq: a.seq) }
            acks.removeAll { $0.at == step }
            // Duplicates now and then: a held window decodes as a duplicate everywhere.
            if step % 37 == 0, let seq = decoders[0].heldSequences.first {
                for d in decoders { #expect(d.state(seq: seq) == sent[seq]) }
            }
        }
        #expect(decodedCount > 200)
        #expect(reconstructed > 20, "windows decoded against a state held as a patch: \(reconstructed)")
        // The point of it: one whole state and fifteen patches hold far fewer rows.
        let one = decoders[0].heldCost, all = decoders[2].heldCost
        #expect(one.fullStates == 1 && all.fullStates == decoders[2].heldSequences.count)
        #expect(one.fullRows + one.patchRows < all.fullRows / 3, "\(one) against \(all)")
        print("held rows: 1 whole \(one.fullRows) + patches \(one.patchRows); 16 whole \(all.fullRows); rejected \(rejected)")
    }
}

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
