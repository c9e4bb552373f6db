// swift-tools-version:6.0
import PackageDescription

// The load generators (`Tools/bench/load.sh`, `Tools/bench/datagrams.sh`): many agents playing real sessions against one
// `flamewire collect` process over loopback UDP. Not part of the main package: built
// `-c release` by load.sh in its own scratch
// directory, Tools/bench/load/.build-bench.
//
/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/load/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireLoadBench",
    dependencies: [.package(path: "../../.."), .package(path: "../capture")],
    targets: [
        .executableTarget(
            name: "load-bench",
            dependencies: [
                .product(name: "BenchCapture", package: "capture"),
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "Keys", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "UDPRuntime", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
        // The replay generator (`Tools/bench/datagrams.sh`): few agents, many datagrams.
        .executableTarget(
            name: "replay-bench",
            dependencies: [
                .product(name: "BenchCapture", package: "capture"),
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "Keys", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "UDPRuntime", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
