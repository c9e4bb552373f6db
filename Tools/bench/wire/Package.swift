// swift-tools-version:6.0
import PackageDescription

// The wire benchmark (`Tools/bench/wire.sh`): sizes on the wire, codec time per window and
// Reed–Solomon throughput. Not part of the main package: this package depends on it by
// path and is built `-c release` by wire.sh in its own scratch directory,
// Tools/bench/wire/.build-bench.

/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/wire/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireWireBench",
    dependencies: [
        .package(path: "../../..")
    ],
    targets: [
        .executableTarget(
            name: "wire-bench",
            dependencies: [
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "WirePipeline", package: mainPackage),
                .product(name: "FEC", package: mainPackage),
                .product(name: "Compression", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
