// swift-tools-version:6.0
import PackageDescription

// The session receive benchmark (`Tools/bench/session.sh`): the collector's receive path for
// sealed DATA datagrams, where its time goes, and its memory under a garbage flood. Not part
// of the main package: built `-c release` by session.sh in its own scratch directory,
// Tools/bench/session/.build-bench.
//
/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// taken from where this manifest sits: `<root>/Tools/bench/session/Package.swift`.
let mainPackage: String = {
    let parts = #filePath.split(separator: "/")
    return parts.count >= 5 ? String(parts[parts.count - 5]) : "FlameWire"
}()

let package = Package(
    name: "FlameWireSessionBench",
    dependencies: [
        .package(path: "../../.."),
        .package(path: "../capture"),
        // swift-crypto's ChaChaPoly, the reference the libcrypto open is compared with (the
        // main package depends on it too, so this resolves to the same checkout).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .executableTarget(
            name: "session-bench",
            dependencies: [
                .product(name: "BenchCapture", package: "capture"),
                .product(name: "Session", package: mainPackage),
                .product(name: "Noise", package: mainPackage),
                .product(name: "SansIO", package: mainPackage),
                .product(name: "WireFrame", package: mainPackage),
                .product(name: "WirePipeline", package: mainPackage),
                .product(name: "WireCodec", package: mainPackage),
                .product(name: "WireLimits", package: mainPackage),
                .product(name: "Pprof", package: mainPackage),
                .product(name: "Profile", package: mainPackage),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
