import SansIO
@testable import NetSim

let alice = PeerAddress("alice")
let bob = PeerAddress("bob")

func ms(_ n: Int64) -> Instant { Instant(nanoseconds: n * 1_000_000) }

/// A datagram of `length` bytes whose content is fixed by `index` (so a test can rebuild
/// what was sent from a delivery's sequence number).
func payload(_ index: UInt64, length: Int = 64) -> [UInt8] {
    // A 64-bit LCG (Knuth's MMIX constants): cheap enough for 100,000s of datagrams.
    var x = index &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
        for i in 0..<length {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[i] = UInt8(truncatingIfNeeded: x >> 56)
        }
        count = length
    }
}

/// Sends `count` datagrams, one every `gap`, starting at zero; returns every delivery.
func sendAndDrain(_ link: inout Link, count: Int, gap: Duration, length: Int = 64) -> [Delivery] {
    var deliveries: [Delivery] = []
    var t = Instant.zero
    for i in 0..<count {
        while let d = link.popDelivery(upTo: t) { deliveries.append(d) }
        link.send(payload(UInt64(i), length: length), to: bob, from: alice, at: t)
        t = t + gap
    }
    while let d = link.popDelivery(upTo: Instant(nanoseconds: .max)) { deliveries.append(d) }
    return deliveries
}

/// Checks the link's conservation law: every datagram is dropped or delivered or in flight.
func balances(_ c: LinkCounters) -> Bool {
    c.sentDatagrams + c.duplicated == c.deliveredDatagrams + c.droppedTotal + c.inFlight
}
