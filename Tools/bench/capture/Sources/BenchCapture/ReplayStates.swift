import WireCodec

/// The states a load agent replays after its warm-up, one per window, as a service's would
/// go on: counters only grow, gauges move between two snapshots' levels. Playing two
/// snapshots back and forth instead would make every other window a counter reset.
public enum Replay {
    /// CPU: each state adds the next increment (the warm-up's profiles in turn) to the last.
    public struct Cumulative {
        let increments: [StreamState]
        var state: StreamState
        var k = 0

        public init(increments: [StreamState], from start: StreamState) {
            self.increments = increments
            self.state = start
        }

        public mutating func next() -> StreamState {
            state = state.adding(increments[k % increments.count])
            k += 1
            return state
        }
    }

    /// CPU at a short interval: each state adds `samples` samples drawn from a real profile's
    /// stacks in proportion to their counts (a 240 ms window of a service busy on two cores
    /// at 100 Hz holds about 48), so a window touches a few rows of the state, as real CPU
    /// windows do. Deterministic for a seed (xorshift).
    public struct Sampled {
        let profile: StreamState
        let cumulative: [Int64]
        let samples: Int
        var state: StreamState
        var rng: UInt64

        public init(profile: StreamState, from start: StreamState, samples: Int = 48, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) {
            self.profile = profile
            var run: Int64 = 0
            cumulative = (0..<profile.count).map { r in run += max(1, profile.values(row: r).first ?? 1); return run }
            self.samples = samples
            state = start
            rng = seed | 1
        }

        public mutating func next() -> StreamState {
            guard let total = cumulative.last, total > 0 else { return state }
            var picked: [Int: Int64] = [:]
            for _ in 0..<samples {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
                let x = Int64(rng % UInt64(total))
                var lo = 0, hi = cumulative.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > x { hi = mid } else { lo = mid + 1 } }
                picked[lo, default: 0] += 1
            }
            // One sample of a stack: its values divided by its sample count (column 0).
            var ids: [EntryID] = [], cells: [Int64] = []
            for r in picked.keys.sorted() {
                let row = Array(profile.values(row: r))
                let n = max(1, row.first ?? 1)
                ids.append(profile.ids[r])
                cells += row.map { $0 / n * picked[r]! }
            }
            state = state.adding(StreamState(columns: profile.columns, ids: ids, cells: cells)!)
            return state
        }
    }

    /// Heap: counters grow by the step between the first two snapshots (negative cells, a
    /// sampling artefact, left out), gauges take the snapshots' levels in turn; starts at
    /// the larger of the snapshots' counters, so no state goes below one the warm-up sent.
    /// Every state holds every stack either snapshot holds, as Go's heap profile keeps a
    /// stack's cumulative allocations for the life of the process: a stack does not leave
    /// the profile when its in-use memory drops to zero.
    public struct Growing {
        let step: StreamState
        let gaugeLevels: [StreamState]
        var counters: StreamState
        var k = 0

        public init(snapshots: [StreamState], gauges: [Bool]) {
            step = snapshots[1].increment(since: snapshots[0]).mapValues { c, v in gauges[c] ? 0 : max(0, v) }
            let last = snapshots[snapshots.count - 1].mapValues { c, v in gauges[c] ? 0 : v }
            counters = snapshots.dropLast().reduce(last) { top, s in
                top.adding(s.mapValues { c, v in gauges[c] ? 0 : v }.increment(since: top).mapValues { _, v in max(0, v) })
            }
            gaugeLevels = snapshots.map { $0.mapValues { c, v in gauges[c] ? v : 0 } }
        }

        public mutating func next() -> StreamState {
            counters = counters.adding(step)
            defer { k += 1 }
            return counters.adding(gaugeLevels[k % gaugeLevels.count])
        }
    }

    /// Stacks per state and the share of rows that change from one state to the next (what
    /// a window carries), for a run's log.
    public static func describe(_ name: String, _ states: [StreamState]) -> String {
        let pairs = zip(states, states.dropFirst())
        let changed = pairs.map { $0.1.increment(since: $0.0).count }.reduce(0, +)
        let added = pairs.map { $0.1.ids(notIn: $0.0).count + $0.0.ids(notIn: $0.1).count }.reduce(0, +)
        let rows = states.map(\.count).reduce(0, +)
        let text = "\(name) \(states.map(\.count).min() ?? 0)–\(states.map(\.count).max() ?? 0) stacks, "
        return text + percent(Double(changed) / Double(max(1, rows))) + " of rows change per window, \(added) stacks come or go in all"
    }

    static func percent(_ x: Double) -> String {
        let tenths = Int((x * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }
}
