import EventLog
import Logging
import Synchronization
import Testing

/// One line per event, the level named unless it is info, metadata sorted, levels below
/// the logger's dropped, and `--log-level` words read.
@Suite struct LineLogHandlerTests {
    final class Sink: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ s: String) { lines.withLock { $0.append(s) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func eachEventIsOneLineNamingItsLevel() {
        let sink = Sink()
        var logger = Logger.lines("flamewire agent", level: .info) { sink.add($0) }
        logger.info("cpu,heap from http://127.0.0.1:6060/debug/pprof to 127.0.0.1:7000")
        logger.warning("heap: connection refused; retrying", metadata: ["kind": "heap", "attempt": "1"])
        logger.debug("not shown at info")
        logger.error("line one\nline two")
        logger[metadataKey: "agent"] = "abc"
        logger.notice("the service answers again")
        #expect(sink.all == [
            "flamewire agent: cpu,heap from http://127.0.0.1:6060/debug/pprof to 127.0.0.1:7000",
            "flamewire agent: warning: heap: connection refused; retrying [attempt=1 kind=heap]",
            "flamewire agent: error: line one\\nline two",
            "flamewire agent: notice: the service answers again [agent=abc]",
        ])
    }

    @Test func theLevelFilters() {
        let sink = Sink()
        let logger = Logger.lines("x", level: .warning) { sink.add($0) }
        logger.info("no")
        logger.notice("no")
        logger.warning("yes")
        logger.critical("yes")
        #expect(sink.all == ["x: warning: yes", "x: critical: yes"])
        let trace = Logger.lines("y", level: .trace) { sink.add($0) }
        trace.trace("t")
        #expect(sink.all.last == "y: trace: t")
        Logger.silent.critical("dropped")
        #expect(sink.all.count == 3)
    }

    @Test func levelWords() {
        #expect(Logger.level(parsing: "debug") == .debug)
        #expect(Logger.level(parsing: "WARNING") == .warning)
        #expect(Logger.level(parsing: "verbose") == nil)
        #expect(Logger.level(parsing: "") == nil)
    }
}
