// swift-tools-version:6.0
import PackageDescription

// The shared-store benchmark (`Tools/bench/clickhouse.sh`): many agents' streams inserted into
// ClickHouse and into SQLite, then merged flame graphs over the range from each. Not part of
// the main package: built `-c release` by clickhouse.sh in its own scratch directory,
// Tools/bench/clickhouse/.build-bench.
//
/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/clickhouse/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireClickHouseBench",
    dependencies: [.package(path: "../../..")],
    targets: [
        .executableTarget(
            name: "clickhouse-bench",
            dependencies: [
                .product(name: "Store", package: mainPackage),
                .product(name: "ClickHouse", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
