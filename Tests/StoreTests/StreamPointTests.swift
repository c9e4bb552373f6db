import TestSupport
import WireCodec
import XCTest

@testable import Store

/// `StreamPoint`'s one-walk delta and apply against the plain formulas they replace, over
/// random state sequences with counter resets, vanishing stacks and gauge columns.
final class StreamPointTests: XCTestCase {
    /// The formulas as first written: the agent's previous state made explicitly, reset
    /// found from whole-state totals, gauges added through an intermediate state.
    struct Reference {
        var running: StreamState
        var gaugeSum: StreamState
        var windows: Int64 = 0
        var offset: StreamState
        init(columns: Int) { (running, gaugeSum, offset) = (StreamState(columns: columns), StreamState(columns: columns), StreamState(columns: columns)) }
        var agentState: StreamState { offset.isEmpty ? running.mapValues { $1 } : running.increment(since: offset) }
        func delta(for s: StreamState, gauges: [Bool]) -> (StreamState, Bool) {
            let previous = agentState
            var reset = false
            if previous.columns == s.columns {
                for c in 0..<s.columns where !gauges[c] && s.total(column: c) < previous.total(column: c) { reset = true; break }
            }
            if reset { return (s.increment(since: previous.mapValues { c, v in gauges[c] ? v : 0 }), true) }
            return (s.increment(since: previous), false)
        }
        mutating func apply(delta: StreamState, reset: Bool, gauges: [Bool]) {
            if reset { offset = running.mapValues { c, v in gauges[c] ? 0 : v } }
            running = running.adding(delta)
            if gauges.contains(true) { gaugeSum = gaugeSum.adding(running.mapValues { c, v in gauges[c] ? v : 0 }) }
            windows += 1
        }
        func check(_ p: StreamPoint, gauges: [Bool], line: UInt = #line) {
            XCTAssertEqual(p.running.mapValues { $1 }, running.mapValues { $1 }, line: line)
            XCTAssertEqual(p.offset.mapValues { $1 }, offset.mapValues { $1 }, line: line)
            XCTAssertEqual(p.windows, windows, line: line)
            XCTAssertEqual(p.gaugeSum(gauges: gauges), gaugeSum.mapValues { $1 }, "G from the weighted sums is the sum of levels", line: line)
        }
    }

    /// A random state over ids 1...40: each stack present with probability 1/2, values
    /// drawn so counters mostly grow from `previous` (or start over when `restart`), and
    /// some rows all zero.
    func next(after previous: StreamState, gauges: [Bool], restart: Bool, rng: inout SplitMix64) -> StreamState {
        var ids: [EntryID] = [], cells: [Int64] = []
        for id in EntryID(1)...40 where Bool.random(using: &rng) {
            ids.append(id)
            let old = previous[id]
            for c in 0..<gauges.count {
                if Int.random(in: 0..<8, using: &rng) == 0 { cells.append(0); continue }
                let base = restart || gauges[c] ? 0 : (old?[old!.startIndex + c] ?? 0)
                cells.append(base + Int64.random(in: 0...50, using: &rng))
            }
        }
        return StreamState(columns: gauges.count, ids: ids, cells: cells)!
    }

    func testDeltaAndApplyMatchTheReferenceOverRandomSequences() {
        var rng = SplitMix64(state: 7)
        for gauges in [[false, false], [false, true, false, true], [true], [false]] {
            for _ in 0..<200 {
                var point = StreamPoint(columns: gauges.count)
                var reference = Reference(columns: gauges.count)
                var agent = StreamState(columns: gauges.count)
                for step in 0..<12 {
                    let restart = Int.random(in: 0..<6, using: &rng) == 0
                    let before = agent
                    agent = next(after: agent, gauges: gauges, restart: restart, rng: &rng)
                    let (d, r) = point.delta(for: agent, gauges: gauges)
                    let (rd, rr) = reference.delta(for: agent, gauges: gauges)
                    XCTAssertEqual(r, rr)
                    XCTAssertEqual(d, rd)
                    // Given the decoder's increment, the same delta (or nil on a reset).
                    XCTAssertEqual(point.delta(increment: agent.increment(since: before), gauges: gauges), r ? nil : d)
                    point.apply(delta: d, reset: r, gauges: gauges)
                    reference.apply(delta: rd, reset: rr, gauges: gauges)
                    reference.check(point, gauges: gauges)
                    if step == 5 {
                        // Stored and loaded again (a checkpoint): it carries on the same.
                        let c = point.compacted
                        point = StreamPoint(running: c.running, gaugeSum: c.gaugeSum(gauges: gauges), windows: c.windows, offset: c.offset)
                        reference.check(point, gauges: gauges)
                    }
                    XCTAssertEqual(point.agentState, agent.mapValues { $1 }, "the store's view of the agent is the agent's state")
                }
            }
        }
    }

    func testAddingSelectedColumnsEqualsAddingTheMaskedState() {
        var rng = SplitMix64(state: 11)
        let mask = [true, false, true]
        for _ in 0..<500 {
            let a = next(after: StreamState(columns: 3), gauges: [true, true, true], restart: true, rng: &rng)
            let b = next(after: StreamState(columns: 3), gauges: [true, true, true], restart: true, rng: &rng)
            XCTAssertEqual(a.adding(b, columns: mask), a.adding(b.mapValues { c, v in mask[c] ? v : 0 }))
        }
    }

    /// `add` (in place when the state holds the other's stacks) is `adding`, on large states
    /// with sparse increments (searched) and dense ones (merged), with and without stacks the
    /// state lacks, zero rows and a column mask.
    func testAddingInPlaceEqualsAdding() {
        var rng = SplitMix64(state: 23)
        func state(universe: Int, keep: Int) -> StreamState {
            var ids: [EntryID] = [], cells: [Int64] = []
            for id in 1...universe where Int.random(in: 0..<keep, using: &rng) == 0 {
                ids.append(EntryID(id))
                for _ in 0..<3 { cells.append(Int.random(in: 0..<4, using: &rng) == 0 ? 0 : Int64.random(in: -50...500, using: &rng)) }
            }
            return StreamState(columns: 3, ids: ids, cells: cells)!
        }
        let mask = [false, true, true]
        var inPlace = 0
        for round in 0..<300 {
            let a = state(universe: 2_000, keep: 1 + round % 3)
            var b = state(universe: 2_000, keep: [1, 2, 40, 400][round % 4])
            // Half the rounds: only stacks `a` holds, so the in-place path runs.
            if round % 5 < 3, let r = StreamState(columns: 3, ids: b.ids.filter { a.row(of: $0) != nil },
                                                   cells: b.ids.indices.filter { a.row(of: b.ids[$0]) != nil }.flatMap { Array(b.values(row: $0)) }) {
                b = r
                inPlace += 1
            }
            assertAddEqualsAdding(a, b, mask: mask)
        }
        XCTAssertGreaterThan(inPlace, 100)
    }

    /// States with the same stacks (a settled stream: the common case) take row-for-row
    /// paths in `add`, `add(_:columns:)` and `increment(since:)`; they give what the merge
    /// walks give: checked against `adding` and against a per-row reference.
    func testSameStacksRowForRowEqualsTheMergeWalk() {
        var rng = SplitMix64(state: 31)
        let mask = [true, false, true]
        for round in 0..<300 {
            var ids: [EntryID] = []
            for id in 1...(50 + round) where Int.random(in: 0..<3, using: &rng) != 0 { ids.append(EntryID(id)) }
            func cells() -> [Int64] {
                (0..<ids.count * 3).map { _ in Int.random(in: 0..<3, using: &rng) == 0 ? 0 : Int64.random(in: -20...300, using: &rng) }
            }
            let a = StreamState(columns: 3, ids: ids, cells: cells())!
            // Every other round `b` differs from `a` in a few rows only (unchanged rows leave
            // the increment).
            var bc = cells()
            if round % 2 == 0 { bc = a.cells; for k in bc.indices where Int.random(in: 0..<10, using: &rng) == 0 { bc[k] += 1 } }
            let b = StreamState(columns: 3, ids: ids, cells: bc)!
            assertAddEqualsAdding(a, b, mask: mask)
            var refIDs: [EntryID] = [], refCells: [Int64] = []
            for r in ids.indices {
                let d = (0..<3).map { a.cells[r * 3 + $0] - b.cells[r * 3 + $0] }
                if d.contains(where: { $0 != 0 }) { refIDs.append(ids[r]); refCells += d }
            }
            XCTAssertEqual(a.increment(since: b), StreamState(columns: 3, ids: refIDs, cells: refCells)!)
        }
    }

    /// `rows(of:)` (galloping over sorted ids) finds what `row(of:)` finds, for few and for
    /// many ids; `changes(since:candidates:)` given a superset of the differing stacks is
    /// what the walk over every row gives.
    func testRowsOfSortedIDsAndChangesFromCandidates() {
        var rng = SplitMix64(state: 41)
        for round in 0..<200 {
            var ids: [EntryID] = [], cells: [Int64] = []
            for id in 1...(20 + 10 * round) where Int.random(in: 0..<3, using: &rng) != 0 {
                ids.append(EntryID(id)); cells += [Int64.random(in: 0...9, using: &rng), Int64.random(in: 0...9, using: &rng)]
            }
            let a = StreamState(columns: 2, ids: ids, cells: cells)!
            let universe = ids.last.map { Int($0) + 5 } ?? 5
            let probe = (0...universe).map(EntryID.init).filter { _ in Int.random(in: 0..<[1, 4, 60][round % 3], using: &rng) == 0 }
            XCTAssertEqual(a.rows(of: probe), probe.map { a.row(of: $0) ?? -1 })
            // b: a with some rows changed, some removed, some added.
            var bIDs: [EntryID] = [], bCells: [Int64] = [], touched: [EntryID] = []
            for id in (0...universe).map(EntryID.init) {
                let r = a.row(of: id)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0 where r != nil: touched.append(id)
                case 1:
                    touched.append(id); bIDs.append(id); bCells += [Int64.random(in: 0...9, using: &rng), 0]
                default:
                    if let r { bIDs.append(id); bCells += Array(a.values(row: r)) }
                }
            }
            let b = StreamState(columns: 2, ids: bIDs, cells: bCells)!
            let full = b.changes(since: a, candidates: nil)
            XCTAssertEqual(b.changes(since: a, candidates: touched), full)
            XCTAssertEqual(StatePatch(from: b, to: a, candidates: touched), StatePatch(from: b, to: a))
            XCTAssertEqual(StatePatch(from: b, to: a, candidates: touched).applied(to: b), a)
            XCTAssertEqual(full.increment, b.increment(since: a))
            XCTAssertEqual(full.gained, b.ids(notIn: a))
        }
    }

    /// `add` and `add(_:columns:)` in place give what `adding` gives.
    func assertAddEqualsAdding(_ a: StreamState, _ b: StreamState, mask: [Bool], line: UInt = #line) {
        var x = a
        x.add(b)
        XCTAssertEqual(x, a.adding(b), line: line)
        var y = a
        y.add(b, columns: mask)
        XCTAssertEqual(y, a.adding(b, columns: mask), line: line)
    }

    func testAResetIsFoundWhenOneCounterColumnGoesDown() {
        var point = StreamPoint(columns: 2)
        let gauges = [false, true]
        let first = StreamState(columns: 2, ids: [1, 2], cells: [10, 5, 20, 7])!
        let (d1, r1) = point.delta(for: first, gauges: gauges)
        XCTAssertFalse(r1)
        point.apply(delta: d1, reset: r1, gauges: gauges)
        // Stack 1 grows by 5, stack 2 falls by 15: the counter's total went down (30 → 20).
        let second = StreamState(columns: 2, ids: [1, 2], cells: [15, 5, 5, 9])!
        let (d2, r2) = point.delta(for: second, gauges: gauges)
        XCTAssertTrue(r2)
        XCTAssertEqual(d2, StreamState(columns: 2, ids: [1, 2], cells: [15, 0, 5, 2])!, "counters start over from the new state; gauges move by their change")
        // A gauge going down is no reset.
        let third = StreamState(columns: 2, ids: [1, 2], cells: [10, 1, 20, 1])!
        XCTAssertFalse(point.delta(for: third, gauges: gauges).reset)
    }
}
