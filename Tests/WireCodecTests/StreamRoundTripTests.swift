import Testing
import Compression
import Folded
import Profile
@testable import WireCodec

@Suite struct StreamRoundTripTests {
    /// Every sequence of real profiles, each window acknowledged: the receiver rebuilds
    /// exactly the sender's state after every window, and the rebuilt profile has the same
    /// stacks and values as the input.
    @Test(arguments: [("heap", Samples.heap), ("cpu", Samples.cpu), ("goroutine", Samples.goroutine),
                      ("mutex", Samples.mutex), ("block", Samples.block), ("allocs", Samples.allocs)])
    func sequenceRoundTrips(type: String, files: [String]) throws {
        let first = try Samples.profile(files[0])
        var tx = StreamEncoder(stream: 1, info: info(for: first, type: type))
        var rx = StreamDecoder()
        var report: [String] = []
        for (i, f) in files.enumerated() {
            let p = i == 0 ? first : try Samples.profile(f)
            try tx.ingest(p, mode: mode(for: type))
            let (header, payload) = tx.nextWindow(timeNanos: p.timeNanos, durationNanos: p.durationNanos)
            let decoded = try rx.decode(payload)
            #expect(decoded.state == tx.state, "\(f)")
            #expect(decoded.header == header)
            tx.acknowledge(seq: header.seq)
            let gz = try Samples.bytes(f).count
            report.append("\(f): gz \(gz) payload \(payload.count) snappy \(Snappy.compress(payload).count) base \(header.baseSeq)")
            if mode(for: type) == .snapshot {
                let rebuilt = rx.dictionary.profile(of: decoded.state, info: decoded.info)
                for c in p.sampleTypes.indices {
                    #expect(FoldedWriter.text(rebuilt, sampleIndex: c) == FoldedWriter.text(p, sampleIndex: c), "\(f) column \(c)")
                }
            }
        }
        print(report.joined(separator: "\n"))
    }
}
