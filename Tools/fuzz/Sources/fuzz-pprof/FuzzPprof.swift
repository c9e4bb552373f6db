import Pprof
import Profile
import WireCodec
import WireLimits

/// libFuzzer entry point for the pprof decoder (raw or gzip-compressed protobuf).
///
/// Besides crashes, a decoded profile that breaks the model's promise (`Profile` in
/// Sources/Profile/Model.swift: "every reference points at an element that exists", one
/// value per sample type) is a finding and stops the run. So is any disagreement between
/// `decode` (ProfileReader, straight from the wire format) and the reference path through
/// the generated protobuf messages: both must refuse an input, or both decode it alike.
/// The agent's path straight from the bytes (`PprofSnapshot`, `StreamEncoder.ingest(pprof:)`)
/// must refuse what the reader refuses and build the stream state the model builds, also
/// the second time, when it reuses the tables.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPprof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let reader = try? PprofDecoder.decode(bytes)
    let reference = try? PprofDecoder.decodeThroughMessages(bytes)
    check(reader == reference, reader == nil ? "the reader refused what the generated messages decoded"
          : reference == nil ? "the reader decoded what the generated messages refused" : "the two decoders built different profiles")
    checkSnapshotPath(bytes, reader)
    guard let profile = reader else { return 0 }
    checkConsistent(profile)
    return 0
}

private func checkSnapshotPath(_ bytes: [UInt8], _ reader: Profile?) {
    let snapshot = try? PprofSnapshot(bytes)
    guard let profile = reader else {
        guard let snapshot else { return }
        var refused = false
        do {
            let t = try snapshot.tables(known: PprofStringMemo())
            try snapshot.forEachSample(t) { _, _, _ in }
        } catch { refused = true }
        check(refused, "the snapshot path accepted what the reader refused")
        return
    }
    guard let snapshot else { return check(false, "the snapshot path refused what the reader decoded") }
    check((try? snapshot.profile()) == profile, "the snapshot's model differs from the reader's")
    guard (1...WireLimits.maxColumns).contains(profile.sampleTypes.count) else { return }
    let info = StreamInfo(describing: profile, service: "fuzz", profileType: "fuzz")
    var model = StreamEncoder(stream: 1, info: info)
    var direct = StreamEncoder(stream: 1, info: info)
    for round in 0..<2 {
        let a: StreamError?, b: StreamError?
        do { try model.ingest(profile, mode: .snapshot); a = nil } catch { a = error }
        do { try direct.ingest(pprof: snapshot, mode: .snapshot); b = nil } catch { b = error }
        check(a == b, "round \(round): the model's ingest \(a.map { "\($0)" } ?? "succeeded"), the snapshot's \(b.map { "\($0)" } ?? "succeeded")")
        check(model.state == direct.state, "round \(round): the two ingests built different states")
    }
}

private func checkConsistent(_ p: Profile) {
    for s in p.samples {
        check(s.values.count == p.sampleTypes.count, "a sample with \(s.values.count) values for \(p.sampleTypes.count) sample types")
        for l in s.locations { check(l >= 0 && l < p.locations.count, "a sample refers to location \(l) of \(p.locations.count)") }
    }
    for loc in p.locations {
        if let m = loc.mapping { check(m >= 0 && m < p.mappings.count, "a location refers to mapping \(m) of \(p.mappings.count)") }
        for line in loc.lines {
            check(line.function >= 0 && line.function < p.functions.count, "a line refers to function \(line.function) of \(p.functions.count)")
        }
    }
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-pprof invariant broken: \(message())") }
}
