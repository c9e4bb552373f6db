import WireCodec

/// The cumulative quantities of a stored stream after some window, from which any time
/// range is answered by a difference of two points (Protocol/STORE.md §3):
/// - `running` (R): the sum of every stored delta. Counter columns hold the total since the
///   stream was first stored, across restarts of the service; gauge columns hold the level.
/// - `gaugeSum` (G): the sum over windows of the gauge levels (gauge columns only), so the
///   mean level over a range is ΔG / ΔN.
/// - `windows` (N): how many windows were stored.
/// - `offset` (O): what R's counter columns held when the agent's counters last started over
///   (the service restarted); the agent's own cumulative state is R − O.
public struct StreamPoint: Sendable, Equatable {
    public var running: StreamState
    public var windows: Int64
    public var offset: StreamState
    /// W = Σ_j j · d_j over the stored deltas d_j (j = 1, 2, … the window's number), every
    /// column. Then G = (N + 1) · R − W on the gauge columns (`gaugeSum(gauges:)`), so a
    /// window updates W in the rows it changed instead of adding every row of R into G.
    /// Wrapping arithmetic: G comes out exact whenever it fits in 64 bits.
    public private(set) var weighted: StreamState

    public init(columns: Int) {
        running = StreamState(columns: columns)
        weighted = StreamState(columns: columns)
        windows = 0
        offset = StreamState(columns: columns)
    }

    /// A point from its stored quantities (a checkpoint): R, G (zero on counter columns), N, O.
    public init(running: StreamState, gaugeSum: StreamState, windows: Int64, offset: StreamState) {
        (self.running, self.windows, self.offset) = (running, windows, offset)
        let m = windows &+ 1
        weighted = running.mapValues { _, v in v &* m }.adding(gaugeSum.mapValues { _, v in 0 &- v }).mapValues { $1 }
    }

    init(running: StreamState, weighted: StreamState, windows: Int64, offset: StreamState) {
        (self.running, self.weighted, self.windows, self.offset) = (running, weighted, windows, offset)
    }

    /// G: the sum over windows of the gauge levels (gauge columns only, zero on the others),
    /// so the mean level over a range is ΔG / ΔN. One pass over the rows: for checkpoints
    /// and queries, never per window.
    public func gaugeSum(gauges: [Bool]) -> StreamState {
        guard gauges.contains(true) else { return StreamState(columns: running.columns) }
        let m = windows &+ 1
        return running.mapValues { c, v in gauges[c] ? v &* m : 0 }
            .adding(weighted.mapValues { c, v in gauges[c] ? 0 &- v : 0 }).mapValues { $1 }
    }

    /// Applies one stored window: its delta, and whether the agent's counters started over.
    public mutating func apply(delta: StreamState, reset: Bool, gauges: [Bool]) {
        if reset { offset = running.mapValues { c, v in gauges[c] ? 0 : v } }
        // In place: a settled stream's window costs its changed rows, not new states.
        running.add(delta)
        windows += 1
        let j = windows
        weighted.add(delta.mapValues { _, v in v &* j })
    }

    /// The same point with rows that hold only zeros left out (what a checkpoint keeps).
    public var compacted: StreamPoint {
        StreamPoint(running: running.mapValues { $1 }, weighted: weighted.mapValues { $1 }, windows: windows, offset: offset.mapValues { $1 })
    }

    /// The agent's own cumulative state: R − O on counter columns, R on gauge columns.
    public var agentState: StreamState {
        offset.isEmpty ? running.mapValues { $1 } : running.increment(since: offset)
    }

    /// What to store for a new state `s` from the agent: the delta against the agent's
    /// previous state, and whether the agent's counters started over (the total of some
    /// counter column went down: the service restarted), in which case the counters'
    /// delta is `s` itself (a new lineage continues the stored totals, never subtracts).
    ///
    /// One merge walk over the two states in the usual case: a zero row of `running` counts
    /// as absent in `increment`, so `running` stands for `agentState` without a copy, and a
    /// column's total went down exactly when the delta's total of it is negative (the delta
    /// holds every row that changed).
    public func delta(for s: StreamState, gauges: [Bool]) -> (delta: StreamState, reset: Bool) {
        let previous = offset.isEmpty ? running : running.increment(since: offset)
        let d = s.increment(since: previous)
        var reset = false
        if previous.columns == s.columns {
            for c in 0..<s.columns where !gauges[c] && d.total(column: c) < 0 { reset = true; break }
        }
        if reset { return (s.increment(since: previous.mapValues { c, v in gauges[c] ? v : 0 }), true) }
        return (d, false)
    }

    /// `delta(for: s, gauges:)` given `increment`, `s` minus the agent's state this point
    /// holds (the decoder's increment since the state this store last took from the same
    /// receiver): the rows that changed only. Nil when the counters went down (a reset),
    /// which needs the whole state.
    public func delta(increment: StreamState, gauges: [Bool]) -> StreamState? {
        for c in 0..<increment.columns where !gauges[c] && increment.total(column: c) < 0 { return nil }
        return increment
    }

    /// The state a query over (a, b] shows: counters summed over the range, gauges as their
    /// mean over the range's windows (`.mean`) or their level at its end (`.last`).
    public static func range(from a: StreamPoint, to b: StreamPoint, gauges: [Bool], aggregation: GaugeAggregation) -> StreamState {
        let counters = b.running.increment(since: a.running).mapValues { c, v in gauges[c] ? 0 : v }
        guard gauges.contains(true) else { return counters }
        let n = b.windows - a.windows
        let levels: StreamState
        if aggregation == .last || n <= 0 {
            levels = b.running.mapValues { c, v in gauges[c] ? v : 0 }
        } else {
            levels = b.gaugeSum(gauges: gauges).increment(since: a.gaugeSum(gauges: gauges)).mapValues { c, v in
                guard gauges[c] else { return 0 }
                // Rounded to the nearest integer, halves away from zero.
                return v >= 0 ? (v + n / 2) / n : -((-v + n / 2) / n)
            }
        }
        return counters.adding(levels).mapValues { $1 }
    }
}

/// How a range shows gauge columns (in-use memory, goroutines).
public enum GaugeAggregation: String, Sendable, CaseIterable {
    /// The mean level over the range's windows (the default, as pprof users expect of a range).
    case mean
    /// The level at the end of the range (`agg=last`).
    case last
}
