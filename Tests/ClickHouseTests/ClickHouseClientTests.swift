import Foundation
import Testing

@testable import ClickHouse

@Suite struct ClickHouseEndpointTests {
    @Test func addressesParse() throws {
        let a = try ClickHouseEndpoint(parsing: "clickhouse+http://db.example:9123/profiles")
        #expect(a.host == "db.example" && a.port == 9123 && a.database == "profiles")
        let b = try ClickHouseEndpoint(parsing: "clickhouse+http://127.0.0.1")
        #expect(b.port == 8123 && b.database == "flamewire" && b.user == "default" && b.password.isEmpty)
        let c = try ClickHouseEndpoint(parsing: "http://[::1]:8124/x_1/")
        #expect(c.host == "::1" && c.port == 8124 && c.database == "x_1")
        #expect(c.description == "clickhouse+http://[::1]:8124/x_1")
    }

    @Test(arguments: ["clickhouse+http://u:p@host/db", "https://host/db", "clickhouse+http://host:99999/db", "clickhouse+http://host/db;drop",
                      "clickhouse+http://:8123/db", "sqlite:///tmp/x"])
    func badAddressesSayWhy(_ text: String) {
        #expect(throws: ClickHouseError.self) { try ClickHouseEndpoint(parsing: text) }
        do { _ = try ClickHouseEndpoint(parsing: text) } catch {
            #expect(error.description.contains(text), "the message names what was given")
            #expect(!error.isTransient)
        }
    }

    @Test func credentialsComeFromAFileOrTheEnvironment() throws {
        let e = try ClickHouseEndpoint(parsing: "clickhouse+http://127.0.0.1:8123/db")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ch-cred-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "writer:s3cret:with:colons\n".write(toFile: file, atomically: true, encoding: .utf8)
        let f = try e.withCredentials(file: file, environment: ["FLAMEWIRE_CLICKHOUSE_USER": "ignored"])
        #expect(f.user == "writer" && f.password == "s3cret:with:colons")
        try "onlypassword\n".write(toFile: file, atomically: true, encoding: .utf8)
        let g = try e.withCredentials(file: file, environment: [:])
        #expect(g.user == "default" && g.password == "onlypassword")
        let h = try e.withCredentials(file: nil, environment: ["FLAMEWIRE_CLICKHOUSE_USER": "reader", "FLAMEWIRE_CLICKHOUSE_PASSWORD": "pw"])
        #expect(h.user == "reader" && h.password == "pw")
        #expect(throws: ClickHouseError.self) { try e.withCredentials(file: file + ".missing", environment: [:]) }
    }
}

@Suite struct RowBinaryTests {
    @Test func valuesRoundTrip() throws {
        var w = RowBinaryWriter()
        w.uint8(7); w.uint32(0xdead_beef); w.uint64(.max); w.int64(-5); w.string("héllo"); w.string([0, 255, 1]); w.int64Array([1, -2, .min, .max])
        w.length(300)
        var r = RowBinaryReader(w.bytes)
        #expect(try r.uint8() == 7)
        #expect(try r.uint32() == 0xdead_beef)
        #expect(try r.uint64() == .max)
        #expect(try r.int64() == -5)
        #expect(try r.string() == "héllo")
        #expect(try r.bytesValue() == [0, 255, 1])
        #expect(try r.int64Array() == [1, -2, .min, .max])
        #expect(Array(w.bytes.suffix(2)) == [0xac, 0x02])  // LEB128 of 300
    }

    @Test func truncatedAnswersAreErrorsNotCrashes() {
        var w = RowBinaryWriter()
        w.string("abcdef")
        w.int64Array([1, 2, 3])
        for cut in 0..<w.bytes.count {
            var r = RowBinaryReader(Array(w.bytes.prefix(cut)))
            #expect(throws: ClickHouseError.self) {
                _ = try r.string()
                _ = try r.int64Array()
            }
        }
        // A huge length does not allocate.
        var r = RowBinaryReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        #expect(throws: ClickHouseError.self) { _ = try r.int64Array() }
    }
}

@Suite struct ClickHouseErrorTests {
    @Test func serverConditionsAreTransientRequestErrorsAreNot() {
        #expect(ClickHouseError.connect("h:1", "refused").isTransient)
        #expect(ClickHouseError.io("h:1", "timed out").isTransient)
        #expect(ClickHouseError.server(status: 503, "").isTransient)
        #expect(ClickHouseError.server(status: 500, "Code: 241, e.displayText() = DB::Exception: Memory limit exceeded").isTransient)
        #expect(ClickHouseError.server(status: 500, "Code: 252, e.displayText() = DB::Exception: Too many parts").isTransient)
        #expect(!ClickHouseError.server(status: 500, "Code: 33, e.displayText() = DB::Exception: Cannot read all data").isTransient)
        #expect(!ClickHouseError.server(status: 400, "Code: 62, e.displayText() = DB::Exception: Syntax error").isTransient)
        #expect(ClickHouseError.server(status: 401, "Code: 192, Unknown user").description.contains("check the user and password"))
    }
}

/// Against the ClickHouse server the test command starts (skipped without one; CI has it).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"] != nil))
struct ClickHouseServerTests {
    var client: ClickHouseClient {
        get throws {
            var e = try ClickHouseEndpoint(parsing: ProcessInfo.processInfo.environment["FLAMEWIRE_CLICKHOUSE_URL"]!)
            e.database = "system"
            return ClickHouseClient(e)
        }
    }

    @Test func aQueryAnswersInRowBinaryOverOneKeptConnection() throws {
        let c = try client
        #expect(c.ping())
        for i in 0..<20 {
            var r = try c.select("SELECT toUInt64(\(i)), toInt64(-\(i)), 'x\(i)', [toInt64(1), \(i)] FROM system.one")
            #expect(try r.uint64() == UInt64(i))
            #expect(try r.int64() == -Int64(i))
            #expect(try r.string() == "x\(i)")
            #expect(try r.int64Array() == [1, Int64(i)])
            #expect(r.atEnd)
        }
        // A large answer arrives whole (chunked on the wire).
        var r = try c.select("SELECT number FROM system.numbers LIMIT 200000")
        var n: UInt64 = 0
        while !r.atEnd { #expect(try r.uint64() == n); n += 1 }
        #expect(n == 200_000)
    }

    @Test func aBadStatementIsAServerErrorWithItsText() throws {
        let c = try client
        do throws(ClickHouseError) {
            _ = try c.select("SELEC 1")
            Issue.record("a syntax error was accepted")
        } catch {
            guard case .server(let status, let text) = error else { Issue.record("\(error)"); return }
            #expect(status == 400)
            #expect(text.contains("Syntax error"))
            #expect(!error.isTransient)
        }
    }

    @Test func nothingListeningIsATransientConnectError() throws {
        // Port 1: nothing listens there (loopback only).
        let c = ClickHouseClient(ClickHouseEndpoint(host: "127.0.0.1", port: 1), timeoutSeconds: 2)
        #expect(!c.ping())
        do throws(ClickHouseError) { try c.execute("SELECT 1"); Issue.record("connected to port 1") } catch {
            guard case .connect = error else { Issue.record("\(error)"); return }
            #expect(error.isTransient)
        }
    }
}
