// swift-tools-version:6.0
import PackageDescription

// The main package's library modules, including the ones it does not export as products
// (`SansIO`, `Noise`, `Session`), for the tool packages that need them: Tools/fuzz and
// Tools/bench/session depend on this package by path instead of on the main one.
//
// Sources/<Module> here are symlinks to the main package's Sources/<Module>: the same
// files, compiled with the tool's own flags. A package graph cannot hold both this
// package and the main one (their targets share names), and SwiftPM cannot depend on a
// target that is not a product, so this is the one way to reach `Session` from outside
// without changing the main manifest.
//
// Keep the targets' dependencies equal to the main Package.swift's. Once the main package
// exports `SansIO`, `Noise` and `Session` as library products, delete this directory and
// point the tools back at `../..` (Tools/fuzz) and `../../..` (Tools/bench/session).
let package = Package(
    name: "FlameWireProducts",
    products: [
        .library(name: "Profile", targets: ["Profile"]),
        .library(name: "Pprof", targets: ["Pprof"]),
        .library(name: "Folded", targets: ["Folded"]),
        .library(name: "FlameGraph", targets: ["FlameGraph"]),
        .library(name: "Compression", targets: ["Compression"]),
        .library(name: "FEC", targets: ["FEC"]),
        .library(name: "WireCodec", targets: ["WireCodec"]),
        .library(name: "WireLimits", targets: ["WireLimits"]),
        .library(name: "WireFrame", targets: ["WireFrame"]),
        .library(name: "WirePipeline", targets: ["WirePipeline"]),
        .library(name: "SansIO", targets: ["SansIO"]),
        .library(name: "Noise", targets: ["Noise"]),
        .library(name: "Session", targets: ["Session"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .target(name: "Compression", dependencies: ["CZlib", "CSnappy"]),
        .target(name: "CGF256"),
        .target(name: "FEC", dependencies: ["CGF256"]),
        .target(name: "WireLimits"),
        .target(name: "SansIO"),
        .target(name: "WireFrame", dependencies: ["FEC", "WireLimits", "SansIO"]),
        .target(name: "Profile"),
        .target(name: "WireCodec", dependencies: ["Profile", "WireLimits", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Pprof", dependencies: ["Profile", "Compression", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Folded", dependencies: ["Profile"]),
        .target(name: "FlameGraph", dependencies: ["Profile", "Folded"]),
        .target(name: "WirePipeline", dependencies: ["WireCodec", "WireFrame", "WireLimits", "Profile", "Compression"]),
        .target(name: "Noise", dependencies: ["SansIO", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Session", dependencies: ["FEC", "WirePipeline", "WireCodec", "WireFrame", "WireLimits", "Noise", "SansIO", "Profile"]),
    ],
    swiftLanguageModes: [.v6]
)
