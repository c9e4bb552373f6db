import ServiceLifecycle

/// `flamewire agent` as a service: its source loops run until the process shuts down
/// gracefully (SIGTERM, SIGINT, `--duration`); then the owner drains what is in flight
/// (`AgentRuntime.drain`) and closes it, after the group has stopped.
public struct AgentService: Service {
    public let agent: AgentRuntime

    public init(_ agent: AgentRuntime) { self.agent = agent }

    public func run() async throws {
        let agent = self.agent
        await cancelWhenGracefulShutdown { await agent.run() }
    }
}
