import Profile

extension Palette {
    /// The palette that suits a value type when the user names none: `mem` for bytes and
    /// objects, `io` for contention and delay, `hot` for CPU and everything else.
    public static func `default`(for type: ValueType) -> Palette {
        switch UnitFormatter.kind(of: type) {
        case .bytes, .kilobytes, .megabytes: return .mem
        case .count(let noun) where noun == "objects": return .mem
        case .count(let noun) where noun == "contentions": return .io
        default:
            if type.type == "delay" { return .io }
            return .hot
        }
    }
}
