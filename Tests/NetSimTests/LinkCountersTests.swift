import Testing
import SansIO
@testable import NetSim

@Suite struct LinkCountersTests {
    @Test func describesItselfOnOneLine() throws {
        var link = try Link(config: LinkConfig(mtu: 4), seed: 1)
        link.send([1, 2, 3], to: bob, from: alice, at: .zero)
        link.send([1, 2, 3, 4, 5], to: bob, from: alice, at: .zero)
        _ = link.popDelivery(upTo: .zero)
        #expect(link.counters.description == "sent 2 (8 B), delivered 1 (3 B), dropped 1 (overMTU 1), duplicated 0, "
            + "corrupted 0, reordered 0, out of order 0, in flight 0, max queue 0 B")
    }
}
