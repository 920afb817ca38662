// swift-tools-version:6.1
// Benchmarks live in their own package so the main build and CI don't pay for them.
//   cd Tests/Benchmarks && swift package benchmark            # gate and codec micro-benchmarks
//   Tests/Benchmarks/pipeline.sh                              # the in-process pipeline, durable commits
//   Tests/Benchmarks/xmpp.sh, webhook.sh                      # through a real Prosody, beside its own ceiling
//   Tests/Benchmarks/all.sh                                   # the whole set
import PackageDescription

let package = Package(
    name: "bridged-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bridged", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GateAndCodecs",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BridgeModel", package: "bridged"),
                .product(name: "PolicyGate", package: "bridged"),
                .product(name: "Adapters", package: "bridged"),
            ],
            path: "Benchmarks/GateAndCodecs",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
