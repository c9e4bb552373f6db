import ServiceLifecycle
import UnixSignals

/// `flamewire collect` as a service: the store drain, retention, the periodic export of
/// streams and the allow-list reload on SIGHUP run until the process shuts down
/// gracefully (SIGTERM, SIGINT, `--duration`); the owner then runs the last drain (so
/// everything decoded is stored and reported) and closes the collector.
public struct CollectorService: Service {
    public let collector: CollectorRuntime
    /// Prune what is older than this (nil: keep everything).
    public var retention: Duration?
    /// Called every `exportEvery` (`--out`: rewrite the streams' files).
    public var export: (@Sendable () async -> Void)?
    public var exportEvery: Duration = .seconds(10)
    /// Called at each SIGHUP (`--allow-file`: re-read the allow list).
    public var reload: (@Sendable () async -> Void)?

    public init(_ collector: CollectorRuntime) { self.collector = collector }

    public func run() async throws {
        let collector = self.collector, retention = self.retention, export = self.export, every = exportEvery, reload = self.reload
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await collector.run() }
                if let retention {
                    group.addTask {
                        // Every tenth of the retention, at most hourly, at least every 10 s.
                        let period = max(Duration.seconds(10), min(Duration.seconds(3600), retention / 10))
                        while !Task.isCancelled {
                            await collector.prune(olderThan: retention)
                            try? await Task.sleep(for: period)
                        }
                    }
                }
                if let export {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: every)
                            if Task.isCancelled { break }
                            await export()
                        }
                    }
                }
                if let reload {
                    group.addTask {
                        for await _ in await UnixSignalsSequence(trapping: .sighup) { await reload() }
                    }
                }
            }
        }
    }
}
