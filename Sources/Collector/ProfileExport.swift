import FlameGraph
import Foundation
import Keys
import Noise
import Profile
import ProfileFiles

/// Writes collected streams as files: `NAME.pb.gz` (gzip pprof, for `go tool pprof`) and
/// `NAME.svg` (an interactive flame graph), NAME being service, profile type, labels and
/// the agent key's first characters.
public enum ProfileExport {
    /// A file-name-safe name for `s`.
    public static func name(_ s: CollectedStream) -> String {
        var parts = [s.info.service, s.info.profileType]
        parts += s.info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        parts.append(String(s.agent.prefix(8)))
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.")
        return parts.joined(separator: "-").map { allowed.contains($0) ? $0 : "_" }.reduce(into: "") { $0.append($1) }
    }

    /// Writes every stream to `directory` (created if missing); returns the paths written.
    public static func write(_ streams: [CollectedStream], to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for s in streams {
            let base = (directory as NSString).appendingPathComponent(name(s))
            let pprof = base + ".pb.gz"
            try RawFile.write(try PprofOutput.gzip(s.profile, path: pprof), to: pprof)
            written.append(pprof)
            let tree = try TreeInput().buildTree([pprof])
            var options = FlameGraphOptions()
            options.title = "\(s.info.service) \(s.info.profileType)"
            options.subtitle = "\(s.windows) windows received over FlameWire and stored"
            options.palette = Palette.default(for: tree.valueType)
            let svg = base + ".svg"
            try RawFile.write(try FlameGraphSVG.render(tree, options: options), to: svg)
            written.append(svg)
        }
        return written
    }
}
