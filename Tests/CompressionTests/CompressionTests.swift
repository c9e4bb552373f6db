import Testing
@testable import Compression

@Suite struct GzipTests {
    @Test func roundTrip() throws {
        let text = Array("flame;wire;graph 42\n".utf8) + [UInt8](repeating: 7, count: 100_000)
        let gz = try Gzip.compress(text)
        #expect(Gzip.isGzip(gz))
        #expect(gz.count < text.count / 10)
        #expect(try Gzip.decompress(gz) == text)
    }

    @Test func truncatedIsReported() throws {
        let gz = try Gzip.compress([UInt8](repeating: 1, count: 10_000) + Array(0..<255))
        #expect(throws: CompressionError.truncated) { try Gzip.decompress(Array(gz.prefix(gz.count / 2))) }
    }

    @Test func corruptIsReported() throws {
        var gz = try Gzip.compress(Array("hello hello hello hello".utf8))
        gz[12] ^= 0xff
        gz[13] ^= 0xff
        #expect(throws: CompressionError.self) { try Gzip.decompress(gz) }
    }

    @Test func limitStopsBombs() throws {
        let gz = try Gzip.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: CompressionError.tooLarge(limit: 1000)) { try Gzip.decompress(gz, limit: 1000) }
    }

    @Test func concatenatedMembers() throws {
        let a = try Gzip.compress(Array("abc".utf8)), b = try Gzip.compress(Array("def".utf8))
        #expect(try Gzip.decompress(a + b) == Array("abcdef".utf8))
    }
}

@Suite struct SnappyTests {
    @Test func roundTripWithRealLibrary() throws {
        let input = Array(String(repeating: "runtime.mallocgc;main.handle ", count: 500).utf8)
        let c = Snappy.compress(input)
        #expect(c.count < input.count / 5)
        #expect(try Snappy.decompress(c, limit: 1 << 20) == input)
        #expect(Snappy.compress([]).count > 0)
        #expect(try Snappy.decompress(Snappy.compress([]), limit: 10) == [])
    }

    @Test func rejectsGarbageAndOversize() throws {
        #expect(throws: CompressionError.self) { try Snappy.decompress([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], limit: 1 << 20) }
        let c = Snappy.compress([UInt8](repeating: 1, count: 5000))
        #expect(throws: CompressionError.tooLarge(limit: 100)) { try Snappy.decompress(c, limit: 100) }
    }
}
