import FEC
import Noise
import SansIO
import WireFrame
import WirePipeline

/// Acknowledgements, RTT, loss, repair and supersession (SPEC.md §11.3–§11.4).
extension AgentSession {
    /// Packets this far below the largest acknowledged are lost (RFC 9002's kPacketThreshold).
    static let packetThreshold: UInt64 = 3

    mutating func receiveControl(_ d: [UInt8], at now: Instant) {
        guard let (connection, pn) = ControlDatagram.header(d) else {
            count(drop: .tooShort)
            return
        }
        // The collector addresses us by our index of the current or the previous keys.
        let useCurrent = current?.keys.localIndex == connection
        guard useCurrent || previous?.keys.localIndex == connection, let slot = useCurrent ? current : previous else {
            count(drop: .unknownConnection)
            return
        }
        guard slot.replay.check(pn) else {
            count(drop: .replayed)
            return
        }
        guard let payload = ControlDatagram.open(d, packetNumber: pn, keys: slot.keys) else {
            count(drop: .authenticationFailed)
            return
        }
        if useCurrent { current?.replay.commit(pn) } else { previous?.replay.commit(pn) }
        let frames: [ControlFrame]
        do { frames = try ControlFrame.decode(payload) } catch {
            count(drop: .malformedControl)
            return
        }
        lastHeardAt = now
        waitingSince = nil
        for f in frames { apply(f, at: now) }
        flushPending(at: now)
        updateStatus(at: now)
    }

    mutating func apply(_ f: ControlFrame, at now: Instant) {
        switch f {
        case .ack(let ranges, let delay): applyAck(ranges, ackDelay: .microseconds(Int64(min(delay, 10_000_000))), at: now)
        case .decoded(let stream, let highest, let earlier):
            var seqs: [UInt32] = []
            for i in stride(from: 63, through: 0, by: -1) where earlier & (1 << UInt64(i)) != 0 && highest > UInt32(i) + 1 {
                seqs.append(highest - UInt32(i) - 1)
            }
            seqs.append(highest)
            for s in seqs { windowDecoded(WindowAddress(stream: stream, seq: s), at: now) }
        case .durable(let stream, let seq):
            durable[stream] = max(durable[stream] ?? 0, seq)
        case .missing(let bundle, let perBlock):
            Self.modify(&bundles[bundle]) { b in
                guard perBlock.count == b.blocks else { return }
                b.reportedMissing = perBlock.map { Int($0) }
                b.heardAt = now
            }
        case .rejected(let stream, let seq, let reason, let base):
            let a = WindowAddress(stream: stream, seq: seq)
            if base != 0 { sender.baseRejected(stream: stream, base: base) }
            guard let w = windows[a] else { return }
            remove(a)
            // A superseded window repaired for long may find its base gone from the
            // receiver's ring (RING_SIZE newer windows decoded meanwhile): it was obsolete anyway.
            if w.superseded { stats.windowsSuperseded += 1 } else {
                stats.windowsRejected += 1
                events.append(.windowRejected(a, reason: reason))
            }
        case .pace(let ms):
            setPace(ms == 0 ? nil : min(.milliseconds(Int64(ms)), config.timers.maxPace), at: now)
        case .keepalive, .report:
            break
        }
    }

    /// Puts an overloaded collector's floor on the interval into force (for `PACE_HOLD`, or
    /// twice the PACE when that is longer, unless repeated: repeats ride on acknowledgements,
    /// which a paced stream earns once per PACE), or lifts it (nil); an event when it changes.
    mutating func setPace(_ p: Duration?, at now: Instant) {
        paceUntil = p.map { now + max(config.timers.paceHold, $0 * 2) }
        guard p != pace else { return }
        pace = p
        // Snapshots held back for the old PACE go when the new one allows (at once without).
        for stream in Array(pacedFlushAt.keys) { pacedFlushAt[stream] = pacedUntil(stream) }
        events.append(.paced(p))
    }

    mutating func applyAck(_ ranges: PacketRanges, ackDelay: Duration, at now: Instant) {
        let largest = ranges.largest
        var sample: Duration?
        var acked = 0
        for i in sentPackets.indices where !sentPackets[i].resolved && sentPackets[i].number <= largest {
            let p = sentPackets[i]
            if ranges.contains(p.number) {
                sentPackets[i].resolved = true
                stats.packetsAcked += 1
                if p.number == largest && largest > largestAcked { sample = now - p.sentAt }
                acked += p.bytes
                if let id = p.bundle {
                    Self.modify(&bundles[id]) { b in
                        guard p.block < b.blocks else { return }
                        b.ackedPerBlock[p.block] += 1
                        b.heardAt = now
                    }
                }
            } else if p.number + Self.packetThreshold <= largest {
                sentPackets[i].resolved = true
                sentPackets[i].lost = true
                stats.packetsLost += 1
            }
        }
        largestAcked = max(largestAcked, largest)
        // Verdicts feed the estimates in packet-number order, so a burst of consecutive
        // losses is one run even when its packets were judged by different ACKs.
        while judged < sentPackets.count && sentPackets[judged].resolved {
            loss.record(lost: sentPackets[judged].lost)
            judged += 1
        }
        if judged > 256 {
            sentPackets.removeFirst(judged)
            judged = 0
        }
        delivery.acknowledged(acked, at: now)
        if let sample {
            rtt.update(sample: sample, ackDelay: ackDelay, maxAckDelay: config.timers.maxAckDelay)
            adaptPacing()
            intervalControl.update(.init(queuingDelay: rtt.queuingDelay, smoothedRtt: rtt.smoothed, undecodedWindows: windowsInFlight,
                                         streams: max(1, sender.streams.count), backlog: pacer.drainTime(queuedBytes)), at: now)
        }
    }

    /// While the path queues (queuing delay over the interval controller's target), pace at
    /// the measured delivery rate, never above `--max-rate`; when it is clear again, only the
    /// budget paces (SPEC.md §11.6). Losses at a full queue are congestion, not random:
    /// pacing ends them instead of parity answering them.
    mutating func adaptPacing() {
        let queuing = rtt.queuingDelay
        if queuing > intervalControl.targetQueuingDelay, let measured = delivery.bitsPerSecond {
            let rate = max(8_000, measured)
            pacer.rate = config.maxRate.map { min($0, rate) } ?? rate
        } else if queuing < intervalControl.targetQueuingDelay / 2 {
            pacer.rate = config.maxRate
        }
    }

    mutating func windowDecoded(_ a: WindowAddress, at now: Instant) {
        guard let w = windows[a] else { return }
        progressAt = now
        let repaired = w.bundle.flatMap { bundles[$0]?.repaired } ?? false
        remove(a)
        sender.acknowledged(a)
        stats.windowsDecoded += 1
        if !repaired { stats.windowsDecodedWithoutRepair += 1 }
        if w.superseded { stats.windowsDecodedAfterSupersession += 1 }
        events.append(.windowDecoded(a, takenAt: w.takenAt, repaired: repaired))
        // Older windows of the stream are superseded: for counters the newer window holds
        // their values, for gauges they are obsolete. Their repair goes on at low priority
        // (behind everything else, until the repair limit), and they no longer hold the
        // stream's room.
        if a.seq > (highestDecoded[a.stream] ?? 0) { highestDecoded[a.stream] = a.seq }
        for old in windows.keys where old.stream == a.stream && old.seq < a.seq && windows[old]?.superseded == false {
            windows[old]?.superseded = true
            events.append(.windowSuperseded(old))
        }
    }

    /// A window leaves flight (decoded, rejected or given up); its bundle stops being
    /// repaired once none of its windows is left.
    mutating func remove(_ a: WindowAddress) {
        guard let w = windows.removeValue(forKey: a), let id = w.bundle else { return }
        var empty = false
        Self.modify(&bundles[id]) { b in
            b.windows.removeAll { $0 == a }
            empty = b.windows.isEmpty
        }
        if empty {
            bundles[id] = nil
            sender.forget(id)
        }
    }

    /// Whether a bundle's repair goes at low priority: every window it still carries was
    /// superseded by a newer decoded one (SPEC.md §11.4).
    func isSuperseded(_ b: BundleState) -> Bool {
        b.windows.allSatisfy { windows[$0]?.superseded ?? true }
    }

    /// Bundles whose repair deadline passed: fresh parity for what is missing, or a probe
    /// when the collector has said nothing since; given up after the repair limit.
    mutating func repair(at now: Instant) {
        let due = bundles.filter { ($0.value.deadline.map { $0 <= now }) ?? false }.keys.sorted()
        for id in due {
            guard var b = bundles[id], let first = b.firstSent else { continue }
            if now - first >= config.timers.repairLimit {
                bundles[id] = nil
                sender.forget(id)
                for a in b.windows {
                    guard let w = windows.removeValue(forKey: a) else { continue }
                    if w.superseded { stats.windowsSuperseded += 1 } else {
                        stats.windowsLost += 1
                        events.append(.windowLost(a))
                    }
                }
                continue
            }
            let low = isSuperseded(b)
            // Whether the collector said anything about this bundle since its last round.
            let heard = (b.heardAt ?? .zero) > (b.roundAt ?? first)
            var queued = 0
            if let reported = b.reportedMissing, heard {
                // The collector said what each block lacks: that many new parity, plus margin.
                let missing = reported.map { m in m + margin(for: m) }
                queued = sender.queueRepair(id, missing: missing, margin: 0, lowPriority: low)
                b.repairRounds += 1
                b.reportedMissing = nil
            } else if heard {
                // Acknowledged packets show what arrived; the rest of each block is missing.
                let missing = zip(b.sourcePerBlock, b.ackedPerBlock).map { max(0, $0 - $1) }.map { $0 + margin(for: $0) }
                queued = sender.queueRepair(id, missing: missing, margin: 0, lowPriority: low)
                b.repairRounds += 1
            } else {
                // Nothing heard about it: a probe (one new parity per block), with backoff.
                queued = sender.queueProbe(id, lowPriority: low)
                b.probes += 1
            }
            b.queued += queued
            b.roundAt = now
            let backoff = b.repairRounds == 0 ? Double(1 << min(b.probes, 6)) : 1
            b.deadline = now + max(rtt.probeTimeout(maxAckDelay: config.timers.maxAckDelay), rtt.smoothed * config.timers.repairFactor) * backoff
            bundles[id] = b
        }
    }

    /// Extra parity beyond what is missing, so one repair round succeeds with the
    /// block-failure target at the measured loss.
    func margin(for missing: Int) -> Int {
        guard missing > 0 else { return 0 }
        return ParityPolicy.parityCount(sourceCount: missing, lossRate: loss.lossRate, meanBurstLength: loss.meanBurstLength,
                                        target: config.frame.fecTarget, maxParity: 64)
    }
}
