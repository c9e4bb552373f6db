import Profile

/// Converting between folded stacks and the profile model.
public enum FoldedReader {
    /// The value type of a folded input: counts of samples.
    public static let valueType = ValueType(type: "samples", unit: "count")

    /// Parses folded stacks into a profile with one `samples/count` column.
    ///
    /// Frames become functions and one-line locations; equal stacks are summed.
    public static func profile(from bytes: [UInt8]) throws(FoldedError) -> Profile {
        var functions: [Function] = []
        var functionIndex: [String: Int] = [:]
        var sampleIndex: [[Int]: Int] = [:]
        var samples: [Sample] = []
        var lines = 0
        var frameBuffer: [Int] = []
        var failure: FoldedError?
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
          do throws(FoldedError) {
            _ = try FoldedParser.parse(raw, lineCount: &lines) { (stack, count, line) throws(FoldedError) in
                frameBuffer.removeAll(keepingCapacity: true)
                var start = 0
                var i = 0
                while i <= stack.count {
                    if i == stack.count || stack[i] == 0x3B {  // ';'
                        if i > start {
                            let slice = UnsafeRawBufferPointer(rebasing: stack[start..<i])
                            guard let name = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(line: line) }
                            let f: Int
                            if let existing = functionIndex[name] { f = existing } else {
                                f = functions.count
                                functions.append(Function(name: name))
                                functionIndex[name] = f
                            }
                            frameBuffer.append(f)
                            if frameBuffer.count > FoldedParser.maxDepth {
                                throw .tooDeep(line: line, depth: stack.split(separator: 0x3B).count)
                            }
                        }
                        start = i + 1
                    }
                    i += 1
                }
                if frameBuffer.isEmpty { throw .emptyStack(line: line) }
                // pprof order: leaf first. Locations are one per function here.
                frameBuffer.reverse()
                if let j = sampleIndex[frameBuffer] {
                    let (r, o) = samples[j].values[0].addingReportingOverflow(count)
                    if o { throw .totalOverflow(line: line) }
                    samples[j].values[0] = r
                } else {
                    sampleIndex[frameBuffer] = samples.count
                    samples.append(Sample(locations: frameBuffer, values: [count]))
                }
            }
          } catch { failure = error }
        }
        if let failure { throw failure }
        let locations = functions.indices.map { Location(lines: [Line(function: $0)]) }
        return Profile(
            sampleTypes: [valueType], defaultSampleType: valueType.type, functions: functions,
            locations: locations, samples: samples)
    }
}

/// Writing a profile as folded stacks.
public enum FoldedWriter {
    /// One line per distinct stack, `root;...;leaf VALUE`, sorted by stack, with samples of
    /// equal stacks summed and zero values left out. Samples with an empty stack (Go
    /// goroutine profiles have one) cannot be written as folded lines and are skipped, as
    /// `go tool pprof` leaves them out of its stacks. Every line of an inlined location is
    /// a frame of its own. A `;` inside a function name would split the frame, so it is
    /// written as `:`; newlines in names become spaces.
    public static func lines(_ profile: Profile, sampleIndex: Int) -> [(stack: String, value: Int64)] {
        var sums: [String: Int64] = [:]
        for sample in profile.samples {
            let v = sample.values[sampleIndex]
            if v == 0 || sample.locations.isEmpty { continue }
            let key = profile.stackRootFirst(of: sample).map(escape).joined(separator: ";")
            let (r, o) = sums[key, default: 0].addingReportingOverflow(v)
            sums[key] = o ? (v > 0 ? .max : .min) : r
        }
        return sums.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { (stack: $0.key, value: $0.value) }
    }

    /// The folded text of `profile`'s column `sampleIndex`.
    public static func text(_ profile: Profile, sampleIndex: Int) -> String {
        var out = ""
        for l in lines(profile, sampleIndex: sampleIndex) {
            out += l.stack
            out += " "
            out += String(l.value)
            out += "\n"
        }
        return out
    }

    static func escape(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 == 0x3B || $0 == 0x0A || $0 == 0x0D }) else { return name }
        return String(name.map { $0 == ";" ? ":" : ($0 == "\n" || $0 == "\r" ? " " : $0) })
    }
}

/// Perf-style annotations at the end of a frame name, as stackcollapse-perf writes them.
public enum FrameAnnotation: Sendable, Equatable {
    case none, kernel, jit, inlined, waker

    /// Splits `name` into its display name and annotation: `do_sys_open_[k]` is
    /// `do_sys_open` in the kernel.
    public static func split(_ name: Substring) -> (name: Substring, annotation: FrameAnnotation) {
        let u = name.utf8
        guard u.count > 4, u.last == UInt8(ascii: "]") else { return (name, .none) }
        let tail = name.suffix(4)
        let a: FrameAnnotation
        switch tail {
        case "_[k]": a = .kernel
        case "_[j]": a = .jit
        case "_[i]": a = .inlined
        case "_[w]": a = .waker
        default: return (name, .none)
        }
        return (name.dropLast(4), a)
    }
}
