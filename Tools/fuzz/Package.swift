// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for FlameWire's decoders. Not part of the main package: this package
// depends on it by path and is built by `Tools/fuzz/run.sh` (which has the build flags)
// in its own scratch directory, Tools/fuzz/.build-fuzz.

/// SwiftPM names a path dependency after its directory (`main`, `flamewire`, a CI clone's
/// name...), so the main package's identity is taken from where this manifest sits:
/// `<root>/Tools/fuzz/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 4 ? String(parts[parts.count - 4]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireFuzz",
    dependencies: [
        .package(path: "../.."),
        // For the session fuzzers' own mac1 and CONTROL sealing (the version the main package pins).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .executableTarget(
            name: "fuzz-folded",
            dependencies: [
                .product(name: "Folded", package: mainPackage),
                .product(name: "FlameGraph", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "fuzz-pprof",
            dependencies: [
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Wire protocol fuzzers (SPEC.md §5–7) and what they share with the seed generator.
        .target(
            name: "WireFuzzSupport",
            dependencies: [
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "FEC", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
        .executableTarget(
            name: "fuzz-datagram",
            dependencies: [
                "WireFuzzSupport",
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "FEC", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "fuzz-bundle",
            dependencies: [
                "WireFuzzSupport",
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "fuzz-fec",
            dependencies: ["WireFuzzSupport", .product(name: "FEC", package: mainPackage)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "fuzz-window",
            dependencies: [
                "WireFuzzSupport",
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "Compression", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Session fuzzers (SPEC.md §10–§11): CONTROL frames and handshake datagrams against
        // sessions established in memory with seeded keys (SessionFuzzSupport).
        .target(
            name: "SessionFuzzSupport",
            dependencies: [
                "WireFuzzSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
        .executableTarget(
            name: "fuzz-control",
            dependencies: [
                "SessionFuzzSupport",
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(
            name: "fuzz-handshake",
            dependencies: [
                "SessionFuzzSupport",
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Writes corpus/{datagram,bundle,fec,window,control,handshake}/; built without sanitizers by
        // corpus/make-wire-seeds.sh (never by run.sh).
        .executableTarget(
            name: "wire-seeds",
            dependencies: [
                "WireFuzzSupport",
                "SessionFuzzSupport",
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "FEC", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "Compression", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
