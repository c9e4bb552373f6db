import FlameGraph
import Folded
import Profile

/// libFuzzer entry point for the folded-stacks readers.
///
/// Every input goes through `FoldedReader.profile(from:)` and through
/// `FlameTreeBuilder.addFolded(bytes:firstLine:isFinal:)` (whole, in two chunks, and
/// reversed). Besides crashes, a broken invariant is a finding and stops the run:
/// - a decoded profile refers only to elements that exist;
/// - feeding the input in two chunks builds the same tree, or fails the same way, as
///   feeding it whole;
/// - the tree's total equals the sum of the profile's sample values, and reversing
///   does not change the total;
/// - the reader and the builder reject the same inputs on the same line (overflow aside:
///   the reader checks per-stack sums, the builder the grand total).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFolded(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    let readerResult: Result<Profile, FoldedError> = Result { () throws(FoldedError) in try FoldedReader.profile(from: bytes) }
    if case .success(let profile) = readerResult { checkConsistent(profile) }

    let whole = buildTree(bytes, split: nil, reverse: false)
    let split = size > 1 ? Int(bytes[size / 2]) % size : 0
    let chunked = buildTree(bytes, split: split, reverse: false)
    switch (whole, chunked) {
    case (.success(let a), .success(let b)):
        check(a.names == b.names && a.parent == b.parent && a.nameIndex == b.nameIndex && a.value == b.value,
              "chunked input (split at \(split)) built a different tree")
    case (.failure(let a), .failure(let b)):
        check(sameFailure(a, b), "chunked input failed differently: \(a) vs \(b)")
    default:
        check(false, "chunked input (split at \(split)) and whole input disagree: \(whole) vs \(chunked)")
    }

    switch (readerResult, whole) {
    case (.success(let profile), .success(let tree)):
        var sum: Int64 = 0
        for s in profile.samples { sum &+= s.values[0] }
        check(tree.total == sum, "tree total \(tree.total) != profile total \(sum)")
        if case .success(let reversed) = buildTree(bytes, split: nil, reverse: true) {
            check(reversed.total == tree.total, "reversed total \(reversed.total) != total \(tree.total)")
        } else {
            check(false, "the reversed build failed where the forward one succeeded")
        }
    case (.failure(let a), .failure(let b)):
        if !isOverflow(a) && !isOverflow(b) { check(sameFailure(a, b), "reader and builder fail differently: \(a) vs \(b)") }
    case (.success, .failure(let e)):
        check(isOverflow(e), "builder rejects what the reader accepts: \(e)")
    case (.failure(let e), .success):
        check(false, "reader rejects what the builder accepts: \(e)")
    }
    return 0
}

private func buildTree(_ bytes: [UInt8], split: Int?, reverse: Bool) -> Result<FlameTree, FoldedError> {
    var builder = FlameTreeBuilder(valueType: FoldedReader.valueType, reverse: reverse)
    let r: Result<Void, FoldedError> = bytes.withUnsafeBytes { raw in
        Result { () throws(FoldedError) in
            guard let split else {
                try builder.addFolded(bytes: raw)
                return
            }
            let first = try builder.addFolded(
                bytes: UnsafeRawBufferPointer(rebasing: raw[0..<split]), firstLine: 1, isFinal: false)
            check(first.consumed <= split, "consumed \(first.consumed) of a \(split)-byte chunk")
            try builder.addFolded(
                bytes: UnsafeRawBufferPointer(rebasing: raw[first.consumed...]), firstLine: 1 + first.lines,
                isFinal: true)
        }
    }
    switch r {
    case .success:
        // An input of blank lines only has no stacks; building it must still work.
        return .success(builder.build())
    case .failure(let e): return .failure(e)
    }
}

/// Same case and line; a `tooDeep` depth may be counted differently.
private func sameFailure(_ a: FoldedError, _ b: FoldedError) -> Bool {
    switch (a, b) {
    case (.tooDeep(let l1, _), .tooDeep(let l2, _)): return l1 == l2
    default: return a == b
    }
}

private func isOverflow(_ e: FoldedError) -> Bool {
    if case .totalOverflow = e { return true }
    return false
}

private func checkConsistent(_ p: Profile) {
    for s in p.samples {
        check(!s.locations.isEmpty, "a sample without frames")
        check(s.values.count == p.sampleTypes.count, "a sample with \(s.values.count) values for \(p.sampleTypes.count) types")
        for l in s.locations { check(l >= 0 && l < p.locations.count, "sample refers to location \(l) of \(p.locations.count)") }
        check(s.values.allSatisfy { $0 >= 0 }, "a negative folded count")
    }
    for loc in p.locations {
        for line in loc.lines {
            check(line.function >= 0 && line.function < p.functions.count, "location refers to function \(line.function) of \(p.functions.count)")
        }
    }
}

private func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz-folded invariant broken: \(message())") }
}
