import NIOCore
import NIOPosix

/// How the agent process uses threads. An agent does a few milliseconds of work per
/// interval, and every hop between Swift's cooperative pool and SwiftNIO's event loops (a
/// fetch's request and response, each submit to the session) is a thread wake-up:
/// measured, context switches and futex wake-ups were a fifth of the agent's CPU. One
/// event loop that also serves as Swift Concurrency's global executor makes those hops
/// plain function calls on one thread.
public enum AgentThreads {
    /// Call once, first thing in `main`, before any task or event loop exists, and only in
    /// a process that runs the agent (the collector wants its cores). Returns whether Swift
    /// Concurrency now runs on the event loop.
    @discardableResult
    public static func useOneEventLoop() -> Bool {
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.blockingPoolThreadCountSuggestion = 1
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
