import SansIO
@testable import NetSim

/// Sends one numbered datagram every `interval` to `peer` and counts the acknowledgements.
struct PacedSender: DatagramEndpoint {
    var peer: PeerAddress
    var interval: Duration = .milliseconds(10)
    var length = 200
    var nextSend = Instant.zero
    var sent: UInt64 = 0
    var pending: [UInt8]?
    var acked = Set<UInt64>()
    var ackSources = Set<PeerAddress>()
    var profiles = 0

    init(peer: PeerAddress) { self.peer = peer }

    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
        guard datagram.count == 8 else { return }
        acked.insert(datagram.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        ackSources.insert(address)
    }

    mutating func pollTransmit(at now: Instant) -> Transmit? {
        guard let datagram = pending else { return nil }
        pending = nil
        return Transmit(datagram: datagram, destination: peer)
    }

    func nextWakeup() -> Instant? { nextSend }

    mutating func handleTimeout(at now: Instant) {
        guard now >= nextSend else { return }
        var datagram = withUnsafeBytes(of: sent) { [UInt8]($0) }
        datagram += [UInt8](repeating: 0xAB, count: length - 8)
        pending = datagram
        sent += 1
        nextSend = nextSend + interval
    }
}

/// Acknowledges every datagram (its first 8 bytes) to whoever sent it, so it follows a
/// peer whose address changes.
struct Acker: DatagramEndpoint {
    var received = 0
    var sources: [PeerAddress: Int] = [:]
    var queue: [Transmit] = []

    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {
        received += 1
        sources[address, default: 0] += 1
        queue.append(Transmit(datagram: Array(datagram.prefix(8)), destination: address))
    }

    mutating func pollTransmit(at now: Instant) -> Transmit? {
        queue.isEmpty ? nil : queue.removeFirst()
    }

    func nextWakeup() -> Instant? { nil }
    mutating func handleTimeout(at now: Instant) {}
}

/// Never sends; its wake-up stays at a fixed time, however often it is woken.
struct StuckEndpoint: DatagramEndpoint {
    var wakeup: Instant?
    var timeouts = 0
    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {}
    mutating func pollTransmit(at now: Instant) -> Transmit? { nil }
    func nextWakeup() -> Instant? { wakeup }
    mutating func handleTimeout(at now: Instant) { timeouts += 1 }
}

/// Has a datagram to send every time it is asked.
struct FloodingEndpoint: DatagramEndpoint {
    var peer: PeerAddress
    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {}
    mutating func pollTransmit(at now: Instant) -> Transmit? { Transmit(datagram: [1], destination: peer) }
    func nextWakeup() -> Instant? { nil }
    mutating func handleTimeout(at now: Instant) {}
}

/// Wakes at the current time on every call and sends one datagram each time: always
/// progressing, never advancing time.
struct BusyEndpoint: DatagramEndpoint {
    var peer: PeerAddress
    var now = Instant.zero
    var ready = false
    mutating func receive(_ datagram: [UInt8], from address: PeerAddress, at now: Instant) {}
    mutating func pollTransmit(at now: Instant) -> Transmit? {
        guard ready else { return nil }
        ready = false
        return Transmit(datagram: [2], destination: peer)
    }
    func nextWakeup() -> Instant? { now }
    mutating func handleTimeout(at now: Instant) {
        self.now = now
        ready = true
    }
}
