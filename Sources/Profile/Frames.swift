/// Turning samples into stacks of frames.
///
/// A frame is one line of one location, so inlined calls appear as frames of their own.
extension Profile {
    /// The display name of a frame: the function name, or the hex address for a location
    /// that was never symbolized (pprof shows those the same way).
    public func frameName(location: Int, lineIndex: Int?) -> String {
        let loc = locations[location]
        guard let lineIndex else { return Profile.hexAddress(loc.address) }
        let name = functions[loc.lines[lineIndex].function].name
        return name.isEmpty ? Profile.hexAddress(loc.address) : name
    }

    static func hexAddress(_ address: UInt64) -> String {
        "0x" + String(address, radix: 16)
    }

    /// Calls `body` with each frame name of `sample`, leaf first (innermost inlined
    /// line first within each location).
    @inlinable
    public func forEachFrameLeafFirst(of sample: Sample, _ body: (String) throws -> Void) rethrows {
        for locIndex in sample.locations {
            let loc = locations[locIndex]
            if loc.lines.isEmpty {
                try body(frameName(location: locIndex, lineIndex: nil))
            } else {
                for i in loc.lines.indices { try body(frameName(location: locIndex, lineIndex: i)) }
            }
        }
    }

    /// The frame names of `sample` from the root (outermost caller) to the leaf.
    public func stackRootFirst(of sample: Sample) -> [String] {
        var frames: [String] = []
        frames.reserveCapacity(sample.locations.count + 4)
        forEachFrameLeafFirst(of: sample) { frames.append($0) }
        frames.reverse()
        return frames
    }

    /// The total of one value column over all samples (saturating on overflow).
    public func total(sampleIndex: Int) -> Int64 {
        var sum: Int64 = 0
        for s in samples {
            let (r, o) = sum.addingReportingOverflow(s.values[sampleIndex])
            sum = o ? (s.values[sampleIndex] > 0 ? .max : .min) : r
        }
        return sum
    }
}
