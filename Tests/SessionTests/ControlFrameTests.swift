import Testing
import Session
import SansIO
import WireFrame

@Suite struct ControlFrameTests {
    @Test func framesRoundTrip() throws {
        var ranges = PacketRanges()
        for pn in [1, 2, 3, 7, 8, 10, 20, 21, 22, 23] as [UInt64] { ranges.insert(pn) }
        let frames: [ControlFrame] = [
            .ack(ranges, ackDelayMicros: 12_345),
            .decoded(stream: 3, highest: 99, earlier: 0b1011),
            .durable(stream: 3, seq: 97),
            .missing(bundle: 0xFFFF_FFFF, perBlock: [0, 3, 64]),
            .rejected(stream: 2, seq: 9, reason: 2, base: 7),
            .keepalive,
            .report(PathReport(smoothedRTTMicros: 320_000, rttVariationMicros: 1, minRTTMicros: 0, intervalMicros: 480_000, lossPPM: 1_000_000,
                               windowsSent: .max, windowsRepaired: 3, windowsLost: 2, repairBytes: 1 << 40)),
            .pace(intervalMillis: 1_440),
            .pace(intervalMillis: 0),
            .pace(intervalMillis: .max),
        ]
        let bytes = ControlFrame.encode(frames)
        #expect(try ControlFrame.decode(bytes) == frames)
        #expect(ranges.ranges == [20...23, 10...10, 7...8, 1...3])
    }

    @Test func malformedFramesAreRefusedWhole() {
        let bad: [[UInt8]] = [
            [9],  // unknown frame type
            [7, 1, 1, 1, 1, 0xC1, 0x84, 0x3D, 0, 0, 0, 0],  // REPORT with a loss over 1,000,000 ppm
            [7, 1, 1, 1, 1, 1, 0, 0, 0],  // REPORT that ends before its last field
            [1, 5],  // ACK ends early
            [1, 2, 0, 1, 5, 0],  // a gap below packet 0
            [4, 1, 1, 1, 65],  // a block lacking 65 symbols
            [3, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1],  // a stream over 32 bits
            [1] + [UInt8](repeating: 0xFF, count: 11),  // a varint over 10 bytes
        ]
        for b in bad { #expect(throws: ControlError.self, "\(b)") { try ControlFrame.decode(b) } }
    }

    @Test func packetRangesMergeAndStayBounded() {
        var r = PacketRanges(limit: 4)
        let first = r.insert(5), again = r.insert(5)
        #expect(first && !again)
        r.insert(7)
        r.insert(6)  // joins 5 and 7
        #expect(r.ranges == [5...7])
        for pn in stride(from: 100, through: 10, by: -10) { r.insert(UInt64(pn)) }
        #expect(r.ranges.count == 4)
        #expect(r.largest == 100)
        #expect(r.contains(90) && !r.contains(5))  // the oldest were forgotten
        // Packets in random order end as one range.
        var s = PacketRanges()
        for pn in [9, 3, 1, 2, 8, 5, 4, 7, 6, 10] as [UInt64] { s.insert(pn) }
        #expect(s.ranges == [1...10])
    }
}

@Suite struct EstimatorTests {
    @Test func rttFollowsRFC9002() {
        var r = RttEstimator()
        #expect(r.smoothed == .milliseconds(333))
        r.update(sample: .milliseconds(320), ackDelay: .milliseconds(10), maxAckDelay: .milliseconds(25))
        #expect(r.smoothed == .milliseconds(320) && r.variation == .milliseconds(160) && r.minimum == .milliseconds(320))
        // The ack delay is subtracted when the sample stays above the minimum.
        r.update(sample: .milliseconds(360), ackDelay: .milliseconds(20), maxAckDelay: .milliseconds(25))
        #expect(r.latest == .milliseconds(360))
        #expect(r.smoothed == (.milliseconds(320) * 7 + .milliseconds(340)) / 8)
        // ...and capped at the maximum ack delay.
        r.update(sample: .milliseconds(400), ackDelay: .milliseconds(200), maxAckDelay: .milliseconds(25))
        // Queuing delay samples 0, 20 and 55 ms: the filter takes the smallest of the last four.
        #expect(r.queuingDelay == .zero)
        r.update(sample: .milliseconds(400), ackDelay: .zero, maxAckDelay: .milliseconds(25))
        r.update(sample: .milliseconds(400), ackDelay: .zero, maxAckDelay: .milliseconds(25))
        #expect(r.queuingDelay == .milliseconds(20))
        #expect(r.probeTimeout(maxAckDelay: .milliseconds(25)) > r.smoothed)
    }

    @Test func lossEstimateLeavesItsPriorQuickly() {
        var clean = LossEstimator(initialLoss: 0.05)
        for _ in 0..<300 { clean.record(lost: false) }
        #expect(clean.lossRate < 0.006)  // 0.05 × 32 / 332
        var bad = LossEstimator(initialLoss: 0.05)
        for i in 0..<400 { bad.record(lost: i % 8 == 0) }
        #expect(abs(bad.lossRate - 0.125) < 0.02)
    }

    @Test func lossEstimateConvergesAndMeasuresBursts() {
        var l = LossEstimator(initialLoss: 0)
        // Bursts of 3 lost in every 25 packets: 12 % loss, mean burst 3.
        for i in 0..<20_000 { l.record(lost: i % 25 < 3) }
        #expect(abs(l.lossRate - 0.12) < 0.03)
        #expect(abs(l.meanBurstLength - 3) < 0.2)
    }

    @Test func intervalGrowsOnQueuingAndShrinksWhenClear() {
        var c = IntervalController()
        var now = Instant.zero
        let busy = IntervalController.Signal(queuingDelay: .milliseconds(300), smoothedRtt: .milliseconds(320), undecodedWindows: 1, streams: 1)
        let clear = IntervalController.Signal(queuingDelay: .milliseconds(5), smoothedRtt: .milliseconds(320), undecodedWindows: 0, streams: 1)
        for _ in 0..<20 {
            now = now + .milliseconds(400)
            c.update(busy, at: now)
        }
        #expect(c.current == .milliseconds(480))
        for _ in 0..<60 {
            now = now + .milliseconds(400)
            c.update(clear, at: now)
        }
        #expect(c.current == .milliseconds(120))
        // Windows piling up grow it too, whatever the delay.
        now = now + .milliseconds(400)
        c.update(.init(queuingDelay: .zero, smoothedRtt: .milliseconds(320), undecodedWindows: 16, streams: 2), at: now)
        #expect(c.current == .milliseconds(150))
        // Not more often than once per RTT.
        c.update(.init(queuingDelay: .zero, smoothedRtt: .milliseconds(320), undecodedWindows: 10, streams: 2), at: now + .milliseconds(100))
        #expect(c.current == .milliseconds(150))
    }
}

@Suite struct SessionDropReasonTests {
    /// Every datagram-layer reason keeps its metric label as a session reason, and labels
    /// are distinct (a runtime exports all of them from zero).
    @Test func everyFrameReasonMapsToTheSameLabel() {
        for r in DropReason.allCases { #expect(SessionDropReason(r).rawValue == r.rawValue) }
        #expect(Set(SessionDropReason.allCases.map(\.rawValue)).count == SessionDropReason.allCases.count)
    }
}
