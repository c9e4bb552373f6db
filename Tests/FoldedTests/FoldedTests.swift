import Testing
import Profile
@testable import Folded

func parseAll(_ text: String) throws(FoldedError) -> [(String, Int64, Int)] {
    var out: [(String, Int64, Int)] = []
    var lines = 0
    let bytes = Array(text.utf8)
    var failure: FoldedError?
    bytes.withUnsafeBytes { raw in
        do throws(FoldedError) {
            _ = try FoldedParser.parse(raw, lineCount: &lines) { (stack, count, line) throws(FoldedError) in
                out.append((String(decoding: stack, as: UTF8.self), count, line))
            }
        } catch { failure = error }
    }
    if let failure { throw failure }
    return out
}

@Suite struct FoldedParserTests {
    @Test func toleratesCRLFTrailingSpacesBlankLines() throws {
        let r = try parseAll("a;b;c 12\r\n\r\n  \n a;b  7  \t\r\nx 1")
        #expect(r.map(\.0) == ["a;b;c", "a;b", "x"])
        #expect(r.map(\.1) == [12, 7, 1])
        #expect(r.map(\.2) == [1, 4, 5])
    }

    @Test func framesWithSpacesAndAnnotations() throws {
        let r = try parseAll("java;Foo.bar (inlined);do_syscall_64_[k] 3\n")
        #expect(r[0].0 == "java;Foo.bar (inlined);do_syscall_64_[k]")
        #expect(FrameAnnotation.split("do_syscall_64_[k]") == ("do_syscall_64", .kernel))
        #expect(FrameAnnotation.split("Interpreter_[j]").annotation == .jit)
        #expect(FrameAnnotation.split("plain").annotation == FrameAnnotation.none)
    }

    @Test func largeValues() throws {
        let r = try parseAll("a 9223372036854775807\n")
        #expect(r[0].1 == .max)
        #expect(throws: FoldedError.badCount(line: 1, text: "9223372036854775808")) { try parseAll("a 9223372036854775808") }
        #expect(throws: FoldedError.badCount(line: 1, text: "99999999999999999999999")) { try parseAll("a 99999999999999999999999") }
    }

    @Test func errorsNameTheLine() {
        #expect(throws: FoldedError.missingCount(line: 2)) { try parseAll("a 1\na;b;c\n") }
        #expect(throws: FoldedError.badCount(line: 1, text: "1.5")) { try parseAll("a;b 1.5\n") }
        #expect(throws: FoldedError.missingCount(line: 1)) { try parseAll("a;b12\n") }
        #expect(throws: FoldedError.badCount(line: 1, text: "b12")) { try parseAll("a b12\n") }
        #expect(throws: FoldedError.badCount(line: 1, text: "-3")) { try parseAll("a -3\n") }
        #expect(throws: FoldedError.emptyStack(line: 3)) { try parseAll("a 1\n\n 42\n") }
        #expect(FoldedError.missingCount(line: 2).description == "line 2: no count after the stack (expected 'frame;frame;frame COUNT')")
    }

    @Test func chunkedParsingStopsAtLastNewline() throws {
        let bytes = Array("a 1\nb 2\nc".utf8)
        var seen: [String] = []
        var lines = 0
        let consumed = try bytes.withUnsafeBytes { raw throws(FoldedError) in
            try FoldedParser.parse(raw, isFinal: false, lineCount: &lines) { (s, _, _) throws(FoldedError) in seen.append(String(decoding: s, as: UTF8.self)) }
        }
        #expect(consumed == 8)
        #expect(lines == 2)
        #expect(seen == ["a", "b"])
    }
}

@Suite struct FoldedProfileTests {
    @Test func readerBuildsProfileAndSumsDuplicates() throws {
        let p = try FoldedReader.profile(from: Array("main;work;hash 5\nmain;work 2\nmain;work;hash 3\nmain;;idle 1\n".utf8))
        #expect(p.sampleTypes == [FoldedReader.valueType])
        #expect(p.samples.count == 3)
        #expect(p.total(sampleIndex: 0) == 11)
        #expect(p.stackRootFirst(of: p.samples[0]) == ["main", "work", "hash"])
        #expect(p.samples[0].values == [8])
        #expect(p.stackRootFirst(of: p.samples[2]) == ["main", "idle"])
    }

    @Test func writerRoundTrips() throws {
        let text = "a;b;c 3\na;b;d 4\nx 1\n"
        let p = try FoldedReader.profile(from: Array("x 1\na;b;d 4\na;b;c 3\n".utf8))
        #expect(FoldedWriter.text(p, sampleIndex: 0) == text)
    }

    @Test func writerEscapesSeparators() {
        let p = Profile(
            sampleTypes: [FoldedReader.valueType], functions: [Function(name: "a;b"), Function(name: "line\nbreak")],
            locations: [Location(lines: [Line(function: 0)]), Location(lines: [Line(function: 1)])],
            samples: [Sample(locations: [1, 0], values: [2]), Sample(locations: [0], values: [0])])
        #expect(FoldedWriter.text(p, sampleIndex: 0) == "a:b;line break 2\n")
    }

    @Test func readerRejectsBadInput() {
        #expect(throws: FoldedError.invalidUTF8(line: 2)) { try FoldedReader.profile(from: Array("a 1\n".utf8) + [0x61, 0xff, 0xfe, 0x20, 0x31]) }
        let deep = Array((String(repeating: "f;", count: 70_000) + "leaf 1\n").utf8)
        #expect(throws: FoldedError.tooDeep(line: 1, depth: 70_001)) { try FoldedReader.profile(from: deep) }
        #expect(throws: FoldedError.totalOverflow(line: 2)) { try FoldedReader.profile(from: Array("a 9223372036854775807\na 1\n".utf8)) }
    }

    @Test func emptyInputGivesEmptyProfile() throws {
        let p = try FoldedReader.profile(from: Array("\n\n".utf8))
        #expect(p.samples.isEmpty)
    }
}
