import Foundation
import Pprof
import Profile
@testable import WireCodec

/// The real Go profiles beside the repository (`../shared/samples/go119`).
enum Samples {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/samples/go119")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }

    static func profile(_ name: String) throws -> Profile { try PprofDecoder.decode(try bytes(name)) }

    static func names(_ prefix: String, _ range: ClosedRange<Int>, width: Int = 3) -> [String] {
        range.map { i in
            let n = String(i)
            return prefix + String(repeating: "0", count: max(0, width - n.count)) + n + ".pb.gz"
        }
    }

    static let heap = names("heap-", 1...15)
    static let cpu = names("cpu-", 1...6, width: 2)
    static let goroutine = names("goroutine-", 1...5)
    static let mutex = names("mutex-", 1...5)
    static let block = names("block-", 1...5)
    static let allocs = names("allocs-", 1...5)
}

func info(for p: Profile, type: String) -> StreamInfo {
    StreamInfo(service: "sample", profileType: type, columns: p.sampleTypes, columnKinds: StreamInfo.goColumnKinds(p.sampleTypes),
               periodType: p.periodType, period: p.period, defaultSampleType: p.defaultSampleType ?? "")
}

func mode(for type: String) -> IngestMode { type == "cpu" ? .delta : .snapshot }
