// swift-tools-version:6.0
import PackageDescription

// The store benchmark (`Tools/bench/store.sh`): SQLite append throughput and long-range reads
// (a flame graph over an hour or a day of windows) with checkpoints against replaying every
// window. Not part of the main package: built `-c release` by store.sh in its own scratch
// directory, Tools/bench/store/.build-bench.
//
/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/store/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireStoreBench",
    dependencies: [.package(path: "../../..")],
    targets: [
        .executableTarget(
            name: "store-bench",
            dependencies: [
                .product(name: "Store", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
