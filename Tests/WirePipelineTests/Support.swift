import Profile
@_exported import TestSupport
@testable import WireCodec

func info(for p: Profile, type: String) -> StreamInfo {
    StreamInfo(describing: p, service: "sample", profileType: type)
}

func mode(for type: String) -> IngestMode { type == "cpu" ? .delta : .snapshot }
