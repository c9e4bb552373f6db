import Foundation
import Testing
import Compression
import FlameGraph
import Folded
import Profile
@testable import ProfileFiles

func tempFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flamewire-tests-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

func nodePaths(_ t: FlameTree) -> [String: Int64] {
    var path = [String](repeating: "", count: t.nodeCount)
    var out: [String: Int64] = [:]
    for i in 1..<t.nodeCount {
        let p = Int(t.parent[i])
        path[i] = p == 0 ? t.name(of: i) : path[p] + ";" + t.name(of: i)
        out[path[i]] = t.value[i]
    }
    return out
}

@Suite struct DetectionTests {
    @Test func textIsFoldedBinaryIsPprof() {
        #expect(Array("a;b 1\r\n\tc 2\n".utf8).withUnsafeBytes { InputFormat.detect($0) } == .folded)
        #expect([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02].withUnsafeBytes { InputFormat.detect($0) } == .pprof)
        #expect(Array("naïve;日本 3\n".utf8).withUnsafeBytes { InputFormat.detect($0) } == .folded)
    }
}

@Suite struct TreeInputTests {
    @Test func streamingAcrossChunkBoundariesMatchesWholeInput() throws {
        var text = ""
        for i in 0..<3000 { text += "root;mid\(i % 17);leaf\(i % 101)\(String(repeating: "z", count: i % 50)) \(i + 1)\r\n" }
        text += String(repeating: "verylongframe;", count: 300) + "end 5"  // longer than the chunk, no final newline
        let path = try tempFile("stream.folded", Array(text.utf8))
        var small = TreeInput()
        small.chunkSize = 64
        let a = try small.buildTree([path])
        let b = try TreeInput().buildTree([path])
        #expect(nodePaths(a) == nodePaths(b))
        #expect(a.total == (1...3000).reduce(0, +) + 5)
    }

    @Test func gzipFoldedAndErrorsNameFileAndLine() throws {
        let gz = try tempFile("s.folded.gz", try Gzip.compress(Array("a;b 3\na;c 4\n".utf8)))
        let t = try TreeInput().buildTree([gz])
        #expect(t.total == 7)
        let bad = try tempFile("bad.folded", Array("a;b 3\na;c\n".utf8))
        do {
            _ = try TreeInput().buildTree([bad])
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error) == "\(bad): line 2: no count after the stack (expected 'frame;frame;frame COUNT')")
        }
    }

    @Test func fileProblemsAreOneReadableLine() throws {
        #expect(throws: FileError.self) { try TreeInput().buildTree(["/nonexistent/x.pb.gz"]) }
        do { _ = try TreeInput().buildTree(["/nonexistent/x.pb.gz"]) } catch {
            #expect(String(describing: error) == "/nonexistent/x.pb.gz: cannot open: No such file or directory")
        }
        do { _ = try ProfileInput.loadProfile(NSTemporaryDirectory()) } catch {
            #expect(String(describing: error).hasSuffix("is a directory, not a profile"))
        }
        let empty = try tempFile("empty", [])
        do { _ = try ProfileInput.loadProfile(empty) } catch {
            #expect(String(describing: error).contains("the file is empty"))
        }
        let truncated = try Gzip.compress(Array(String(repeating: "a;b;c 1\n", count: 1000).utf8) + (0..<200).map { UInt8($0) })
        let tpath = try tempFile("trunc.pb.gz", Array(truncated.prefix(truncated.count / 2)))
        do { _ = try ProfileInput.loadProfile(tpath) } catch {
            #expect(String(describing: error) == "\(tpath): gzip data is truncated (the file ends before the compressed stream does)")
        }
    }

    @Test func foldedInputsMergeAndDiff() throws {
        let a = try tempFile("a.folded", Array("x;y 2\nx;z 1\n".utf8))
        let b = try tempFile("b.folded", Array("x;y 5\n".utf8))
        let merged = try TreeInput().buildTree([a, b])
        #expect(nodePaths(merged) == ["x": 8, "x;y": 7, "x;z": 1])
        let diff = try TreeInput().buildTree([a], basePaths: [b])
        #expect(diff.isDifferential && diff.total == 3 && diff.baseTotal == 5)
        let m = try ProfileInput.loadMerged([a, b])
        #expect(FoldedWriter.text(m, sampleIndex: 0) == "x;y 7\nx;z 1\n")
    }

    @Test func writeIsAtomicAndReportsErrors() throws {
        let path = try tempFile("out.txt", [])
        try RawFile.write(Array("hello".utf8), to: path)
        #expect(try RawFile.readAll(path) == Array("hello".utf8))
        #expect(throws: FileError.self) { try RawFile.write([1], to: "/nonexistent-dir/out.svg") }
    }
}
