import ArgumentParser
import Dispatch
import Foundation
import EventLog
import Lifecycle
import Logging
import NetSim
import Relay
import SansIO
import Simulator
import UDPRuntime

/// `flamewire relay`: a userspace UDP impairment relay (what netem would do, where there is none).
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Relay UDP between --listen and --forward through a lossy, slow link, for tests and demos.",
        discussion: """
            Each client (source address) gets its own upstream socket, as behind a NAT.
            Datagrams from the client go to --forward with the impairments below, and the
            answers come back with the same impairments (the --rate cap applies to the
            client's uplink only). The seed fixes every random decision. It runs until
            --duration ends or SIGINT/SIGTERM, then prints what it did in each direction.

            Examples:
              flamewire relay --listen 127.0.0.1:7001 --forward 127.0.0.1:7000 --loss 12% --delay 160ms
              flamewire relay --listen 127.0.0.1:7001 --forward 127.0.0.1:7000 --burst 3 --jitter 20ms --rate 64kbit
            """)

    @Option(help: "Where clients send, IP:PORT.") var listen: String
    @Option(help: "Where datagrams go, IP:PORT.") var forward: String
    @Option(help: "Random loss each way, e.g. 12% or 0.12.") var loss: String = "0%"
    @Option(help: "Mean loss burst length in datagrams (1: independent loss; more: Gilbert–Elliott).") var burst: Double = 1
    @Option(help: "One-way delay, e.g. 160ms.") var delay: String = "0ms"
    @Option(help: "Uniform ± jitter of each one-way delay, e.g. 20ms.") var jitter: String = "0ms"
    @Option(help: "Uplink bottleneck, e.g. 64kbit (default: none).") var rate: String?
    @Option(help: "Bottleneck queue, e.g. 64KB.") var queue: String?
    @Option(help: "Share of datagrams held back by half the delay, e.g. 1%.") var reorder: String = "0%"
    @Option(help: "Share of datagrams sent twice, e.g. 1%.") var duplicate: String = "0%"
    @Option(help: "Share of datagrams with one bit flipped, e.g. 0.1%.") var corrupt: String = "0%"
    @Option(help: "Largest datagram relayed, in bytes.") var mtu: Int = 1472
    @Option(help: "An outage, DURATION@START from the relay's start (repeatable), e.g. 60s@2m.") var down: [String] = []
    @Option(help: "Seed of every random decision.") var seed: UInt64 = 1
    @Option(help: "Stop after this long, e.g. 90s (default: run until SIGINT/SIGTERM).") var duration: String?

    func run() async throws {
        var link = LinkOptions()
        let runFor: Duration?
        do {
            link.loss = try LinkConfig.parseProbability(loss)
            link.rtt = try LinkConfig.parseDuration(delay) * 2
            link.jitter = try LinkConfig.parseDuration(jitter)
            if let rate { link.rate = try LinkConfig.parseBitRate(rate) }
            if let queue { link.queueBytes = try LinkConfig.parseByteCount(queue) }
            link.reorder = try LinkConfig.parseProbability(reorder)
            link.duplicate = try LinkConfig.parseProbability(duplicate)
            link.corrupt = try LinkConfig.parseProbability(corrupt)
            link.outages = try down.map { try LinkConfig.parseOutage($0) }
            runFor = try duration.map { try LinkConfig.parseDuration($0) }
        } catch {
            throw ValidationError("\(error)")
        }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1") }
        guard (64...65507).contains(mtu) else { throw ValidationError("--mtu must be between 64 and 65507") }
        link.burst = burst
        link.mtu = mtu
        let (up, down) = link.links
        let relay: Relay
        do { relay = try await Relay.start(RelayConfig(listen: listen, forward: forward, upstream: up, downstream: down, seed: seed)) } catch {
            throw CLIError("\(error)")
        }
        var stderr = StandardError()
        print("flamewire relay: \(relay.localAddress.map { PeerAddresses.peer($0).value } ?? listen) -> \(forward): loss \(loss), burst \(burst), delay \(delay) each way, jitter \(jitter), rate \(rate ?? "none"), seed \(seed)", to: &stderr)
        try await ProcessLifecycle.run([UntilShutdown()], stopAfter: runFor, logger: .silent)
        let c = try await relay.counters()
        await relay.close()
        print(Self.report(c))
    }

    static func report(_ c: RelayCounters) -> String {
        func line(_ name: String, _ l: LinkCounters) -> String {
            "\(name): \(l.sentDatagrams) datagrams in (\(l.sentBytes) B), \(l.deliveredDatagrams) out, dropped \(l.droppedRandomLoss) random + \(l.droppedBurstLoss) burst + \(l.droppedOutage) outage + \(l.droppedQueueOverflow) queue + \(l.droppedOverMTU) over MTU, \(l.duplicated) duplicated, \(l.reordered) reordered, \(l.corrupted) corrupted, \(l.inFlight) in flight at the end"
        }
        return [line("upstream (client -> forward)", c.upstream), line("downstream (forward -> client)", c.downstream),
                "clients: \(c.clients), refused: \(c.refused), socket errors: \(c.socketErrors)"].joined(separator: "\n")
    }
}
