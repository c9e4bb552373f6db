import Foundation

/// The output of `go tool pprof -raw`, parsed into folded stacks.
///
/// `-raw` prints the profile as Go decoded it, with exact values:
/// ```
/// Samples:
/// alloc_objects/count alloc_space/bytes[dflt] ...
///          2     705084: 1 2 3 4          values, then location ids leaf first
///                 bytes:[327680]           labels (ignored here)
/// Locations
///      1: 0x471d68 M=1 sync.(*Mutex).Unlock /usr/lib/go/src/sync/mutex.go:223 s=0
///              runtime.mallocgc /usr/lib/go/src/runtime/malloc.go:991 s=0   (caller it was inlined into)
///      5: 0x4a5b                          (no lines: shown as its address)
/// Mappings
/// ```
struct GoRawProfile {
    var sampleTypes: [String] = []
    var samples: [(values: [Int64], locations: [Int])] = []
    /// Frame names per location id, innermost inlined line first.
    var locations: [Int: [String]] = [:]

    init(parsing text: String) throws {
        enum Section { case header, sampleTypes, samples, locations, mappings }
        var section = Section.header
        var current: Int?
        for lineSub in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(lineSub)
            switch section {
            case .header:
                if line == "Samples:" { section = .sampleTypes }
            case .sampleTypes:
                sampleTypes = line.split(separator: " ").map { t in
                    String(t.hasSuffix("[dflt]") ? t.dropLast(6) : t)
                }
                section = .samples
            case .samples:
                if line == "Locations" { section = .locations; continue }
                if let sample = Self.sample(line, width: sampleTypes.count) { samples.append(sample) }
            case .locations:
                if line == "Mappings" { section = .mappings; continue }
                if let (id, frame) = try Self.locationHeader(line) {
                    current = id
                    locations[id] = [frame]
                } else if line.hasPrefix("             "), let id = current {
                    locations[id, default: []].append(try Self.frameName(String(line.dropFirst(13))))
                }
            case .mappings:
                break
            }
        }
        guard section == .mappings else { throw TestFileError("go tool pprof -raw output ended early (in \(section))") }
    }

    /// `values: ids`, or nil for a label line. Byte-level, because it runs for every
    /// sample of every profile (in debug builds, where String APIs are slow).
    static func sample(_ line: String, width: Int) -> (values: [Int64], locations: [Int])? {
        var values: [Int64] = []
        var ids: [Int] = []
        var afterColon = false
        var current: Int64 = 0, negative = false, inNumber = false
        func finish() {
            guard inNumber else { return }
            let v = negative ? -current : current
            if afterColon { ids.append(Int(v)) } else { values.append(v) }
            current = 0; negative = false; inNumber = false
        }
        for byte in line.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                current = current * 10 + Int64(byte - UInt8(ascii: "0"))
                inNumber = true
            case UInt8(ascii: "-") where !inNumber && !afterColon:
                negative = true
            case UInt8(ascii: " "):
                finish()
            case UInt8(ascii: ":") where !afterColon:
                finish()
                afterColon = true
            default:
                return nil  // a label line such as `bytes:[327680]`
            }
        }
        finish()
        guard afterColon, values.count == width else { return nil }
        return (values, ids)
    }

    /// `ID: 0xADDR [M=n] [[F]] [first line]`, or nil when `line` is not a location header.
    static func locationHeader(_ line: String) throws -> (Int, String)? {
        let trimmed = line.drop { $0 == " " }
        guard let colon = trimmed.firstIndex(of: ":"), let id = Int(trimmed[..<colon]) else { return nil }
        var rest = trimmed[trimmed.index(after: colon)...].dropFirst()  // the space after ':'
        guard rest.hasPrefix("0x") else { return nil }
        let address = rest.prefix { $0 != " " }
        rest = rest.dropFirst(address.count).drop { $0 == " " }
        if rest.hasPrefix("M=") { rest = rest.drop { $0 != " " }.drop { $0 == " " } }
        if rest.hasPrefix("[F] ") { rest = rest.dropFirst(4) }
        if rest.isEmpty { return (id, String(address)) }
        return (id, try frameName(String(rest)))
    }

    /// The function name of `NAME FILE:LINE s=START[(SYSTEM_NAME)]`, or `??` (no function).
    static func frameName(_ s: String) throws -> String {
        if s == "??" { return s }
        guard let sRange = s.range(of: " s=", options: .backwards),
              let colon = s[..<sRange.lowerBound].lastIndex(of: ":"),
              let space = s[..<colon].lastIndex(of: " ")
        else { throw TestFileError("cannot parse a line of go tool pprof -raw: \(s)") }
        return String(s[..<space])
    }

    /// Folded stacks of every column, as `FoldedWriter.lines` writes them: root first,
    /// `;` in names written as `:`, equal stacks summed, zeros dropped, sorted by stack.
    func folded() throws -> [[String]] {
        var escaped: [Int: [String]] = [:]
        for (id, names) in locations {
            escaped[id] = names.map { $0.contains(";") ? $0.replacingOccurrences(of: ";", with: ":") : $0 }
        }
        var sums = [[String: Int64]](repeating: [:], count: sampleTypes.count)
        for s in samples {
            var frames: [String] = []
            for id in s.locations {
                guard let names = escaped[id] else { throw TestFileError("-raw sample refers to unknown location \(id)") }
                frames += names
            }
            let key = frames.reversed().joined(separator: ";")
            for (i, v) in s.values.enumerated() { sums[i][key, default: 0] += v }
        }
        return sums.map { column in
            column.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        }
    }

    /// The exact total of column `index`.
    func total(sampleIndex index: Int) -> Int64 {
        samples.reduce(0) { $0 + $1.values[index] }
    }
}
