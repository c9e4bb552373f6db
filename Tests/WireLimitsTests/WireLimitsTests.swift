import Testing
import Foundation
import WireLimits

/// The constants must match SPEC.md §2's table, which a second implementer reads.
@Suite struct WireLimitsTests {
    static let spec: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/SPEC.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The value column of the table row whose name is `name`.
    func row(_ cell: String) -> String? {
        for line in Self.spec.split(separator: "\n") where line.hasPrefix("| \(cell) |") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.count > 2 ? cells[2] : nil
        }
        return nil
    }

    func number(_ s: String?) -> Int? {
        guard let s else { return nil }
        let digits = s.prefix { $0.isNumber || $0 == "," }.filter { $0 != "," }
        var v = Int(digits)
        if s.contains("MiB") { v = v.map { $0 << 20 } }
        return v
    }

    @Test func specTableMatches() {
        #expect(!Self.spec.isEmpty)
        #expect(number(row("`VERSION`")) == Int(WireLimits.version))
        #expect(number(row("`HEADER_LEN`")) == WireLimits.dataHeaderLength)
        #expect(number(row("`TAG_LEN`")) == WireLimits.tagLength)
        #expect(number(row("`MAX_SOURCE_SYMBOLS`")) == WireLimits.maxSourceSymbols)
        #expect(number(row("`MAX_SYMBOL_INDEX`")) == WireLimits.maxSymbols - 1)
        #expect(number(row("`MAX_BLOCKS`")) == WireLimits.maxBlocks)
        #expect(number(row("`RING_SIZE`")) == WireLimits.ringSize)
        #expect(number(row("`MAX_PAYLOAD`")) == WireLimits.maxPayload)
        #expect(number(row("`MAX_DEPTH`")) == WireLimits.maxDepth)
        #expect(number(row("`MAX_COLUMNS`")) == WireLimits.maxColumns)
        #expect(number(row("`MAX_STATE_VALUES`")) == WireLimits.maxStateValues)
        #expect(number(row("`MAX_WINDOW_FRAMES`")) == WireLimits.maxWindowFrames)
        #expect(number(row("`MAX_DATAGRAM` default")) == WireLimits.defaultMaxDatagram)
    }
}
