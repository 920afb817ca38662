// swift-tools-version:6.1
import PackageDescription

/// `BRIDGED_FUZZ=1` (set by `scripts/fuzz.sh`, which builds in its own `.build-fuzz`) instruments the
/// project's own modules for libFuzzer and AddressSanitizer and adds the `bridged-fuzz` driver.
let fuzzing = Context.environment["BRIDGED_FUZZ"] == "1"
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
] + fuzzFlags

let package = Package(
    name: "bridged",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bridged", targets: ["bridged"]),
        .library(name: "BridgeModel", targets: ["BridgeModel"]),
        .library(name: "PolicyGate", targets: ["PolicyGate"]),
        .library(name: "Adapters", targets: ["Adapters"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .target(
            name: "BridgeModel",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PolicyGate",
            dependencies: ["BridgeModel"],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CExpat",
            path: "Sources/Adapters/CExpat",
            pkgConfig: "expat",
            providers: [.apt(["libexpat1-dev"])]
        ),
        .target(
            name: "Adapters",
            dependencies: [
                "BridgeModel",
                "CExpat",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["CExpat"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "bridged",
            dependencies: [
                "BridgeModel",
                "PolicyGate",
                "Adapters",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Adapters", "BridgeModel",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/Fuzz/Targets",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PeerHarness",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/PeerHarness",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BridgeModelTests",
            dependencies: ["BridgeModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PolicyGateTests",
            dependencies: ["PolicyGate", "BridgeModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdaptersTests",
            dependencies: [
                "Adapters", "BridgeModel", "PeerHarness", "FuzzTargets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The email corpus is read through #filePath, not as resources.
            exclude: ["Email/Corpus", "Email/IMAP/Transcripts"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "bridgedTests",
            dependencies: [
                "bridged", "BridgeModel", "PolicyGate", "Adapters", "PeerHarness",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

if fuzzing {
    package.targets.append(
        .executableTarget(
            name: "bridged-fuzz",
            dependencies: ["FuzzTargets"],
            path: "Tests/Fuzz/Driver",
            // No Swift `main`: libFuzzer's runs and calls LLVMFuzzerTestOneInput.
            swiftSettings: strictSettings + [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
        )
    )
    package.products.append(.executable(name: "bridged-fuzz", targets: ["bridged-fuzz"]))
}
