import Noise
import Session
import Store
import WireCodec

/// What one drain takes from one shard's session, on that shard's event loop: its events,
/// and the windows to store with the entries their states reach that the store lacks.
struct DrainTake: Sendable {
    var events: [CollectorEvent] = []
    var batch: [(CollectorTallies.StreamKey, WindowRecord)] = []
    /// The same windows for the delivery log; their commit time is set after it.
    var delivered: [StoredWindow] = []
    /// Entries the batch writes, per agent (base64 key).
    var seen: [String: Set<EntryKey>] = [:]
    /// The newest (epoch, seq) taken per stream, for the streams this take changed.
    var marks: [CollectorTallies.StreamKey: (epoch: UInt32, seq: UInt32)] = [:]
    /// Agents that connected anew: their marks from before no longer hold.
    var reconnected: Set<PublicKey> = []
    var superseded = 0
    var coalesced = 0
}

extension CollectorRuntime {
    /// Takes `c`'s events. For each new window, the entries its state reaches that the store
    /// does not hold yet are resolved in the decoder's dictionary. Each stream's windows are
    /// kept in order: a late repair of an older window carries nothing its stream's newer
    /// stored state does not already hold (superseded).
    static func take(from c: inout CollectorSession, known: [String: Set<EntryKey>],
                     start: [CollectorTallies.StreamKey: (epoch: UInt32, seq: UInt32)], wall: Int64, coalesceAbove: Int) -> DrainTake {
        var t = DrainTake()
        t.events = c.pollEvents()
        // A drain this far behind stores the newest window of each stream and epoch: its
        // cumulative state carries the counts of the older ones (STORE.md §7), and the
        // commit stays one row per stream however long the store was starved.
        let behind = t.events.count > coalesceAbove
        var position: [CollectorTallies.StreamKey: (index: Int, epoch: UInt32)] = [:]
        for e in t.events {
            if case .peerConnected(let key, _) = e {
                // A new session of an agent numbers its streams and windows afresh.
                t.reconnected.insert(key)
                t.marks = t.marks.filter { $0.key.agent != key }
                continue
            }
            guard case .windowDecoded(let key, let w) = e, !w.isDuplicate,
                  let dictionary = c.dictionary(of: key, stream: w.header.stream) else { continue }
            let h = w.header
            let k = CollectorTallies.StreamKey(agent: key, stream: h.stream)
            let last = t.marks[k] ?? (t.reconnected.contains(key) ? nil : start[k])
            if let last, last.epoch == h.epoch, last.seq >= h.seq { t.superseded += 1; continue }
            t.marks[k] = (h.epoch, h.seq)
            let agent = key.base64
            var s = t.seen[agent] ?? []
            // When the window before it is stored (or in this batch), only the stacks it
            // gained can reach entries the store lacks.
            let follows = last.map { $0.epoch == h.epoch && $0.seq == w.previousSeq } ?? false
            let entries = dictionary.entries(reachingStacks: follows ? w.gainedStacks : w.state.ids,
                                             known: known[agent] ?? [], seen: &s)
            if !s.isEmpty { t.seen[agent] = s }
            let captured = captureEnd(h, wall: wall)
            var record = WindowRecord(agent: agent, info: w.info, timeNanos: captured ?? wall, durationNanos: h.durationNanos,
                                      seq: h.seq, state: w.state, entries: entries, mark: w.mark,
                                      change: w.changes.flatMap { c in w.previousMark.map { ($0, c.increment) } })
            let window = StoredWindow(agent: agent, service: w.info.service, type: w.info.profileType, stream: h.stream, epoch: h.epoch,
                                      seq: h.seq, capturedNanos: captured, storedNanos: 0)
            if behind, let p = position[k], p.epoch == h.epoch {
                // The older window's new entries were marked seen: this record writes them.
                record.entries = t.batch[p.index].1.entries + record.entries
                t.batch[p.index] = (k, record)
                t.delivered[p.index] = window
                t.coalesced += 1
            } else {
                position[k] = (t.batch.count, h.epoch)
                t.batch.append((k, record))
                t.delivered.append(window)
            }
        }
        return t
    }
}
