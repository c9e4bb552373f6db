import Profile
import WireCodec

/// A small, fixed heap-like stream that the window fuzzer decodes a keyframe of before it
/// decodes the fuzz input as a delta, and that the seed generator encodes deltas of.
///
/// Four columns (so every predictor of SPEC.md §5.6 is allowed), inlined lines, a location
/// without lines, string and numeric labels, long shared prefixes (stack templates), and a
/// stack that goes away between snapshots (removals).
public enum FixedStream {
    public static let columns = [
        ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
        ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
    ]

    public static let info = StreamInfo(
        service: "fuzz", profileType: "heap", labels: ["host": "a"], columns: columns,
        columnKinds: StreamInfo.goColumnKinds(columns), periodType: ValueType(type: "space", unit: "bytes"),
        period: 524_288, defaultSampleType: "inuse_space")

    /// Snapshot `n` (1, 2, 3 …): the same code, values that grow with n, one stack only in
    /// odd snapshots and one only from snapshot 2 on.
    public static func profile(_ n: Int) -> Profile {
        let names = ["main.main", "main.(*server).serve", "net/http.(*conn).serve", "encoding/json.Marshal",
                     "encoding/json.(*encodeState).marshal", "runtime.mallocgc", "runtime.newobject", "bytes.(*Buffer).grow",
                     "regexp.(*Regexp).doExecute", "sort.Slice", "main.handleLookup", "main.handleStore"]
        let functions = names.enumerated().map { i, name in
            Function(name: name, systemName: name, filename: name.hasPrefix("main.") ? "/src/app/main.go" : "/usr/lib/go/src/\(name.split(separator: ".")[0]).go",
                     startLine: Int64(10 * i + 1))
        }
        var locations = functions.indices.map { i in Location(address: UInt64(0x40_0000 + 0x40 * i), lines: [Line(function: i, line: Int64(10 * i + 5))]) }
        // An inlined pair (callee first) and a location without lines.
        locations.append(Location(address: 0x40_1000, lines: [Line(function: 7, line: 77), Line(function: 3, line: 36)]))
        locations.append(Location(address: 0x7f00_dead_beef, lines: []))
        let inlined = locations.count - 2, bare = locations.count - 1
        // Stacks leaf first, as in pprof.
        var stacks: [[Int]] = [
            [5, 4, 3, 1, 0], [6, 4, 3, 1, 0], [inlined, 4, 3, 1, 0], [5, 8, 10, 2, 1, 0], [5, 9, 11, 2, 1, 0],
            [6, 9, 11, 2, 1, 0], [bare, 5, 0], [5, 10, 2, 1, 0],
        ]
        var labels: [[Label]] = Array(repeating: [], count: stacks.count)
        labels[1] = [Label(key: "span", string: "lookup")]
        labels[5] = [Label(key: "bytes", number: 4096, unit: "bytes"), Label(key: "span", string: "store")]
        if n >= 2 {
            stacks.append([7, 4, 3, 1, 0])
            labels.append([])
        }
        if n % 2 == 1 {
            stacks.append([6, 8, 10, 2, 1, 0])
            labels.append([Label(key: "span", string: "lookup")])
        }
        let samples = stacks.indices.map { i -> Sample in
            let objects = Int64(3 * i + 1) * Int64(n) + (i == 2 ? 0 : Int64(n * n))
            let size = Int64(16 << (i % 6))
            let inuse = i % 3 == 0 ? objects : objects / 2
            return Sample(locations: stacks[i], values: [objects, objects * size, inuse, inuse * size], labels: labels[i])
        }
        return Profile(sampleTypes: columns, defaultSampleType: "inuse_space", periodType: ValueType(type: "space", unit: "bytes"),
                       period: 524_288, timeNanos: 1_700_000_000_000_000_000 + Int64(n) * 200_000_000, durationNanos: 0,
                       functions: functions, locations: locations, samples: samples)
    }

    /// Encoded windows of the fixed stream. `keyframe` is seq 1 (acknowledged);
    /// `deltaOn1` is seq 2, a delta against 1 (acknowledged too); `deltaOn2` is seq 3, a
    /// delta against 2; `check` is a delta against 1 with seq `checkSeq`, sent by a second
    /// encoder that never saw snapshot 2 acknowledged, and `checkState` what it decodes to.
    public struct Windows: Sendable {
        public var keyframe: [UInt8]
        public var deltaOn1: [UInt8]
        public var deltaOn2: [UInt8]
        public var check: [UInt8]
        public var checkSeq: UInt32
        public var states: [UInt32: StreamState]
        public var checkState: StreamState
    }

    public static let checkSeq: UInt32 = 1000

    public static func windows() -> Windows {
        var tx = StreamEncoder(stream: 7, info: info)
        var states: [UInt32: StreamState] = [:]
        var out: [[UInt8]] = []
        for n in 1...3 {
            // The fixed profiles always match the stream's columns.
            try! tx.ingest(profile(n), mode: .snapshot)
            let (h, payload) = tx.nextWindow(timeNanos: profile(n).timeNanos)
            states[h.seq] = tx.state
            out.append(payload)
            tx.acknowledge(seq: h.seq)
        }
        // The check window: a delta against 1 at a sequence number fuzz inputs rarely use.
        var tx2 = StreamEncoder(stream: 7, info: info)
        try! tx2.ingest(profile(1), mode: .snapshot)
        _ = tx2.nextWindow()
        tx2.acknowledge(seq: 1)
        try! tx2.ingest(profile(4), mode: .snapshot)
        var check: (header: WindowHeader, payload: [UInt8]) = tx2.nextWindow()
        while check.header.seq < checkSeq { check = tx2.nextWindow() }
        precondition(check.header.baseSeq == 1)
        return Windows(keyframe: out[0], deltaOn1: out[1], deltaOn2: out[2], check: check.payload, checkSeq: checkSeq,
                       states: states, checkState: tx2.state)
    }
}
