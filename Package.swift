// swift-tools-version:6.0
import PackageDescription

/// FlameWire: ship pprof profiles over lossy, slow links, and render them as flame graphs.
///
/// Modules are named for one concept each and depend only downwards:
/// `Profile` (data model, merge, units) ← `Pprof` / `Folded` (formats) ← `FlameGraph`
/// (layout and SVG) ← `FlameWireCLI` (argument parsing only) ← `flamewire` (entry point).
let package = Package(
    name: "FlameWire",
    products: [
        .executable(name: "flamewire", targets: ["flamewire"]),
        .library(name: "Profile", targets: ["Profile"]),
        .library(name: "Pprof", targets: ["Pprof"]),
        .library(name: "Folded", targets: ["Folded"]),
        .library(name: "FlameGraph", targets: ["FlameGraph"]),
        .library(name: "Compression", targets: ["Compression"]),
        .library(name: "FEC", targets: ["FEC"]),
        .library(name: "WireCodec", targets: ["WireCodec"]),
        .library(name: "WireFrame", targets: ["WireFrame"]),
        .library(name: "WirePipeline", targets: ["WirePipeline"]),
        .library(name: "ProfileFiles", targets: ["ProfileFiles"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries (Debian: zlib1g-dev, libsnappy-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),

        .target(name: "Compression", dependencies: ["CZlib", "CSnappy"]),
        // GF(2^8) bulk kernels (AVX2/SSSE3 with a portable fallback) for Reed–Solomon.
        .target(name: "CGF256"),
        .target(name: "FEC", dependencies: ["CGF256"]),
        .target(name: "WireFrame", dependencies: ["FEC"]),
        .target(
            name: "WireCodec",
            dependencies: ["Profile", "Compression", "FEC", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Profile"),
        .target(
            name: "Pprof",
            dependencies: [
                "Profile", "Compression",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .target(name: "Folded", dependencies: ["Profile"]),
        .target(name: "FlameGraph", dependencies: ["Profile", "Folded"]),
        .target(name: "WirePipeline", dependencies: ["WireCodec", "WireFrame", "Profile", "Compression"]),
        .target(name: "ProfileFiles", dependencies: ["Profile", "Pprof", "Folded", "FlameGraph", "Compression"]),
        .target(
            name: "FlameWireCLI",
            dependencies: [
                "Profile", "Pprof", "Folded", "FlameGraph", "Compression", "ProfileFiles", "WireCodec", "WirePipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "flamewire", dependencies: ["FlameWireCLI"]),

        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "FECTests", dependencies: ["FEC", "TestSupport"]),
        .testTarget(name: "WireCodecTests", dependencies: ["WireCodec", "WireFrame", "Profile", "Pprof", "Folded", "FEC", "Compression", "TestSupport"]),
        .testTarget(name: "ProfileTests", dependencies: ["Profile"]),
        .testTarget(name: "PprofTests", dependencies: ["Pprof", "Profile", "Folded"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoldedTests", dependencies: ["Folded", "Profile"]),
        .testTarget(name: "FlameGraphTests", dependencies: ["FlameGraph", "Folded", "Profile", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ProfileFilesTests", dependencies: ["ProfileFiles", "Profile", "Folded", "FlameGraph"]),
        .testTarget(name: "CLITests", dependencies: ["FlameWireCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
