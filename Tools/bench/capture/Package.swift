// swift-tools-version:6.0
import PackageDescription

// What the benchmarks that play real sessions share (`session.sh`, `load.sh`,
// `datagrams.sh`): an agent and a collector established in memory whose DATA datagrams are
// captured as the agent sends them, and the growing states a load agent replays. Not part of
// the main package; the bench packages depend on it by path.
//
/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/capture/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireBenchCapture",
    products: [.library(name: "BenchCapture", targets: ["BenchCapture"])],
    dependencies: [.package(path: "../../..")],
    targets: [
        .target(
            name: "BenchCapture",
            dependencies: [
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "Keys", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
