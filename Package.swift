// swift-tools-version:6.1
// voxgate: speech-corpus ingestion and validation.
//
// Layers, one way down (a module never imports one to its right):
//   C modules → VoxgateAudio (decoding, encoding) → VoxgateDSP (pure kernels)
//   → VoxgateCorpus (model, config, checks) → VoxgatePipeline (staged workers)
//   → VoxgateLedger (SQLite: what every run saw and decided)
//   → VoxgateOutputs (the writers: decisions, shards, totals, manifests, datasheets)
//   → VoxgateRun (the run's stages: list, plan, analyse, decide, release; and merge) → voxgate (thin CLI)
// VoxgateReport and VoxgateReview read an output folder (VoxgateOutputs), beside VoxgateRun.
// What one voxgate module gives another and nobody outside the package is `package`, not `public`.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The DSP kernels and the language identifier are optimised in debug builds too when VOXGATE_OPTIMIZE_KERNELS
/// is set (scripts/env.sh sets it, so scripts/test and everyone building here get it): unoptimised SIMD code is
/// tens of times slower, which made the test suite crawl through TestAudio. Opt-in, because `unsafeFlags` in a
/// target of the exported `VoxgateOutputs` library would make the package unusable as a dependency: a package
/// depending on voxgate never sets it, and gets no unsafe flags.
let optimizeKernels = Context.environment["VOXGATE_OPTIMIZE_KERNELS"].map { !$0.isEmpty && $0 != "0" } ?? false
let optimizedEvenInDebug: [SwiftSetting] =
    strictSettings + (optimizeKernels ? [.unsafeFlags(["-O"], .when(configuration: .debug))] : [])

let package = Package(
    name: "voxgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "voxgate", targets: ["voxgate"]),
        .library(name: "VoxgateOutputs", targets: ["VoxgateOutputs"]),
        .library(name: "VoxgateRun", targets: ["VoxgateRun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: - C libraries (apt providers; no Swift inside)
        .systemLibrary(
            name: "CSndfile", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(
            name: "CFLAC", pkgConfig: "flac",
            providers: [.apt(["libflac-dev"])]),
        .systemLibrary(
            name: "COpus", pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]),
        // libogg: Ogg pages and packets for voxgate's own Ogg Opus reader (OggOpusBackend).
        .systemLibrary(
            name: "COgg", pkgConfig: "ogg",
            providers: [.apt(["libogg-dev"])]),
        .systemLibrary(
            name: "CSoxr", pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]),
        // xxHash: XXH3-128, the PCM identity (VoxgatePipeline's PCMDigest).
        .systemLibrary(
            name: "CXXHash", pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]),
        // glibc's <malloc.h> (mallopt): the C library itself, nothing to link.
        .systemLibrary(name: "CMalloc"),

        // MARK: - Thin Swift wrappers over the C libraries
        .target(
            name: "VoxgateAudio",
            dependencies: ["CSndfile", "CFLAC", "COpus", "COgg", "CSoxr"],
            swiftSettings: strictSettings),

        // MARK: - Pure DSP kernels (no I/O)
        // The widest kernels again in C, compiled for AVX2 per function (target attributes, no flags) and chosen at
        // run time by VoxgateDSP's DSPKernels: the binary still runs on any x86-64 and builds on arm64.
        .target(name: "CVoxgateKernels"),
        .target(
            name: "VoxgateDSP",
            dependencies: ["CVoxgateKernels", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: optimizedEvenInDebug),

        // MARK: - Corpus model, configuration and checks
        .target(
            name: "VoxgateCorpus",
            dependencies: ["VoxgateAudio", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimizedEvenInDebug),

        // MARK: - Staged workers
        .target(
            name: "VoxgatePipeline",
            dependencies: [
                "VoxgateAudio", "VoxgateDSP", "VoxgateCorpus", "CXXHash",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),

        // MARK: - The ledger: SQLite (GRDB), the source of truth of an output folder
        .target(
            name: "VoxgateLedger",
            dependencies: [
                "VoxgatePipeline", "VoxgateCorpus",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings),

        // MARK: - Outputs: decisions, shards, totals
        .target(
            name: "VoxgateOutputs",
            dependencies: [
                "VoxgatePipeline", "VoxgateCorpus", "VoxgateLedger", "CMalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),

        // MARK: - The run: its stages in order (List, Plan, Analyse, Decide, Release) and Merge, over the writers
        .target(
            name: "VoxgateRun",
            dependencies: [
                "VoxgateOutputs", "VoxgatePipeline", "VoxgateCorpus", "VoxgateLedger", "VoxgateAudio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),

        // MARK: - The validation report (reads an output folder)
        .target(
            name: "VoxgateReport",
            dependencies: ["VoxgateOutputs", "VoxgateCorpus"],
            swiftSettings: strictSettings),

        // MARK: - The review server (Hummingbird): reviewers' votes over an output folder
        .target(
            name: "VoxgateReview",
            dependencies: [
                "VoxgateOutputs", "VoxgateLedger", "VoxgateCorpus", "VoxgateReport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // MARK: - Thin CLI
        .executableTarget(
            name: "voxgate",
            dependencies: [
                "VoxgateOutputs", "VoxgateRun", "VoxgateCorpus", "VoxgateReport", "VoxgateReview",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // MARK: - Benchmark (prints figures; never a timed test)
        .executableTarget(
            name: "voxgate-bench",
            dependencies: [
                "VoxgateOutputs", "VoxgateRun", "VoxgatePipeline", "VoxgateAudio", "VoxgateCorpus", "VoxgateDSP",
                "VoxgateReport",
            ],
            path: "Benchmarks/voxgate-bench",
            swiftSettings: strictSettings),

        // MARK: - Fuzzing (scripts/fuzz builds it with -sanitize=fuzzer,address; plain builds replay inputs)
        .executableTarget(
            name: "voxgate-fuzz",
            dependencies: ["VoxgateAudio", "VoxgateCorpus", "VoxgateDSP"],
            path: "Fuzz/VoxgateFuzz",
            swiftSettings: strictSettings),

        // MARK: - Tests
        // libebur128, the independent loudness reference: linked by the tests only.
        .systemLibrary(
            name: "CEbur128", path: "Tests/CEbur128", pkgConfig: "libebur128",
            providers: [.apt(["libebur128-dev"])]),
        .testTarget(
            name: "VoxgateTests",
            dependencies: [
                "VoxgateAudio", "VoxgateDSP", "VoxgateCorpus", "VoxgatePipeline", "VoxgateLedger", "VoxgateOutputs",
                "VoxgateRun", "VoxgateReport", "VoxgateReview", "CEbur128",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Parses the Kubernetes manifests in pipelines/k8s/ (ClusterRecipesTests).
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Golden"],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
