// swift-tools-version:6.0
// madpipe: a declarative experiment pipeline engine for mechanistic anomaly detection research.
import PackageDescription

// One set of Swift settings shared by every target. Swift 5 language mode keeps the
// numeric kernels free of Sendable ceremony; -Ounchecked is applied only in release
// builds so debug builds keep their overflow checks; -enable-testing lets the test suite (which
// runs in release: numerics are ~300x slower in debug) use @testable imports.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v5),
    .unsafeFlags(["-Ounchecked", "-wmo", "-enable-testing"], .when(configuration: .release)),
]

let package = Package(
    name: "madpipe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "madpipe", targets: ["madpipe"]),
        .executable(name: "madpipe-bench", targets: ["madpipe-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),

        // MARK: Engine
        // BuildInfo: madpipe's version, git commit and dirty state (written at build time by the
        // plugin) and the numeric environment; carried by records, manifests, bundles and reports.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), path: "Plugins/BuildInfoPlugin"),
        .target(name: "BuildInfo", swiftSettings: swiftSettings, plugins: ["BuildInfoPlugin"]),
        .target(name: "CBLAKE3Kernels", path: "Sources/CBLAKE3Kernels"),
        .target(name: "CSupervisor", path: "Sources/CSupervisor"),
        .target(name: "PipelineCore",
                dependencies: ["Base", "Yams", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        .target(name: "PipelineStore",
                dependencies: ["Base", "PipelineCore", "BuildInfo", "CBLAKE3Kernels", "CSupervisor", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        // MARK: Science
        .target(name: "Base", swiftSettings: swiftSettings),
        .target(name: "Numerics", dependencies: ["Base", "CBLAS"], swiftSettings: swiftSettings),
        .target(name: "Detectors", dependencies: ["Base", "Numerics", "CBLAS"], swiftSettings: swiftSettings),
        .target(name: "Quirky", dependencies: ["Base"], swiftSettings: swiftSettings),
        .target(name: "Models", dependencies: ["Base", "Numerics", "CBLAS"], swiftSettings: swiftSettings),
        .target(name: "Plot", dependencies: [], swiftSettings: swiftSettings),
        // Report: the HTML report's data model, figures and page, over Plot.
        .target(name: "Report", dependencies: ["Base", "BuildInfo", "Detectors", "Plot"], swiftSettings: swiftSettings),

        // MARK: Stages, executors, CLI
        .target(name: "Stages",
                dependencies: ["Base", "PipelineCore", "PipelineStore", "BuildInfo", "Numerics", "Detectors", "Quirky", "Models", "Plot", "Report"],
                swiftSettings: swiftSettings),
        .target(name: "Executors",
                dependencies: ["Base", "PipelineCore", "PipelineStore", "BuildInfo"],
                swiftSettings: swiftSettings),
        // Bundles: a pipeline's published results and records as one verified archive
        // (export selection, writer, hostile-input reader, import).
        .target(name: "Bundles",
                dependencies: ["Base", "PipelineCore", "PipelineStore", "Executors", "BuildInfo", "CArchive", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),

        .executableTarget(name: "madpipe",
                          dependencies: ["Base", "Executors", "Slurm", "Stages", "Report", "PipelineCore", "PipelineStore", "Bundles", "BuildInfo", "Numerics",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: swiftSettings),

        // Slurm: running a plan's stages as Slurm jobs (sbatch scripts, polling, adoption after a restart).
        .target(name: "Slurm", dependencies: ["Base", "PipelineCore", "PipelineStore", "Executors", "BuildInfo"],
                swiftSettings: swiftSettings),
        // The speed benchmarks, one tool with typed options (bench/*/run.sh call it).
        .executableTarget(name: "madpipe-bench",
                          dependencies: ["Base", "Numerics", "Detectors", "Models", "Quirky",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "bench/MadpipeBench", swiftSettings: swiftSettings),

        // MARK: Tests
        .testTarget(name: "PipelineCoreTests", dependencies: ["PipelineCore", .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PipelineStoreTests", dependencies: ["Base", "PipelineStore"],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "BundlesTests", dependencies: ["Base", "PipelineCore", "PipelineStore", "Bundles", "CArchive"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "NumericsTests", dependencies: ["Base", "Numerics"],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "DetectorsTests", dependencies: ["Base", "Detectors", "Numerics"],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "QuirkyTests", dependencies: ["Base", "Quirky"],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "ModelsTests", dependencies: ["Base", "Models", "Numerics"],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "ReportTestSupport"], swiftSettings: swiftSettings),
        // Test support: sample data shared by several test targets (never linked into madpipe).
        .target(name: "ReportTestSupport", dependencies: ["Base", "Report"], path: "Tests/ReportTestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "ReportTests", dependencies: ["Base", "Detectors", "Report", "ReportTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "StagesTests", dependencies: ["Base", "Stages", "Report", "ReportTestSupport", "PipelineCore", "PipelineStore"], swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["Base", "madpipe", "Executors", "Slurm", "Stages", "PipelineCore", "PipelineStore", "Bundles", "BuildInfo"],
                    swiftSettings: swiftSettings),
    ]
)
