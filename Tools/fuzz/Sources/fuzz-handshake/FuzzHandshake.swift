import Noise
import SansIO
import Session
import SessionFuzzSupport

/// libFuzzer entry point for handshake datagrams at both ends (`CollectorSession` and
/// `AgentSession.receive`, `CookieChecker`, `ReceivedInitiation.read`,
/// `HandshakeInitiator.readResponse`, `CookieState.consumeCookieReply`).
///
/// The input is a flag byte, then a datagram. Flags: bit 0, mac1 is recomputed for the
/// collector's key before the collector gets it; bit 1, for the agent's key before the
/// agent gets it (both let mutations past mac1 into the Noise messages); bit 2, the
/// collector is under load (every initiation without a valid mac2 gets a cookie reply).
/// The collector has the fixture's agent key on its allow list; the agent waits for the
/// response to its initiation (`SessionFixture.waiting`). Findings besides crashes:
/// - the collector answers a datagram whose mac1 (computed here, independently) is not
///   valid for its key, answers with more bytes than it received or more than once,
///   answers with anything but a response or (under load only) a cookie reply, or
///   accepts an initiation `ReceivedInitiation.read` refuses;
/// - the collector neither answers nor counts exactly one drop;
/// - `ReceivedInitiation.read`, `readResponse` and `consumeCookieReply` throw an error
///   that does not fit the bytes (a length error for the right length, `badMac1` with a
///   valid mac1, a decryption error before mac1 is checked...), or `readResponse` succeeds
///   on bytes whose receiver index or Noise message is not the genuine response's;
/// - the agent does not do exactly one of: count one drop, take the session, take a cookie;
///   it takes the session when `readResponse` refuses the bytes, or a cookie when
///   `consumeCookieReply` does;
/// - afterwards the genuine initiation is no longer answered, or the genuine response no
///   longer establishes the agent's session (hostile bytes must not break either side).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 1, let data else { return 0 }
    let flags = data[0]
    let d = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let collectorKey = SessionFixture.collectorKey.publicKey, agentKey = SessionFixture.agentKey.publicKey
    checkCollector(flags & 1 != 0 ? SessionFixture.restamped(d, receiver: collectorKey) : d, underLoad: flags & 4 != 0)
    checkAgent(flags & 2 != 0 ? SessionFixture.restamped(d, receiver: agentKey) : d)
    return 0
}

private func total(_ d: [SessionDropReason: Int]) -> Int { d.values.reduce(0, +) }

/// Whether byte 0 is that of a handshake datagram of type `t`, as Noise makes them.
private func isType(_ d: [UInt8], _ t: UInt8) -> Bool { d.first == Noise.DatagramType(rawValue: t).map(\.byte0) }

private func checkCollector(_ d: [UInt8], underLoad: Bool) {
    let key = SessionFixture.collectorKey
    var c = CollectorSession(config: SessionFixture.collectorConfig(loadThreshold: underLoad ? 0 : 50))
    let now = Instant.zero
    let mac1OK = SessionFixture.hasValidMac1(d, receiver: key.publicKey)
    let isInitiation = isType(d, 2) && d.count == 145

    // The collector's half of the handshake, called directly.
    var read: ReceivedInitiation?
    do {
        read = try ReceivedInitiation.read(d, localStatic: key, usesPSK: false)
        check(isInitiation && mac1OK, "ReceivedInitiation.read accepted \(d.count) bytes (mac1 \(mac1OK ? "valid" : "invalid"))")
    } catch {
        switch error {
        case .truncated(let expected, let got):
            check(got == d.count && got != expected && (d.isEmpty ? expected == 1 : expected == 145 && isType(d, 2)),
                  "read threw truncated(expected: \(expected), got: \(got)) for \(d.count) bytes")
        case .unknownVersion(let v): check(!d.isEmpty && d[0] >> 4 != Noise.DatagramType.version && v == d[0] >> 4, "read threw unknownVersion(\(v)) for byte 0 \(d.first ?? 0)")
        case .unknownType(let t): check(!d.isEmpty && d[0] >> 4 == Noise.DatagramType.version && t != 2 && t == d[0] & 0x0F, "read threw unknownType(\(t)) for byte 0 \(d[0])")
        case .badMac1: check(isInitiation && !mac1OK, "read threw badMac1 (mac1 \(mac1OK ? "valid" : "invalid"), \(d.count) bytes)")
        case .decryptFailed, .weakPublicKey:
            check(isInitiation && mac1OK, "read threw \(error) before checking layout and mac1")
        default: check(false, "read threw \(error)")
        }
    }

    c.receive(d, from: SessionFixture.attackerAddress, at: now)
    var answers: [[UInt8]] = []
    while let t = c.pollTransmit(at: now) {
        answers.append(t.datagram)
        check(t.destination == SessionFixture.attackerAddress, "collector answered to \(t.destination)")
        check(answers.count == 1, "collector answered one datagram \(answers.count) times")
    }
    let drops = total(c.dropped)
    check(answers.isEmpty ? drops == 1 : drops == 0, "collector: \(answers.count) answers and drops \(c.dropped) for one datagram")
    check(c.bytesSent == answers.reduce(0) { $0 + $1.count }, "collector: bytesSent \(c.bytesSent) for answers of \(answers.map(\.count)) bytes")
    if let a = answers.first {
        check(isInitiation && mac1OK, "collector answered \(d.count) bytes whose mac1 is not valid (byte 0 \(d.first ?? 0))")
        check(a.count <= d.count, "collector answered \(d.count) bytes with \(a.count)")
        if isType(a, 4) {
            check(underLoad, "collector sent a cookie reply while not under load")
            check(a.count == 49, "cookie reply of \(a.count) bytes")
        } else {
            check(isType(a, 3) && a.count == 89, "collector answered with byte 0 \(a[0]), \(a.count) bytes")
            check(read?.peerStatic == SessionFixture.agentKey.publicKey, "collector answered an initiation read refuses or from another key")
            check(!underLoad, "collector under load did the DH for an initiation without mac2")
        }
    }

    // The genuine initiation still gets its answer, unless these bytes were it.
    if !answers.contains(where: { isType($0, 3) }) {
        c.receive(SessionFixture.waiting.initiation, from: SessionFixture.agentAddress, at: now)
        let t = c.pollTransmit(at: now)
        check(t.map { isType($0.datagram, underLoad ? 4 : 3) } == true, "the genuine initiation is not answered after \(d.count) hostile bytes (\(c.dropped))")
    }
}

private func checkAgent(_ d: [UInt8]) {
    let w = SessionFixture.waiting
    let agentKey = SessionFixture.agentKey.publicKey
    let mac1OK = SessionFixture.hasValidMac1(d, receiver: agentKey)
    let now = Instant.zero + .milliseconds(1)

    // readResponse on a copy of the agent's pending handshake.
    var initiator = w.initiator
    var responseOK = false
    do {
        _ = try initiator.readResponse(d)
        responseOK = true
        // The Noise message authenticates only itself: the sender index (bytes 1–4) is
        // covered by mac1 alone, which anyone with the agent's public key can recompute,
        // and mac2 by nothing. So the receiver index and the Noise message must be the
        // genuine ones (regression input corpus/handshake/regression-response-other-sender-index).
        check(d[5..<57] == SessionFixture.response[5..<57], "readResponse accepted bytes that are not the response")
    } catch {
        let isResponse = isType(d, 3) && d.count == 89
        switch error {
        case .truncated(let expected, let got):
            check(got == d.count && got != expected && (d.isEmpty ? expected == 1 : expected == 89 && isType(d, 3)),
                  "readResponse threw truncated(expected: \(expected), got: \(got)) for \(d.count) bytes")
        case .unknownVersion, .unknownType: check(!isType(d, 3), "readResponse threw \(error) for byte 0 \(d.first ?? 0)")
        case .unknownReceiverIndex(let i):
            check(isResponse && i != w.initiator.localIndex, "readResponse threw unknownReceiverIndex(\(i)), ours is \(w.initiator.localIndex)")
        case .badMac1: check(isResponse && !mac1OK, "readResponse threw badMac1 (mac1 \(mac1OK ? "valid" : "invalid"))")
        case .decryptFailed, .weakPublicKey: check(isResponse && mac1OK, "readResponse threw \(error) before checking layout and mac1")
        default: check(false, "readResponse threw \(error)")
        }
    }

    // consumeCookieReply on a copy of the agent's cookie state (it stamped the initiation).
    var cookies = w.cookies
    var cookieOK = false
    do {
        try cookies.consumeCookieReply(d, at: now)
        cookieOK = true
        check(isType(d, 4) && d.count == 49, "consumeCookieReply accepted \(d.count) bytes of byte 0 \(d.first ?? 0)")
    } catch {
        switch error {
        case .truncated(let expected, let got):
            check(got == d.count && got != expected && (d.isEmpty ? expected == 1 : expected == 49 && isType(d, 4)),
                  "consumeCookieReply threw truncated(expected: \(expected), got: \(got)) for \(d.count) bytes")
        case .unknownVersion, .unknownType: check(!isType(d, 4), "consumeCookieReply threw \(error) for byte 0 \(d.first ?? 0)")
        case .decryptFailed: check(isType(d, 4) && d.count == 49, "consumeCookieReply threw decryptFailed for \(d.count) bytes")
        default: check(false, "consumeCookieReply threw \(error) (an initiation was stamped)")
        }
    }

    var agent = w.agent
    agent.receive(d, from: SessionFixture.collectorAddress, at: now)
    let drops = total(agent.stats.dropped)
    let established = agent.status == .established
    check(established == responseOK, "agent \(established ? "took" : "refused") bytes readResponse \(responseOK ? "accepts" : "refuses")")
    let tookCookie = isType(d, 4) && drops == 0
    check(!tookCookie || cookieOK, "agent took a cookie reply consumeCookieReply refuses")
    check(drops + (established ? 1 : 0) + (tookCookie ? 1 : 0) == 1,
          "agent: drops \(agent.stats.dropped), established \(established), cookie \(tookCookie) for one datagram")
    if isType(d, 4) { check(cookieOK == (drops == 0), "agent counted \(drops) drops for a cookie reply consumeCookieReply \(cookieOK ? "accepts" : "refuses")") }
    check(agent.pollEvents().allSatisfy { if case .established = $0 { return established }; return true }, "agent: established event without a session")

    // The genuine response still establishes the session.
    if !established {
        agent.receive(SessionFixture.response, from: SessionFixture.collectorAddress, at: now)
        check(agent.status == .established, "the genuine response no longer works after \(d.count) hostile bytes (\(agent.stats.dropped))")
    }
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-handshake invariant broken: \(message())") }
}
