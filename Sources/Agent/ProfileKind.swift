import Foundation

/// A profile type an agent pulls from a Go service's `net/http/pprof` endpoints.
public enum ProfileKind: String, CaseIterable, Sendable, Comparable {
    case cpu, heap, allocs, goroutine, mutex, block

    /// The stream number the agent gives this type (fixed, so a stream keeps its identity
    /// across agent restarts). `allocs` is Go's heap profile under another default sample
    /// type, so it shares the heap stream and is fetched once per interval.
    public var stream: UInt32 {
        switch self {
        case .cpu: return 1
        case .heap, .allocs: return 2
        case .goroutine: return 3
        case .mutex: return 4
        case .block: return 5
        }
    }

    /// The endpoint below `/debug/pprof/` (CPU over `seconds`).
    public func path(cpuSeconds: Int) -> String {
        switch self {
        case .cpu: return "profile?seconds=\(cpuSeconds)"
        case .heap, .allocs: return "heap"
        default: return rawValue
        }
    }

    /// The stream's profile type name (`heap` for both heap and allocs).
    public var streamName: String { self == .allocs ? "heap" : rawValue }

    /// Parses `cpu,heap,…` (or `all`), with a message naming what is not a type.
    public static func parseList(_ text: String) throws(AgentError) -> [ProfileKind] {
        if text == "all" { return allCases }
        var out: [ProfileKind] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let k = ProfileKind(rawValue: name) else {
                throw .badOption("--types: '\(name)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !out.contains(k) { out.append(k) }
        }
        guard !out.isEmpty else { throw .badOption("--types: no profile type given") }
        return out
    }

    public static func < (a: Self, b: Self) -> Bool { a.stream < b.stream }
}

/// What an agent cannot do, with what to do about it.
public enum AgentError: Error, Equatable, Sendable, CustomStringConvertible {
    case badOption(String)
    /// The service did not answer (down, wrong address): the agent retries with backoff.
    case unreachable(url: String, why: String)
    /// The service answered with an HTTP error (Go answers 500 to a second concurrent CPU profile).
    case httpStatus(url: String, status: Int, body: String)
    /// The service's answer is not a pprof profile.
    case badProfile(url: String, why: String)

    public var description: String {
        switch self {
        case .badOption(let m): return m
        case .unreachable(let u, let why): return "cannot fetch \(u): \(why)"
        case .httpStatus(let u, let s, let body):
            let hint = s == 500 && u.contains("/profile") ? " (Go serves one CPU profile at a time: is someone else profiling this service?)" : ""
            return "\(u) answered HTTP \(s)\(body.isEmpty ? "" : ": \(body)")\(hint)"
        case .badProfile(let u, let why): return "\(u) did not serve a pprof profile: \(why)"
        }
    }
}
