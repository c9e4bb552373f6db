import Logging
import ServiceLifecycle

/// How a long-running `flamewire` command lives and stops (swift-service-lifecycle): its
/// services run in one `ServiceGroup` until SIGTERM or SIGINT, or until `stopAfter`, then
/// shut down gracefully: each service finishes what it holds (the collector's last store
/// drain, the agent's loops) before the command reports and exits 0.
public enum ProcessLifecycle {
    /// Runs `services` until a signal, `stopAfter` or the end of the first service that
    /// returns, then shuts the others down gracefully. Services start in order and stop in
    /// reverse order.
    public static func run(_ services: [any Service], stopAfter: Duration? = nil, logger: Logger) async throws {
        var configured = services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
        if let stopAfter {
            configured.append(.init(service: StopAfter(stopAfter), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let config = ServiceGroupConfiguration(services: configured, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await ServiceGroup(configuration: config).run()
    }
}

/// A service that ends after a fixed time, or earlier at a graceful shutdown: with
/// `.gracefullyShutdownGroup` it is `--duration`.
public struct StopAfter: Service {
    public let duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}

/// A service that does nothing until the group shuts down: for a command whose work runs
/// elsewhere (the relay's event loop) and only needs to live until a signal or `stopAfter`.
public struct UntilShutdown: Service {
    public init() {}

    public func run() async throws {
        try? await gracefulShutdown()
    }
}
