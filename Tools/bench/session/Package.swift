// swift-tools-version:6.0
import PackageDescription

// The session receive benchmark (`Tools/bench/session.sh`): the collector's receive path for
// sealed DATA datagrams, where its time goes, and its memory under a garbage flood. Not part
// of the main package: built `-c release` by session.sh in its own scratch directory,
// Tools/bench/session/.build-bench.
//
// It needs `Session` and `Noise`, which the main package does not export as products, so
// it depends on Tools/main-products (the main package's modules, by symlink) instead of
// on the main package itself; see that manifest's header.
let package = Package(
    name: "FlameWireSessionBench",
    dependencies: [
        .package(path: "../../main-products")
    ],
    targets: [
        .executableTarget(
            name: "session-bench",
            dependencies: [
                .product(name: "Session", package: "main-products"),
                .product(name: "Noise", package: "main-products"),
                .product(name: "SansIO", package: "main-products"),
                .product(name: "WireFrame", package: "main-products"),
                .product(name: "WirePipeline", package: "main-products"),
                .product(name: "WireCodec", package: "main-products"),
                .product(name: "WireLimits", package: "main-products"),
                .product(name: "Pprof", package: "main-products"),
                .product(name: "Profile", package: "main-products"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
