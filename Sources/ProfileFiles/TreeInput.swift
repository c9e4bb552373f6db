import Compression
import FlameGraph
import Folded
import Pprof
import Profile

/// Feeding input files into a flame tree, streaming folded text through a fixed buffer.
///
/// Several inputs are merged into one tree. Like `Profile.merge`, all inputs must have the
/// same sample types; folded stacks count as one `samples/count` column.
public struct TreeInput {
    public var sampleIndex: SampleIndexSelector?
    public var reverse: Bool
    /// Size of the read buffer for folded input; a longer line grows it.
    public var chunkSize = 8 << 20

    private var firstTypes: [ValueType]?
    private var firstPath = ""

    public init(sampleIndex: SampleIndexSelector? = nil, reverse: Bool = false) {
        self.sampleIndex = sampleIndex
        self.reverse = reverse
    }

    /// Builds one tree from `paths` and, for a differential graph, `basePaths`.
    public func buildTree(_ paths: [String], basePaths: [String] = []) throws(FileError) -> FlameTree {
        var input = self
        return try input.build(paths, basePaths: basePaths)
    }

    private mutating func build(_ paths: [String], basePaths: [String]) throws(FileError) -> FlameTree {
        var builder = FlameTreeBuilder(valueType: FoldedReader.valueType, reverse: reverse, differential: !basePaths.isEmpty)
        for p in paths { try add(p, to: &builder, side: .primary) }
        for p in basePaths { try add(p, to: &builder, side: .base) }
        return builder.build()
    }

    /// Adds one file to `builder`.
    public mutating func add(_ path: String, to builder: inout FlameTreeBuilder, side: FlameTreeBuilder.Side) throws(FileError) {
        let fd = try RawFile.openForReading(path)
        defer { if fd != 0 { close(fd) } }
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var filled = try RawFile.readFully(fd, buffer, path: path)
        if filled == 0 { throw FileError(path: path, reason: .empty) }
        let head = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        if Gzip.isGzip(head) || InputFormat.detect(head) == .pprof {
            // Whole-file formats: read the rest and decode.
            var all = Array(head)
            if filled == buffer.count {
                let rest = try RawFile.readAllFrom(fd, path: path)
                all.append(contentsOf: rest)
            }
            let profile = try ProfileInput.decode(all, path: path)
            try add(profile, path: path, to: &builder, side: side)
            return
        }
        try checkTypes([FoldedReader.valueType], path: path)
        builder.valueType = FoldedReader.valueType
        // Folded text of real and synthetic profiles holds a new tree node every 60-70
        // bytes or more; reserving for that avoids repeated growth of large trees.
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 64 << 20 {
            builder.reserveCapacity(nodes: Int(st.st_size) / 64)
        }
        // Stream folded text: parse complete lines, carry the partial last line over.
        var line = 1
        var eof = filled < buffer.count
        while true {
            let view = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
            let (consumed, lines): (Int, Int)
            do { (consumed, lines) = try builder.addFolded(bytes: view, firstLine: line, isFinal: eof, side: side) } catch {
                throw FileError(path: path, reason: .folded(error))
            }
            line += lines
            if eof { break }
            let remaining = filled - consumed
            if consumed == 0 && remaining == buffer.count {
                // One line longer than the buffer: grow it.
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = bigger
            } else if remaining > 0 {
                memmove(buffer.baseAddress!, buffer.baseAddress! + consumed, remaining)
            }
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[remaining...])
            let got = try RawFile.readFully(fd, space, path: path)
            filled = remaining + got
            eof = got < space.count
        }
    }

    /// Adds an already decoded profile.
    public mutating func add(_ profile: Profile, path: String, to builder: inout FlameTreeBuilder, side: FlameTreeBuilder.Side) throws(FileError) {
        try checkTypes(profile.sampleTypes, path: path)
        let index: Int
        do { index = try profile.sampleIndex(sampleIndex) } catch { throw FileError(path: path, reason: .profile(error)) }
        builder.valueType = profile.sampleTypes[index]
        do { try builder.add(profile, sampleIndex: index, side: side) } catch {
            throw FileError(path: path, reason: .flameGraph(error))
        }
    }

    private mutating func checkTypes(_ types: [ValueType], path: String) throws(FileError) {
        if let first = firstTypes {
            if first != types {
                throw FileError(path: path, reason: .profile(.incompatibleSampleTypes(first: first, other: types, otherIndex: 1)))
            }
        } else {
            firstTypes = types
            firstPath = path
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
