// swift-tools-version: 6.0
import PackageDescription

// The module map follows the data flow in Sources/Stormglass/Stormglass.docc/Architecture.md:
//   SimulationKernel  – virtual clock, event set, random streams (knows nothing about clusters)
//   ClusterModel      – nodes, replicas, services, routing, workload, faults; emits Telemetry
//   Telemetry         – the observation/heartbeat/action vocabulary shared by both sides
//   ControlPlane      – predictor, autoscaler, self-healer, incidents: imports Telemetry only
//   ScenarioKit       – the Swift DSL, validation, and the run loop that wires the two sides
//   Recorder          – SQLite (GRDB) results store
//   Charts            – gnuplot charts drawn from the store
//   Kubernetes        – Deployment, HorizontalPodAutoscaler and KEDA ScaledObject manifests read as scenario data
let package = Package(
    name: "Stormglass",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stormglass", targets: ["stormglass"]),
        .library(name: "Stormglass", targets: ["Stormglass"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        // Live mode: Prometheus's HTTP API (timeouts, pooling, redirects, TLS) without writing an HTTP client.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The testbed's worker is a few routes on SwiftNIO, which async-http-client builds already: no new build minutes.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // HMAC for signed webhooks; async-http-client builds swift-crypto already (through swift-certificates).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // `swift package generate-documentation` for the DocC catalog: a plugin, built only when it is run.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .target(name: "SimulationKernel"),
        .target(name: "Statistics"),
        .target(name: "Telemetry"),
        .target(name: "Calibration", dependencies: ["ClusterModel", "SimulationKernel", "Statistics"]),
        .target(
            name: "ClusterModel",
            dependencies: [
                "SimulationKernel", "Telemetry",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "BasicContainers", package: "swift-collections"),
            ]
        ),
        .target(name: "ControlPlane", dependencies: ["Telemetry", "Statistics"]),
        .target(name: "Chaos", dependencies: ["ClusterModel", "SimulationKernel", "Telemetry"]),
        .target(name: "ScenarioKit", dependencies: ["ClusterModel", "ControlPlane", "Chaos", "Telemetry", "SimulationKernel"]),
        .target(
            name: "Lab",
            dependencies: ["ScenarioKit", "Chaos", "ClusterModel", "ControlPlane", "Recorder", "SimulationKernel", "Statistics", "Telemetry"]
        ),
        .target(name: "Reports", dependencies: ["Lab", "ScenarioKit", "Recorder", "Statistics", "Telemetry", "SimulationKernel", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Recorder",
            dependencies: ["Telemetry", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(
            name: "Kubernetes",
            dependencies: ["Calibration", "ScenarioKit", "ControlPlane", "ClusterModel", "SimulationKernel", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Charts",
            dependencies: ["Recorder", "Telemetry", "SimulationKernel"]
        ),
        .target(
            name: "LiveMetrics",
            dependencies: ["ClusterModel", "SimulationKernel", "Telemetry", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .target(
            name: "Testbed",
            dependencies: [
                "ClusterModel", "LiveMetrics", "SimulationKernel", "Telemetry",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "LiveControl",
            dependencies: [
                "ControlPlane", "Kubernetes", "LiveMetrics", "Recorder", "Telemetry",
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(name: "Scenarios", dependencies: ["ScenarioKit"], path: "scenarios"),
        .target(
            name: "StormglassCLI",
            dependencies: [
                "Calibration", "ScenarioKit", "Lab", "Reports", "Recorder", "Charts", "ControlPlane", "Kubernetes", "LiveMetrics", "LiveControl", "Testbed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "Stormglass",
            dependencies: ["StormglassCLI", "Lab", "Reports", "Recorder", "ScenarioKit", "Kubernetes", "ControlPlane", "Chaos", "ClusterModel", "SimulationKernel", "Statistics", "Telemetry"]
        ),
        .executableTarget(name: "stormglass", dependencies: ["Stormglass", "Scenarios"]),
        .testTarget(name: "SimulationKernelTests", dependencies: ["SimulationKernel"]),
        .testTarget(
            name: "KubernetesTests",
            dependencies: ["Kubernetes", "ScenarioKit", "Lab", "ControlPlane", "ClusterModel", "SimulationKernel", "Telemetry"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "ControlPlaneTests", dependencies: ["ControlPlane", "Telemetry", "Statistics"]),
        .testTarget(
            name: "ClusterModelTests",
            dependencies: ["ClusterModel", "SimulationKernel", "Telemetry", .product(name: "Histogram", package: "hdrhistogram-swift"),
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "StormglassTests",
            dependencies: ["Stormglass", "ScenarioKit", "Scenarios", "Lab", "Kubernetes", "Reports", "Recorder", "StormglassCLI", "ControlPlane", "Charts", "Chaos", "Statistics",
                           "Telemetry", "ClusterModel", "SimulationKernel", "LiveMetrics", "LiveControl", "Testbed", "Calibration", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
