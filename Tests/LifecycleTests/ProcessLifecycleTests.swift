import Lifecycle
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// `ProcessLifecycle.run`: services run until `stopAfter` or until one of them ends, and
/// each is then shut down gracefully (it finishes its own work) before `run` returns.
@Suite struct ProcessLifecycleTests {
    /// Records what a service saw: that it started, and whether it was asked to stop
    /// gracefully (not cancelled) before it returned.
    final class Probe: Service, Sendable {
        let started = Mutex(false)
        let stoppedGracefully = Mutex(false)
        func run() async throws {
            started.withLock { $0 = true }
            try? await gracefulShutdown()
            stoppedGracefully.withLock { $0 = !Task.isCancelled }
        }
    }

    /// Ends by itself after a while: as `--folded -` does when its input closes.
    struct EndsAfter: Service {
        let duration: Duration
        func run() async throws { try await Task.sleep(for: duration) }
    }

    @Test func stopAfterShutsTheServicesDownGracefully() async throws {
        let probe = Probe()
        let began = ContinuousClock.now
        try await ProcessLifecycle.run([probe], stopAfter: .milliseconds(200), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(probe.started.withLock { $0 } && probe.stoppedGracefully.withLock { $0 })
        #expect(ContinuousClock.now - began >= .milliseconds(200))
    }

    @Test func aServiceThatEndsStopsTheOthersGracefully() async throws {
        let probe = Probe()
        try await ProcessLifecycle.run([probe, EndsAfter(duration: .milliseconds(100))], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(probe.stoppedGracefully.withLock { $0 })
    }

    @Test func untilShutdownLastsUntilStopAfter() async throws {
        let began = ContinuousClock.now
        try await ProcessLifecycle.run([UntilShutdown()], stopAfter: .milliseconds(150), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(ContinuousClock.now - began >= .milliseconds(150))
    }
}
