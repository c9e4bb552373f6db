import Compression
import WireCodec
import WireFuzzSupport

/// libFuzzer entry point for the window decoder (`StreamDecoder.decode`).
///
/// The input (format: `WindowInput` in WireFuzzSupport) is a mode byte and a payload. The
/// decoder starts empty, or holding the keyframe (and a first delta) of the fixed stream
/// in `FixedStream`, so the payload is also decoded as a delta against real base tables;
/// an empty decoder may hash to 8 bits, where collision salts and conflicts are common.
/// Findings besides crashes, hangs (libFuzzer's -timeout) and memory blow-ups
/// (-rss_limit_mb, -malloc_limit_mb):
/// - an accepted window whose state has a stack the dictionary lacks, a stack with the
///   wrong number of values, or entries its base tables cannot be built from;
/// - decoding the same payload again at once does not report a duplicate with the same
///   state (mode 3), or a window of the held epoch with a held seq is not a duplicate;
/// - afterwards, while the decoder is still in the fixed stream's epoch and holds its
///   keyframe, a valid delta against that keyframe does not decode to the sender's state:
///   a failed or hostile window must not corrupt what later windows need.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWindow(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 1, let data else { return 0 }
    let mode = data[0]
    var payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if mode & 4 != 0 {
        do { payload = try Snappy.decompress(payload, limit: 1 << 20) } catch { return 0 }
    }
    var rx: StreamDecoder
    switch mode & 3 {
    case 0: rx = mode & 8 != 0 ? StreamDecoder(hasher: ContentHasher(bits: 8)) : StreamDecoder()
    case 1: rx = Fixed.afterKeyframe
    default: rx = Fixed.afterDelta
    }
    let held = Set(rx.heldSequences)
    do {
        let w = try rx.decode(payload)
        checkAccepted(w, rx)
        if mode & 3 == 3 {
            let again = try rx.decode(payload)
            check(again.isDuplicate && again.state == w.state, "decoding window \(w.header.seq) twice did not give a duplicate")
        } else if held.contains(w.header.seq) && w.header.epoch == 1 {
            // Held in the same epoch: a duplicate, whatever its base (a keyframe of another
            // epoch starts over instead).
            check(w.isDuplicate, "window \(w.header.seq) was held but not reported as a duplicate")
        }
    } catch {
        // Typed throws: only WireError can get here. A rejected window changes nothing the
        // stream relies on (checked below).
        _ = error
    }

    // Later valid windows still decode.
    if mode & 3 != 0, rx.epoch == 1, rx.info == FixedStream.info, rx.state(seq: 1) == Fixed.windows.states[1],
       rx.state(seq: Fixed.windows.checkSeq) == nil {
        do {
            let w = try rx.decode(Fixed.windows.check)
            check(w.state == Fixed.windows.checkState, "the check window decodes to another state after the fuzz window")
        } catch {
            check(false, "the check window no longer decodes after the fuzz window: \(error)")
        }
    }
    return 0
}

private enum Fixed {
    static let windows = FixedStream.windows()
    static let afterKeyframe: StreamDecoder = {
        var rx = StreamDecoder()
        let w = try! rx.decode(windows.keyframe)
        precondition(w.state == windows.states[1])
        return rx
    }()
    static let afterDelta: StreamDecoder = {
        var rx = afterKeyframe
        let w = try! rx.decode(windows.deltaOn1)
        precondition(w.state == windows.states[2])
        return rx
    }()
}

private func checkAccepted(_ w: DecodedWindow, _ rx: StreamDecoder) {
    let columns = w.info.columns.count
    let stacks = rx.dictionary.stacks
    for (id, values) in w.state.byStack {
        check(values.count == columns, "stack \(id) has \(values.count) values for \(columns) columns")
        check(stacks[id] != nil, "state has stack \(id) that the dictionary lacks")
    }
    for (id, values) in w.increment.byStack { check(values.count == columns, "increment of stack \(id) has \(values.count) values") }
    do { _ = try BaseTables(state: w.state, dictionary: rx.dictionary, forEncoding: false) } catch {
        check(false, "an accepted state is not a usable base: \(error)")
    }
    check(rx.state(seq: w.header.seq) == w.state, "window \(w.header.seq) is not held after decoding")
    // Rebuilding a profile (what the collector stores) must work for any accepted state.
    let p = rx.dictionary.profile(of: w.state, info: w.info)
    check(p.samples.count == w.state.count, "profile has \(p.samples.count) samples for \(w.state.count) stacks")
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-window invariant broken: \(message())") }
}
