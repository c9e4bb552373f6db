import Pprof
import Profile

/// libFuzzer entry point for the pprof decoder (raw or gzip-compressed protobuf).
///
/// Besides crashes, a decoded profile that breaks the model's promise (`Profile` in
/// Sources/Profile/Model.swift: "every reference points at an element that exists", one
/// value per sample type) is a finding and stops the run. So is any disagreement between
/// `decode` (ProfileReader, straight from the wire format) and the reference path through
/// the generated protobuf messages: both must refuse an input, or both decode it alike.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPprof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let reader = try? PprofDecoder.decode(bytes)
    let reference = try? PprofDecoder.decodeThroughMessages(bytes)
    check(reader == reference, reader == nil ? "the reader refused what the generated messages decoded"
          : reference == nil ? "the reader decoded what the generated messages refused" : "the two decoders built different profiles")
    guard let profile = reader else { return 0 }
    checkConsistent(profile)
    return 0
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
