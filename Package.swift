// swift-tools-version:6.0
import PackageDescription

/// FlameWire: ship pprof profiles over lossy, slow links, and render them as flame graphs.
///
/// Modules are named for one concept each; arrows point from a module to what it uses.
///
/// Profiles and rendering:
///   `Profile` (data model, merge, units, no dependencies)
///   `Pprof` → Profile, Compression, SwiftProtobuf (pprof decode and encode)
///   `Folded` → Profile (folded stacks)
///   `FlameGraph` → Profile, Folded (flame tree, layout, SVG)
///   `ProfileFiles` → Profile, Pprof, Folded, FlameGraph, Compression (files, format detection)
/// Wire protocol (all sans-IO: bytes and time in, bytes and events out):
///   `Compression` → CZlib, CSnappy (gzip and snappy through system libraries)
///   `FEC` → CGF256 (Reed–Solomon over GF(2^8), SIMD kernels in C)
///   `WireLimits` (the constants of SPEC.md §2, for every wire module)
///   `WireCodec` → Profile, WireLimits, SwiftProtobuf (stream state, dictionary, window delta codec)
///   `WireFrame` → FEC, WireLimits, SansIO (datagram header, bundle directory, symbols, blocks, reassembly)
///   `WirePipeline` → WireCodec, WireFrame, WireLimits, Compression, Profile, FEC (window sender and
///     receiver: bundles of the windows sent together)
///   `SansIO` (time and the endpoint contract the runtime and the simulator drive)
///   `CLibcrypto` (OpenSSL's libcrypto as a system library: ChaCha20-Poly1305 through EVP)
///   `Noise` → SansIO, WireLimits, CLibcrypto, Crypto (Noise IK handshake and cookies on swift-crypto;
///     transport keys, which seal and open datagrams through CLibcrypto; replay window)
///   `NetSim` → SansIO (seeded simulated links in virtual time)
///   `Keys` → Noise (base64 key text, private key files with safe permissions)
///   `Session` → WirePipeline, WireCodec, WireFrame, WireLimits, Noise, SansIO, Profile (agent and
///     collector session state machines: handshake, sealing, ACKs, RTT, repair, interval)
///   `Simulator` → Session, NetSim, ProfileFiles (an agent and a collector over a simulated link:
///     `flamewire simulate` and the acceptance tests)
/// Runtime (I/O at the edge):
///   `UDPRuntime` → SansIO, NIOCore, NIOPosix (a sans-IO endpoint on a real UDP socket: SwiftNIO
///     event loop, monotonic time, timers from `nextWakeup`, vector reads, DSCP)
///   `Relay` → NetSim, UDPRuntime, SansIO, NIOCore, NIOPosix (NetSim's link applied to real UDP in
///     real time: `flamewire relay`)
///   `Agent` → Session, UDPRuntime, Pprof, Noise (a Go service's pprof over HTTP into an agent
///     session: `flamewire agent`)
///   `ClickHouse` (a blocking client for ClickHouse's HTTP interface and its RowBinary format)
///   `Store` → CSQLite, ClickHouse, WireCodec, Profile, Compression (where decoded windows are kept:
///     the `ProfileStore` interface, its SQLite backend with time ranges from checkpoints, and its
///     ClickHouse backend, shared by many collectors, with ranges merged in the database)
///   `Collector` → Store, Session, UDPRuntime, WireCodec, ProfileFiles, FlameGraph (a collector session
///     on UDP, its streams as profiles, pprof and SVG files: `flamewire collect`)
///   `CollectorHTTP` → Collector, FlameGraph, Folded, Pprof, Hummingbird (index, flame graphs,
///     pprof, folded, Prometheus metrics, health: `flamewire collect --http`)
/// Command line:
///   `FlameWireCLI` → the modules above, ArgumentParser (argument parsing only)
///   `flamewire` → FlameWireCLI (entry point)
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
        .library(name: "WireLimits", targets: ["WireLimits"]),
        .library(name: "WireFrame", targets: ["WireFrame"]),
        .library(name: "WirePipeline", targets: ["WirePipeline"]),
        .library(name: "ProfileFiles", targets: ["ProfileFiles"]),
        .library(name: "SansIO", targets: ["SansIO"]),
        .library(name: "Noise", targets: ["Noise"]),
        .library(name: "Keys", targets: ["Keys"]),
        .library(name: "Session", targets: ["Session"]),
        .library(name: "NetSim", targets: ["NetSim"]),
        .library(name: "Simulator", targets: ["Simulator"]),
        .library(name: "UDPRuntime", targets: ["UDPRuntime"]),
        .library(name: "Relay", targets: ["Relay"]),
        .library(name: "Agent", targets: ["Agent"]),
        .library(name: "Collector", targets: ["Collector"]),
        .library(name: "CollectorHTTP", targets: ["CollectorHTTP"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "ClickHouse", targets: ["ClickHouse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian: zlib1g-dev, libsnappy-dev, libssl-dev, libsqlite3-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(name: "Compression", dependencies: ["CZlib", "CSnappy"]),
        // GF(2^8) bulk kernels (AVX2/SSSE3 with a portable fallback) for Reed–Solomon.
        .target(name: "CGF256"),
        .target(name: "FEC", dependencies: ["CGF256"]),
        .target(name: "WireLimits"),
        .target(name: "WireFrame", dependencies: ["FEC", "WireLimits", "SansIO"]),
        .target(name: "WireCodec", dependencies: ["Profile", "Pprof", "WireLimits", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Profile"),
        .target(
            name: "Pprof",
            dependencies: [
                "Profile", "Compression",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .target(name: "Folded", dependencies: ["Profile"]),
        .target(name: "FlameGraph", dependencies: ["Profile", "Folded"]),
        .target(name: "WirePipeline", dependencies: ["WireCodec", "Pprof", "WireFrame", "WireLimits", "Profile", "Compression", "FEC"]),
        .target(name: "SansIO"),
        .target(name: "Noise", dependencies: ["SansIO", "WireLimits", "CLibcrypto", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "NetSim", dependencies: ["SansIO"]),
        .target(name: "Keys", dependencies: ["Noise"]),
        .target(name: "Simulator", dependencies: ["Session", "NetSim", "Noise", "SansIO", "WireCodec", "WireFrame", "Profile", "ProfileFiles"]),
        .target(name: "Session", dependencies: ["FEC", "WirePipeline", "WireCodec", "Pprof", "WireFrame", "WireLimits", "Noise", "SansIO", "Profile"]),
        .target(name: "UDPRuntime", dependencies: ["SansIO", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .target(name: "Relay", dependencies: ["NetSim", "UDPRuntime", "SansIO", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .target(name: "EventLog", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "Lifecycle", dependencies: [.product(name: "Logging", package: "swift-log"),
                                                 .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .target(name: "Agent", dependencies: ["Session", "UDPRuntime", "Pprof", "Profile", "ProfileFiles", "Folded", "Noise", "SansIO", "WireCodec", "WireFrame",
                                             "EventLog", .product(name: "Logging", package: "swift-log"),
                                             .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                             .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                                             .product(name: "NIOHTTP1", package: "swift-nio")]),
        .target(name: "ClickHouse"),
        .target(name: "Store", dependencies: ["CSQLite", "ClickHouse", "WireCodec", "Profile", "Compression"]),
        .target(name: "Collector", dependencies: ["Store", "Session", "UDPRuntime", "WireCodec", "WirePipeline", "Profile", "ProfileFiles", "FlameGraph", "Noise", "Keys", "SansIO",
                                                 "EventLog", .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                 .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                                                 .product(name: "Metrics", package: "swift-metrics"),
                                                 .product(name: "NIOPosix", package: "swift-nio")]),
        .target(name: "CollectorHTTP", dependencies: ["Collector", "Store", "FlameGraph", "Folded", "Pprof", "Profile", "ProfileFiles", "Keys", "Session", "SansIO", "WireCodec",
                                                     .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                                                     .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                                                     .product(name: "Logging", package: "swift-log"),
                                                     .product(name: "Metrics", package: "swift-metrics"),
                                                     .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(name: "ProfileFiles", dependencies: ["Profile", "Pprof", "Folded", "FlameGraph", "Compression"]),
        .target(
            name: "FlameWireCLI",
            dependencies: [
                "Profile", "Pprof", "Folded", "FlameGraph", "ProfileFiles", "WireCodec", "WirePipeline", "Keys", "Simulator", "NetSim", "Relay", "UDPRuntime", "Agent", "Collector", "CollectorHTTP", "Store", "ClickHouse", "Noise", "SansIO",
                "EventLog", "Lifecycle", .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "flamewire", dependencies: ["FlameWireCLI"]),

        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .target(name: "TestSupport", dependencies: ["Pprof", "Profile", "Folded"], path: "Tests/TestSupport"),
        .testTarget(name: "FECTests", dependencies: ["FEC", "TestSupport"]),
        .testTarget(name: "WireCodecTests", dependencies: ["WireCodec", "WireFrame", "WirePipeline", "Profile", "Pprof", "Folded", "FEC", "Compression", "TestSupport"]),
        .testTarget(name: "ProfileTests", dependencies: ["Profile"]),
        .testTarget(name: "PprofTests", dependencies: ["Pprof", "Profile", "Folded"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoldedTests", dependencies: ["Folded", "Profile"]),
        .testTarget(name: "FlameGraphTests", dependencies: ["FlameGraph", "Folded", "Profile", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ProfileFilesTests", dependencies: ["ProfileFiles", "Profile", "Folded", "FlameGraph"]),
        .testTarget(name: "WireFrameTests", dependencies: ["WireFrame", "FEC", "TestSupport"]),
        .testTarget(name: "WirePipelineTests", dependencies: ["WirePipeline", "WireCodec", "WireFrame", "Profile", "Pprof", "Compression", "TestSupport"]),
        .testTarget(name: "WireLimitsTests", dependencies: ["WireLimits"]),
        .testTarget(name: "SansIOTests", dependencies: ["SansIO"]),
        .testTarget(name: "NoiseTests", dependencies: ["Noise", "SansIO", .product(name: "Crypto", package: "swift-crypto")], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeysTests", dependencies: ["Keys", "Noise"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Session", "NetSim", "SansIO", "TestSupport"]),
        .testTarget(name: "SessionTests", dependencies: ["Session", "NetSim", "Noise", "SansIO", "WirePipeline", "WireCodec", "WireFrame", "Profile", "TestSupport"]),
        .testTarget(name: "NetSimTests", dependencies: ["NetSim", "SansIO"]),
        .testTarget(name: "CLITests", dependencies: ["FlameWireCLI", "TestSupport"]),
        .testTarget(name: "UDPRuntimeTests", dependencies: ["UDPRuntime", "Relay", "Session", "Noise", "NetSim", "SansIO", "Profile", "TestSupport", "WireCodec", "WireFrame", "WirePipeline",
                                                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "AgentCollectorTests", dependencies: ["Agent", "Collector", "EventLog", .product(name: "Logging", package: "swift-log"), "Store", "Keys", "TestSupport", "WireFrame", "Relay", "UDPRuntime", "Session", "Noise", "NetSim", "Profile", "Pprof", "SansIO", "WireCodec",
                                                               .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                                                               .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "CollectorHTTPTests", dependencies: ["CollectorHTTP", "Collector", "Store", "UDPRuntime", "Session", "Noise", "Profile", "Pprof",
                                                              "SansIO", "WireCodec", "WireFrame", "TestSupport"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle", .product(name: "Logging", package: "swift-log"),
                                                          .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "ClickHouseTests", dependencies: ["ClickHouse"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "ClickHouse", "WireCodec", "Profile", "Pprof", "TestSupport"]),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "UDPRuntime", "NetSim", "SansIO",
                                                      .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
    ],
    swiftLanguageModes: [.v6]
)
