import Foundation
import Collector
import Profile
import Store
import WireCodec

/// Which streams a request names and over what time: `service=`, `type=` (required),
/// `labels=k=v,k=v` (every one must match), `sample=` (a sample type name or index for
/// graphs and folded output), `from=` and `to=` (window end times; default: everything
/// stored), `agg=mean|last` (how gauges such as in-use memory show over the range: their
/// mean, the default, or their level at its end) and `diff=FROM,TO` (a baseline range
/// for a differential flame graph: red grew, blue shrank).
public struct StreamQuery: Sendable, Equatable {
    public var service: String?
    public var type: String
    public var labels: [String: String]
    public var sample: SampleIndexSelector?
    public var range: TimeRange
    public var aggregation: GaugeAggregation
    public var diff: TimeRange?

    /// Reads the query parameters (`get` returns one decoded value); throws a message for a 400.
    /// `now` (ns since 1970) anchors relative times such as `now-15m`.
    public init(now: Int64 = Int64(Date().timeIntervalSince1970 * 1e9), _ get: (String) -> String?) throws(QueryError) {
        guard let type = get("type"), !type.isEmpty else { throw .missing("type", "give type=cpu, heap, goroutine, mutex or block") }
        self.type = type
        service = get("service").flatMap { $0.isEmpty ? nil : $0 }
        var labels: [String: String] = [:]
        if let text = get("labels") {
            for item in text.split(separator: ",") where !item.isEmpty {
                let kv = item.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, !kv[0].isEmpty else { throw .bad("labels", "'\(item)' is not k=v") }
                labels[String(kv[0])] = String(kv[1])
            }
        }
        self.labels = labels
        sample = get("sample").flatMap { $0.isEmpty ? nil : SampleIndexSelector(parsing: $0) }
        range = try TimeParameter.range(from: get("from"), to: get("to"), now: now)
        switch get("agg") {
        case nil, "": aggregation = .mean
        case let a?:
            guard let g = GaugeAggregation(rawValue: a) else { throw .bad("agg", "'\(a)' is not mean or last") }
            aggregation = g
        }
        if let d = get("diff"), !d.isEmpty {
            let parts = d.split(separator: ",", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .bad("diff", "'\(d)' is not FROM,TO (the baseline range, e.g. diff=-2h,-1h)") }
            diff = try TimeParameter.range(from: parts[0], to: parts[1], now: now, name: ("diff", "diff"))
        } else { diff = nil }
    }

    /// Whether the query names a stream of this info.
    public func matches(_ info: StreamInfo) -> Bool {
        info.profileType == type && (service == nil || info.service == service) && labels.allSatisfy { info.labels[$0.key] == $0.value }
    }

    /// The streams this query names.
    public func matching(_ streams: [CollectedStream]) -> [CollectedStream] { streams.filter { matches($0.info) } }

    /// The query's streams merged into one profile (every agent's and label set's), or why not.
    public func merged(_ streams: [CollectedStream]) throws(QueryError) -> Profile {
        let chosen = matching(streams)
        guard !chosen.isEmpty else {
            throw .noStream("no stream with type=\(type)\(service.map { " service=\($0)" } ?? "")\(labels.isEmpty ? "" : " labels=\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))")")
        }
        if chosen.count == 1 { return chosen[0].profile }
        do { return try Profile.merge(chosen.map(\.profile)) } catch {
            throw .bad("type", "the matching streams cannot be merged: \(error)")
        }
    }

    /// The sample column to draw, or why it does not exist.
    public func sampleIndex(in p: Profile) throws(QueryError) -> Int {
        do { return try p.sampleIndex(sample) } catch { throw .bad("sample", "\(error)") }
    }
}

/// Why a request's query cannot be answered: 400 (`missing`, `bad`) or 404 (`noStream`).
public enum QueryError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(String, String)
    case bad(String, String)
    case noStream(String)

    public var description: String {
        switch self {
        case .missing(let p, let hint): return "missing query parameter \(p): \(hint)"
        case .bad(let p, let why): return "bad \(p): \(why)"
        case .noStream(let why): return why
        }
    }
}
