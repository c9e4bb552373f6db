import Crypto
import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Noise

/// `TransportKeys` seals and opens through libcrypto (`ChaChaPolyContext`); the handshake
/// and the reference here are swift-crypto's `ChaChaPoly`. Both must give the same bytes.
struct LibcryptoEquivalenceTests {
    /// xorshift64*: the same inputs on every run.
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27
            return s &* 0x2545_F491_4F6C_DD1D
        }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next() >> 17) } }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let payloadLengths = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 1357, 1372, 4096]
    static let headerLengths = [0, 1, 13, 16, 27, 33]

    /// The swift-crypto reference: ciphertext and tag.
    static func reference(key: [UInt8], pn: UInt64, header: [UInt8], payload: [UInt8]) throws -> ([UInt8], [UInt8]) {
        let box = try ChaChaPoly.seal(payload, using: SymmetricKey(data: key), nonce: TransportKeys.nonce(pn), authenticating: header)
        return (Array(box.ciphertext), Array(box.tag))
    }

    static func seal(_ keys: TransportKeys, pn: UInt64, header: [UInt8], payload: [UInt8]) throws -> ([UInt8], [UInt8]) {
        var p = payload, t = [UInt8](repeating: 0, count: 16)
        try header.withUnsafeBytes { h in
            try p.withUnsafeMutableBytes { pp in
                try t.withUnsafeMutableBytes { tt in try keys.seal(header: h, packetNumber: pn, payload: pp, tag: tt) }
            }
        }
        return (p, t)
    }

    /// Opens in place; the payload after the call and whether it authenticated.
    static func open(_ keys: TransportKeys, pn: UInt64, header: [UInt8], payload: [UInt8], tag: [UInt8]) -> ([UInt8], Bool) {
        var p = payload
        let ok = header.withUnsafeBytes { h in
            p.withUnsafeMutableBytes { pp in
                tag.withUnsafeBytes { tt in (try? keys.open(header: h, packetNumber: pn, payload: pp, tag: tt)) != nil }
            }
        }
        return (p, ok)
    }

    @Test func sealMatchesSwiftCryptoOnRandomInputs() throws {
        var rng = Rng(s: 0x5EED_CAFE_F00D_0001)
        for i in 0..<400 {
            let key = rng.bytes(32)
            let keys = TransportKeys(sendKey: key, receiveKey: key)
            let specials: [UInt64] = [0, 1, 255, 256, 1 << 32, .max - 1, .max]
            let pn = i % 7 == 0 ? specials[i / 7 % specials.count] : rng.next() >> UInt64(rng.below(64))
            let header = rng.bytes(i < 200 ? Self.headerLengths[i % Self.headerLengths.count] : rng.below(80))
            let payload = rng.bytes(i < 200 ? Self.payloadLengths[i % Self.payloadLengths.count] : rng.below(3000))
            let (c, t) = try Self.seal(keys, pn: pn, header: header, payload: payload)
            let (rc, rt) = try Self.reference(key: key, pn: pn, header: header, payload: payload)
            #expect(c == rc && t == rt, "case \(i): pn \(pn), header \(header.count) B, payload \(payload.count) B")
            let (plain, ok) = Self.open(keys, pn: pn, header: header, payload: rc, tag: rt)
            #expect(ok && plain == payload, "case \(i): libcrypto opens swift-crypto's box")
            let box = try ChaChaPoly.SealedBox(nonce: TransportKeys.nonce(pn), ciphertext: c, tag: t)
            #expect(try ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: header) == Data(payload),
                    "case \(i): swift-crypto opens libcrypto's box")
        }
    }

    @Test func forgeriesFailLikeSwiftCryptoAndLeaveThePayload() throws {
        var rng = Rng(s: 0x5EED_CAFE_F00D_0002)
        for i in 0..<200 {
            let key = rng.bytes(32)
            let keys = TransportKeys(sendKey: key, receiveKey: key)
            let pn = rng.next() >> 8
            let header = rng.bytes(27)
            let payload = rng.bytes(Self.payloadLengths[i % Self.payloadLengths.count])
            let (c, t) = try Self.reference(key: key, pn: pn, header: header, payload: payload)
            var forged = (header, c, t, pn)
            switch i % 4 {
            case 0: forged.2[rng.below(16)] ^= UInt8(1 << rng.below(8))
            case 1: forged.0[rng.below(27)] ^= UInt8(1 << rng.below(8))
            case 2 where !c.isEmpty: forged.1[rng.below(c.count)] ^= UInt8(1 << rng.below(8))
            default: forged.3 ^= 1
            }
            let (after, ok) = Self.open(keys, pn: forged.3, header: forged.0, payload: forged.1, tag: forged.2)
            let box = try ChaChaPoly.SealedBox(nonce: TransportKeys.nonce(forged.3), ciphertext: forged.1, tag: forged.2)
            let reference = try? ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: forged.0)
            #expect(!ok && reference == nil, "case \(i): the forgery fails on both")
            #expect(after == forged.1, "case \(i): the payload is the ciphertext again after a failed open")
            // The context is fine after a failure: the genuine datagram opens.
            let (plain, good) = Self.open(keys, pn: pn, header: header, payload: c, tag: t)
            #expect(good && plain == payload, "case \(i)")
        }
    }

    /// Opening into another buffer (how a collector opens a datagram it only borrows) gives
    /// the in-place result, never writes the ciphertext, and fails on every forgery.
    @Test func openIntoAnotherBufferMatchesInPlace() throws {
        var rng = Rng(s: 0x5EED_CAFE_F00D_0004)
        for i in 0..<200 {
            let key = rng.bytes(32)
            let keys = TransportKeys(sendKey: key, receiveKey: key)
            let pn = rng.next() >> 4
            let header = rng.bytes(23)
            let payload = rng.bytes(Self.payloadLengths[i % Self.payloadLengths.count])
            var (c, t) = try Self.reference(key: key, pn: pn, header: header, payload: payload)
            let forge = i % 3 == 2
            if forge { t[rng.below(16)] ^= 1 }
            let before = c
            var out = [UInt8](repeating: 0xAA, count: c.count)
            let ok = header.withUnsafeBytes { h in
                c.withUnsafeMutableBytes { cc in
                    out.withUnsafeMutableBytes { o in
                        t.withUnsafeBytes { tt in
                            (try? keys.open(header: h, packetNumber: pn, ciphertext: UnsafeRawBufferPointer(cc), into: o, tag: tt)) != nil
                        }
                    }
                }
            }
            #expect(c == before, "case \(i): the ciphertext is only read")
            if forge {
                #expect(!ok, "case \(i): a forged tag fails")
            } else {
                #expect(ok && out == payload, "case \(i): the plaintext lands in the other buffer")
            }
        }
    }

    /// handshake-1.txt: the DATA datagram sealed through libcrypto is swift-crypto's, for
    /// IK and IKpsk2, and the CONTROL-style whole-datagram calls agree in both directions.
    @Test func handshakeVectorsMatchSwiftCrypto() throws {
        for psk in [nil, HandshakeVectorTests.psk] {
            let c = try HandshakeVectorTests.run(psk: psk)
            let agent = try #require(c.agent), collector = try #require(c.collector)
            let header = Array(c.plain.prefix(23)), symbol = Array(c.plain.dropFirst(23))
            let (rc, rt) = try Self.reference(key: agent.sendKey, pn: 1, header: header, payload: symbol)
            #expect(c.sealed == header + rc + rt)
            var reply = header + Array("ack".utf8)
            try collector.seal(datagram: &reply, headerLength: 23, packetNumber: 7)
            let (bc, bt) = try Self.reference(key: collector.sendKey, pn: 7, header: header, payload: Array("ack".utf8))
            #expect(reply == header + bc + bt)
            try agent.open(datagram: &reply, headerLength: 23, packetNumber: 7)
            #expect(reply == header + Array("ack".utf8))
        }
    }

    /// Copies of one `TransportKeys` share its contexts; opening from two threads at once
    /// takes the one-off path for whichever finds the context busy, and every open is right.
    @Test func concurrentUseOfOneKeyIsCorrect() throws {
        var rng = Rng(s: 0x5EED_CAFE_F00D_0003)
        let key = rng.bytes(32)
        let keys = TransportKeys(sendKey: key, receiveKey: key)
        let header = rng.bytes(27), payload = rng.bytes(1357)
        let sealed = try (0..<64).map { try Self.seal(keys, pn: UInt64($0), header: header, payload: payload) }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            let mine = keys
            var bad = 0
            for round in 0..<2000 {
                let pn = (round + thread) % 64
                if round % 3 == 0 {
                    let (c, t) = (try? Self.seal(mine, pn: UInt64(pn), header: header, payload: payload)) ?? ([], [])
                    if c != sealed[pn].0 || t != sealed[pn].1 { bad += 1 }
                } else {
                    let (p, ok) = Self.open(mine, pn: UInt64(pn), header: header, payload: sealed[pn].0, tag: sealed[pn].1)
                    if !ok || p != payload { bad += 1 }
                }
            }
            failures.withLock { $0 += bad }
        }
        #expect(failures.withLock { $0 } == 0)
    }
}
