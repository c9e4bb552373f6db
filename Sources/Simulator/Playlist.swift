import Foundation
import Profile
import ProfileFiles
import WireCodec

/// Turns a directory of pprof snapshots into the streams a simulated agent plays: files
/// grouped by profile type (from their sample types), each group in name order.
public enum Playlist {
    /// The profile type of a profile, as a Go service's `/debug/pprof` names it.
    public static func profileType(of p: Profile, fileName: String) -> String {
        let types = Set(p.sampleTypes.map(\.type))
        if types.contains("cpu") || p.periodType?.type == "cpu" { return "cpu" }
        if types.contains("inuse_space") || types.contains("alloc_space") {
            return fileName.hasPrefix("allocs") ? "allocs" : "heap"
        }
        if types.contains("goroutine") { return "goroutine" }
        if types.contains("contentions") || types.contains("delay") {
            return fileName.hasPrefix("block") ? "block" : "mutex"
        }
        return p.sampleTypes.first?.type ?? "profile"
    }

    /// Loads every regular file of `directory` (sorted by name) as a profile and groups
    /// them into streams. Fails naming the first file that is not a profile.
    public static func load(directory: String, service: String = "simulated") throws -> [PlayedStream] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        var groups: [String: [(name: String, bytes: Int, profile: Profile)]] = [:]
        var order: [String] = []
        for name in names {
            let path = directory + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let p = try ProfileInput.loadProfile(path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            let type = profileType(of: p, fileName: name)
            if groups[type] == nil { order.append(type) }
            groups[type, default: []].append((name, size, p))
        }
        guard !order.isEmpty else { throw PlaylistError.empty(directory) }
        return try order.map { type in
            let files = groups[type]!
            let first = files[0].profile
            let isCPU = type == "cpu"
            for f in files where f.profile.sampleTypes != first.sampleTypes {
                throw PlaylistError.mixedColumns(directory: directory, file: f.name, type: type)
            }
            let seconds = max(1, Int((Double(first.durationNanos) / 1e9).rounded()))
            return PlayedStream(name: type, info: StreamInfo(describing: first, service: service, profileType: type),
                                mode: isCPU ? .delta : .snapshot, profiles: files, period: isCPU ? .seconds(seconds) : nil)
        }
    }
}

public enum PlaylistError: Error, CustomStringConvertible {
    case empty(String)
    case mixedColumns(directory: String, file: String, type: String)

    public var description: String {
        switch self {
        case .empty(let d): return "\(d): no profiles to play"
        case .mixedColumns(let d, let f, let t): return "\(d)/\(f): its sample types differ from the other \(t) profiles"
        }
    }
}
