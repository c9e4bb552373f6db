import Noise
import SansIO
import Session
import SessionFuzzSupport

/// libFuzzer entry point for CONTROL frames (`ControlFrame.decode`/`encode`,
/// `PacketRanges`) and for CONTROL datagrams at established sessions.
///
/// The input is a CONTROL payload (the frames inside the seal). Findings besides crashes:
/// - `decode` accepts bytes whose frames do not re-encode to bytes that decode to the same
///   frames, or re-encode longer than the input (the encoding is the shortest form), or it
///   returns no frame for a non-empty payload;
/// - a decoded ACK's ranges are not disjoint, descending and non-adjacent, its `largest`
///   is not the first range's top, or `contains` disagrees with the ranges;
/// - `PacketRanges.insert`, driven by packet numbers taken from the same bytes (see
///   `rangeOps`), disagrees with a model (a set of numbers that keeps only the `limit`
///   newest ranges and refuses a new range below all of them when full): return value,
///   ranges, `contains`;
/// - the payload sealed as a CONTROL datagram to the collector and to the agent of an
///   established session (`SessionFixture.established`) is not accepted exactly when it
///   decodes, or its drop is not counted exactly once; the collector answers it; the same
///   bytes fed unsealed as a CONTROL datagram are not counted as exactly one drop, or get
///   an answer or an event;
/// - afterwards the agent's timers and transmit loop misbehave: `pollTransmit` never runs
///   dry, or a window count goes negative.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControl(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decodes = checkCodec(bytes)
    checkRanges(bytes)
    checkSessions(bytes, decodes: decodes)
    return 0
}

// MARK: - Codec

/// Whether `bytes` decode.
private func checkCodec(_ bytes: [UInt8]) -> Bool {
    let frames: [ControlFrame]
    do { frames = try ControlFrame.decode(bytes) } catch {
        // Typed throws: only ControlError gets here.
        switch error {
        case .unknownFrame(let code): check(!(1...7).contains(code), "known frame type \(code) reported unknown")
        case .truncated, .malformed: break
        }
        return false
    }
    check(frames.isEmpty == bytes.isEmpty, "\(bytes.count) bytes decode to \(frames.count) frames")
    let encoded = ControlFrame.encode(frames)
    check(encoded.count <= bytes.count, "frames re-encode to \(encoded.count) bytes from \(bytes.count)")
    do {
        let again = try ControlFrame.decode(encoded)
        check(again == frames, "frames \(frames) re-encode to bytes that decode to \(again)")
        check(ControlFrame.encode(again) == encoded, "the encoding of \(frames) is not stable")
    } catch {
        check(false, "frames \(frames) re-encode to bytes that do not decode: \(error)")
    }
    for f in frames {
        switch f {
        case .ack(let r, _):
            checkRangeInvariants(r, "decoded ACK")
            check(!r.ranges.isEmpty && r.ranges.count <= ControlFrame.maxRanges, "decoded ACK with \(r.ranges.count) ranges")
            for range in r.ranges {
                check(r.contains(range.lowerBound) && r.contains(range.upperBound), "ACK \(r.ranges) does not contain its range \(range)")
                if range.lowerBound > 0 { check(!r.contains(range.lowerBound - 1), "ACK \(r.ranges) contains the gap below \(range)") }
                if range.upperBound < .max { check(!r.contains(range.upperBound + 1), "ACK \(r.ranges) contains the gap above \(range)") }
            }
        case .missing(_, let blocks):
            check(blocks.count <= ControlFrame.maxBlocks && blocks.allSatisfy { $0 <= 64 }, "MISSING frame with blocks \(blocks)")
        case .report(let r):
            check(r.lossPPM <= PathReport.maxLossPPM, "REPORT with a loss of \(r.lossPPM) ppm")
        case .decoded, .durable, .rejected, .keepalive, .pace:
            break
        }
    }
    return true
}

private func checkRangeInvariants(_ r: PacketRanges, _ what: String) {
    check(r.ranges.count <= r.limit, "\(what): \(r.ranges.count) ranges over the limit \(r.limit)")
    check(r.largest == (r.ranges.first?.upperBound ?? 0), "\(what): largest \(r.largest) for \(r.ranges)")
    for (a, b) in zip(r.ranges, r.ranges.dropFirst()) {
        // Descending, disjoint and not adjacent: a gap of at least one packet between them.
        check(a.lowerBound > b.upperBound && a.lowerBound - b.upperBound >= 2, "\(what): ranges \(a) and \(b) touch or are out of order")
    }
}

// MARK: - PacketRanges against a model

/// The limit and the packet numbers the bytes choose: byte 0 picks the limit (0–8, or
/// the default 64), then each 2 bytes a packet number: mostly 0–511 (dense, so ranges
/// join), some near 2^64 − 1 (the top edge), some spread over the 32-bit range.
private func rangeOps(_ bytes: [UInt8]) -> (limit: Int, pns: [UInt64]) {
    guard let first = bytes.first else { return (ControlFrame.maxRanges, []) }
    let limit = first % 10 == 9 ? ControlFrame.maxRanges : Int(first % 10)
    var pns: [UInt64] = []
    var i = 1
    while i + 1 < bytes.count, pns.count < 200 {
        let v = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
        switch v >> 14 {
        case 3: pns.append(UInt64.max - UInt64(v & 0x3F))
        case 2: pns.append(UInt64(v & 0x3FFF) << 18)
        default: pns.append(UInt64(v & 0x1FF))
        }
        i += 2
    }
    return (limit, pns)
}

private struct RangesModel {
    let limit: Int
    var numbers = Set<UInt64>()

    /// The numbers as ranges, newest first.
    var ranges: [ClosedRange<UInt64>] {
        var out: [ClosedRange<UInt64>] = []
        for n in numbers.sorted(by: >) {
            if let last = out.last, last.lowerBound == n + 1 { out[out.count - 1] = n...last.upperBound } else { out.append(n...n) }
        }
        return out
    }

    mutating func insert(_ pn: UInt64) -> Bool {
        if numbers.contains(pn) { return false }
        let joins = (pn != .max && numbers.contains(pn + 1)) || (pn != 0 && numbers.contains(pn - 1))
        let belowAll = numbers.min().map { pn < $0 } ?? true
        if !joins && belowAll && ranges.count >= limit { return false }  // too old to matter
        numbers.insert(pn)
        let r = ranges
        if r.count > limit { for old in r[limit...] { for n in old { numbers.remove(n) } } }
        return true
    }
}

private func checkRanges(_ bytes: [UInt8]) {
    let (limit, pns) = rangeOps(bytes)
    var r = PacketRanges(limit: limit)
    var model = RangesModel(limit: limit)
    for pn in pns {
        let got = r.insert(pn)
        let want = model.insert(pn)
        check(got == want, "insert(\(pn)) returned \(got), the model says \(want) (limit \(limit), ranges \(r.ranges))")
        check(r.ranges == model.ranges, "after insert(\(pn)): ranges \(r.ranges), the model has \(model.ranges) (limit \(limit))")
        checkRangeInvariants(r, "PacketRanges")
        for probe in [pn, pn &- 1, pn &+ 1, 0, .max] {
            check(r.contains(probe) == model.numbers.contains(probe), "contains(\(probe)) is \(r.contains(probe)) for \(r.ranges)")
        }
    }
}

// MARK: - Sessions

private func total(_ d: [SessionDropReason: Int]) -> Int { d.values.reduce(0, +) }

private func checkSessions(_ bytes: [UInt8], decodes: Bool) {
    var s = SessionFixture.established
    let now = s.now
    let pn = s.freshPacketNumber

    // Sealed to the collector under the agent's sending key.
    var drops = total(s.collector.dropped)
    let sent = s.collector.bytesSent
    s.collector.receive(SessionFixture.sealControl(bytes, connectionID: s.keys.remoteIndex, packetNumber: pn, key: s.keys.send),
                        from: SessionFixture.agentAddress, at: now)
    // An empty payload is shorter than the smallest CONTROL datagram.
    let refused = bytes.isEmpty || !decodes
    check(total(s.collector.dropped) == drops + (refused ? 1 : 0),
          "collector: a sealed payload that \(decodes ? "decodes" : "does not decode") changed the drops \(drops) to \(s.collector.dropped)")
    if !bytes.isEmpty && !decodes { check(s.collector.dropped[.malformedControl] == 1, "collector: not counted as malformed: \(s.collector.dropped)") }
    check(s.collector.pollTransmit(at: now) == nil && s.collector.bytesSent == sent, "collector answered a CONTROL datagram")
    check(s.collector.pollEvents().isEmpty, "collector: a CONTROL datagram made an event")

    // The same bytes unsealed, as a whole CONTROL datagram: never authentic.
    let raw = bytes.isEmpty ? [SessionFixture.controlByte0] : [SessionFixture.controlByte0] + bytes.dropFirst()
    drops = total(s.collector.dropped)
    s.collector.receive(raw, from: SessionFixture.attackerAddress, at: now)
    if SessionFixture.openControl(raw, key: s.keys.send) == nil {
        check(total(s.collector.dropped) == drops + 1, "collector: raw CONTROL bytes counted \(total(s.collector.dropped) - drops) drops")
    }
    check(s.collector.pollTransmit(at: now) == nil && s.collector.pollEvents().isEmpty, "collector answered raw CONTROL bytes")

    // Sealed to the agent under the collector's sending key (the agent's receiving key).
    drops = total(s.agent.stats.dropped)
    let inFlight = s.agent.windowsInFlight
    s.agent.receive(SessionFixture.sealControl(bytes, connectionID: s.keys.localIndex, packetNumber: pn, key: s.keys.receive),
                    from: SessionFixture.collectorAddress, at: now)
    check(total(s.agent.stats.dropped) == drops + (refused ? 1 : 0),
          "agent: a sealed payload that \(decodes ? "decodes" : "does not decode") changed the drops \(drops) to \(s.agent.stats.dropped)")
    check(s.agent.windowsInFlight <= inFlight, "agent: \(s.agent.windowsInFlight) windows in flight after a CONTROL datagram, \(inFlight) before")
    check(s.agent.stats.windowsDecoded >= 1 && s.agent.stats.packetsAcked >= 0 && s.agent.stats.packetsLost >= 0, "agent stats \(s.agent.stats)")

    drops = total(s.agent.stats.dropped)
    s.agent.receive(raw, from: SessionFixture.attackerAddress, at: now)
    if SessionFixture.openControl(raw, key: s.keys.receive) == nil {
        check(total(s.agent.stats.dropped) == drops + 1, "agent: raw CONTROL bytes counted \(total(s.agent.stats.dropped) - drops) drops")
    }

    // The agent carries on from whatever the frames did: repair, probes, keepalives.
    var t = now
    for _ in 0..<4 {
        if let w = s.agent.nextWakeup() { t = max(t, w) }
        s.agent.handleTimeout(at: t)
        var n = 0
        while s.agent.pollTransmit(at: t) != nil {
            n += 1
            check(n < 10_000, "agent: pollTransmit never runs dry")
        }
        t = t + .milliseconds(500)
    }
    check(s.agent.windowsInFlight >= 0, "agent: negative windows in flight")
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-control invariant broken: \(message())") }
}
