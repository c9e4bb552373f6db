import SansIO
import Testing
@testable import Noise

/// mac2 and cookie replies under load.
struct CookieTests {
    typealias H = HandshakeMessageTests
    static let source: [UInt8] = [192, 0, 2, 1, 0x1F, 0x90]

    @Test func underLoadAnInitiationNeedsACookieAndThenPasses() throws {
        var rng = SeededRNG(seed: 3)
        var checker = CookieChecker(localStatic: H.collector.publicKey)
        checker.rotateSecretIfNeeded(at: H.t, using: &rng)
        var cookies = CookieState(remoteStatic: H.collector.publicKey)
        let first = try H.initiate(cookies: &cookies).initiation
        #expect(try checker.check(first, source: Self.source, underLoad: false, at: H.t) == .accept)
        #expect(try checker.check(first, source: Self.source, underLoad: true, at: H.t) == .sendCookieReply)

        let reply = try checker.cookieReply(to: first, source: Self.source, at: H.t, using: &rng)
        #expect(reply.count == HandshakeLayout.cookieReplyLength && reply[0] == 0x24)
        #expect(reply.count < first.count, "the cookie reply is smaller than the initiation")
        #expect(Array(reply[1..<5]) == Array(first[1..<5]), "receiver index = the initiation's sender index")
        #expect(try cookies.consumeCookieReply(reply, at: H.t) == 0xA1A2_A3A4)
        #expect(cookies.currentCookie(at: H.t) == checker.cookie(for: Self.source, at: H.t))

        let second = try H.initiate(seed: 9, cookies: &cookies).initiation
        #expect(Array(second.suffix(16)) != [UInt8](repeating: 0, count: 16))
        #expect(try checker.check(second, source: Self.source, underLoad: true, at: H.t) == .accept)
        // From another address the cookie does not fit.
        #expect(try checker.check(second, source: [10, 0, 0, 1], underLoad: true, at: H.t) == .sendCookieReply)
    }

    @Test func cookiesExpireAfter120Seconds() throws {
        var rng = SeededRNG(seed: 4)
        var checker = CookieChecker(localStatic: H.collector.publicKey)
        #expect(checker.needsNewSecret(at: H.t))
        try checker.setSecret(rng.bytes(32), at: H.t)
        var cookies = CookieState(remoteStatic: H.collector.publicKey)
        let first = try H.initiate(cookies: &cookies).initiation
        let reply = try checker.cookieReply(to: first, source: Self.source, at: H.t, using: &rng)
        try cookies.consumeCookieReply(reply, at: H.t)
        let later = H.t + .seconds(121)
        #expect(cookies.currentCookie(at: H.t + .seconds(119)) != nil)
        #expect(cookies.currentCookie(at: later) == nil)
        #expect(checker.needsNewSecret(at: later))
        #expect(checker.cookie(for: Self.source, at: later) == nil)
        #expect(throws: NoiseError.self) { try checker.cookieReply(to: first, source: Self.source, at: later, using: &rng) }
        #expect(throws: NoiseError.badKeyLength(expected: 32, got: 3)) { try checker.setSecret([1, 2, 3], at: later) }
    }

    @Test func aCookieReplyOnlyDecryptsForTheInitiationItAnswers() throws {
        var rng = SeededRNG(seed: 5)
        var checker = CookieChecker(localStatic: H.collector.publicKey)
        checker.rotateSecretIfNeeded(at: H.t, using: &rng)
        var fresh = CookieState(remoteStatic: H.collector.publicKey)
        var cookies = CookieState(remoteStatic: H.collector.publicKey)
        let first = try H.initiate(cookies: &cookies).initiation
        let reply = try checker.cookieReply(to: first, source: Self.source, at: H.t, using: &rng)
        #expect(throws: NoiseError.unexpectedCookieReply) { try fresh.consumeCookieReply(reply, at: H.t) }
        _ = try H.initiate(seed: 7, cookies: &cookies)  // a newer initiation: other mac1
        #expect(throws: NoiseError.decryptFailed) { try cookies.consumeCookieReply(reply, at: H.t) }
        #expect(throws: NoiseError.truncated(expected: 49, got: 48)) { try cookies.consumeCookieReply(Array(reply.dropLast()), at: H.t) }
    }

    /// SPEC §10.6: a cookie made just before the collector's secret rotates still counts
    /// under the previous secret (one rotation back, while an agent may still use it).
    @Test func aCookieFromJustBeforeARotationStillCounts() throws {
        var rng = SeededRNG(seed: 6)
        var checker = CookieChecker(localStatic: H.collector.publicKey)
        checker.rotateSecretIfNeeded(at: H.t, using: &rng)
        var cookies = CookieState(remoteStatic: H.collector.publicKey)
        let first = try H.initiate(cookies: &cookies).initiation
        // The secret is 119 s old when the cookie is made; the agent then stamps with it.
        let made = H.t + .seconds(119)
        let reply = try checker.cookieReply(to: first, source: Self.source, at: made, using: &rng)
        let oldCookie = try #require(checker.cookie(for: Self.source, at: made))
        try cookies.consumeCookieReply(reply, at: H.t)
        let stamped = try H.initiate(seed: 9, cookies: &cookies).initiation
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: made) == .accept)

        let rotation = H.t + .seconds(121)
        #expect(checker.needsNewSecret(at: rotation))
        checker.rotateSecretIfNeeded(at: rotation, using: &rng)
        #expect(checker.cookie(for: Self.source, at: rotation) != oldCookie, "new cookies come from the new secret")
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: rotation) == .accept)
        #expect(try checker.check(stamped, source: [10, 0, 0, 1], underLoad: true, at: rotation) == .sendCookieReply)
        // The last cookie under the old secret was made before it went stale (120 s) and an
        // agent uses a cookie for 120 s: after 240 s the old secret no longer counts.
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: H.t + .seconds(239)) == .accept)
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: H.t + .seconds(240)) == .sendCookieReply)
    }

    @Test func onlyOnePreviousSecretIsKept() throws {
        var rng = SeededRNG(seed: 7)
        var checker = CookieChecker(localStatic: H.collector.publicKey)
        try checker.setSecret(rng.bytes(32), at: H.t)
        var cookies = CookieState(remoteStatic: H.collector.publicKey)
        let first = try H.initiate(cookies: &cookies).initiation
        try cookies.consumeCookieReply(try checker.cookieReply(to: first, source: Self.source, at: H.t, using: &rng), at: H.t)
        let stamped = try H.initiate(seed: 9, cookies: &cookies).initiation
        try checker.setSecret(rng.bytes(32), at: H.t + .seconds(1))
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: H.t + .seconds(1)) == .accept)
        try checker.setSecret(rng.bytes(32), at: H.t + .seconds(2))
        #expect(try checker.check(stamped, source: Self.source, underLoad: true, at: H.t + .seconds(2)) == .sendCookieReply)
        #expect(try checker.check(stamped, source: Self.source, underLoad: false, at: H.t + .seconds(2)) == .accept)
    }
}
