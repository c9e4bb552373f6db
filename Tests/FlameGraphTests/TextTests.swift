import Testing

@testable import FlameGraph

@Suite("Escaping and labels")
struct TextTests {
    @Test func escapesMarkupCharacters() {
        #expect(XMLText.escaped("<a & 'b' \"c\">") == "&lt;a &amp; &#39;b&#39; &quot;c&quot;&gt;")
        #expect(XMLText.escaped("plain ünïcödé 解析") == "plain ünïcödé 解析")
    }

    @Test func replacesCharactersXMLForbids() {
        let name = "a\u{01}b\u{7F}c\u{85}d\u{FFFE}e\tf\ng"
        let escaped = XMLText.escaped(name)
        #expect(escaped == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g")
        #expect(XMLText.sanitized(name[...]) == escaped)
    }

    @Test(arguments: ["", "abc", "<&>\"'", "ünï\u{01}解析🔥", String(repeating: "std::vector<int>&", count: 300)])
    func escapedCountMatchesOutput(_ s: String) {
        #expect(XMLText.escapedCount(s) == XMLText.escaped(s).utf8.count)
    }

    // With font size 10 a character is 5.9 px; 6 px go to padding.
    @Test func labelsFitTheirBox() {
        let fs = 10.0
        func width(cells: Int) -> Double { 6 + Double(cells) * 5.9 + 0.01 }
        #expect(LabelFit.label("main.handle", width: width(cells: 11), fontSize: fs) == "main.handle")
        #expect(LabelFit.label("main.handle", width: width(cells: 10), fontSize: fs) == "main.han..")
        #expect(LabelFit.label("main.handle", width: width(cells: 3), fontSize: fs) == "m..")
        #expect(LabelFit.label("main.handle", width: width(cells: 2), fontSize: fs) == nil)
        #expect(LabelFit.label("ab", width: width(cells: 2), fontSize: fs) == nil)
        #expect(LabelFit.label("abc", width: width(cells: 3), fontSize: fs) == "abc")
    }

    @Test func wideCharactersTakeTwoCells() {
        let fs = 10.0
        let w = 6 + 6 * 5.9 + 0.01  // six cells
        #expect(LabelFit.label("解析器", width: w, fontSize: fs) == "解析器")
        #expect(LabelFit.label("解析器读取", width: w, fontSize: fs) == "解析..")
        #expect(LabelFit.label("a🔥b🔥", width: w, fontSize: fs) == "a🔥b🔥")
    }

    @Test func renderedNamesAreEscapedAndCut() throws {
        let svg = try Support.render(try Support.tree(try Support.fixture("unicode.folded")))
        #expect(!svg.contains("<script>alert"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(svg.contains("operator&lt;&lt;(std::ostream&amp;, &quot;quoted&quot; &#39;single&#39;)"))
        #expect(svg.contains("ctrl\u{FFFD}char\u{FFFD}name"))
        #expect(!svg.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(svg.contains("été::déjà_vu"))
        #expect(svg.contains("解析器::读取"))
        let lint = try Support.xmllint(Array(svg.utf8))
        #expect(lint == nil || lint?.status == 0, "\(lint?.errors ?? "")")
    }

    @Test func veryLongTemplateNamesRenderInFullInTooltips() throws {
        let long = "std::map<" + (0..<200).map { "std::pair<Key\($0), std::vector<std::string>>" }.joined(separator: ", ") + ">"
        #expect(long.utf8.count > 5_000)
        let svg = try Support.render(try Support.tree("main;\(long) 10\nmain;short 10\n"))
        let frame = try #require(Support.frames(svg).first { $0.name.hasPrefix("std::map") })
        #expect(frame.name == XMLText.escaped(long))
        let label = try #require(frame.label)
        #expect(label.hasSuffix(".."))
        #expect(label.count < 110, "the label is cut to its 590 px box at write time")
        let lint = try Support.xmllint(Array(svg.utf8))
        #expect(lint == nil || lint?.status == 0)
    }

    @Test func perfAnnotationsAreNotShown() throws {
        let svg = try Support.render(try Support.tree("do_syscall_64_[k];vfs_read_[k] 5\njava;Foo.bar_[j] 5\n")) {
            $0.palette = .perf
        }
        let names = Support.frames(svg).map(\.name)
        #expect(names.contains("vfs_read"))
        #expect(names.contains("Foo.bar"))
        #expect(!svg.contains("_[k]"))
        #expect(!svg.contains("_[j]"))
    }
}
