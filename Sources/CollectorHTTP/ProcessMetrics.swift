import Metrics
import Prometheus

/// swift-metrics for the `collect` process, exported as Prometheus text on `/metrics`
/// (swift-prometheus) after the collector's own series. What libraries record through
/// swift-metrics lands here: Hummingbird's HTTP requests, durations and errors
/// (`MetricsMiddleware`), and the collector's store commits
/// (`flamewire_store_commit_duration_seconds`).
public enum ProcessMetrics {
    /// Installs a Prometheus registry as the process's swift-metrics backend and returns it.
    /// Call once per process, before anything records a metric (swift-metrics allows one
    /// bootstrap per process).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
