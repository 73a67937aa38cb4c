// swift-tools-version: 6.0
//
// Aerie: remote-sensing image-text retrieval in the terminal.
//
// The module graph mirrors the program, bottom to top (docs/architecture.md walks it):
//   C* ............. one thin system-library module per Debian C library; CRowKernels, our C scan kernels
//   AerieCore ...... what every layer shares: the seeded generator, the lock, L2 normalisation, model identity,
//                    checked output (files the user names, standard streams)
//   AerieImage ..... decoding (PNG, JPEG, TIFF), RGBA8 images, resampling, views, PNG encoding
//   AerieTerminal .. terminal safety (sanitizer, display width), capabilities, previews (chafa, sixel)
//   AerieTensor .... BLAS-backed tensors, kernels and their slow reference twins, safetensors I/O
//   AerieModels .... pretrained encoders (MiniLM text, EfficientNet-Lite image), model store and registry
//   AerieDatasets .. caption data set loaders, class folders, plain folders
//   AerieSynth ..... the synthetic aerial-scene generator (the bundled corpus)
//   AerieEvaluation  retrieval metrics (R@K/mR, P@K/AP/nDCG), tie rules, hubness corrections, labels and qrels
//   AerieJoint ..... the learned joint space: projection heads, losses, training
//   AerieIndex ..... persistence (index: vector files + SQLite; label store) and the scoring engine
//   AerieRetrieval . the retrieval session: configuration, models, queries, search, feedback, indexing,
//                    evaluation, training-set assembly
//   AerieBrowser ... the TUI's pure state, update and view, and its backend over the session
//   AerieCurses .... the ncurses runtime that draws the browser's screen buffer
//   aerie .......... the command-line interface: arguments, output, exit codes
//   aerie-bench .... benchmarks against reference implementations
import PackageDescription

/// A system-library target for one Debian C library: a module map and a shim header, nothing else.
func systemLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/CLibraries/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let package = Package(
    name: "Aerie",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "aerie", targets: ["aerie"]),
        .executable(name: "aerie-bench", targets: ["aerie-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // C libraries, each behind one thin module.
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        systemLibrary("CTIFF", pkgConfig: "libtiff-4", apt: "libtiff-dev"),
        systemLibrary("CChafa", pkgConfig: "chafa", apt: "libchafa-dev"),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CNcursesw", pkgConfig: "ncursesw", apt: "libncursesw5-dev"),

        // Libraries.
        .target(name: "CRowKernels"),  // C row-block kernels, AVX2/AVX-512/F16C/POPCNT chosen at run time
        .target(name: "AerieCore"),
        .target(name: "AerieImage", dependencies: ["CPNG", "CTurboJPEG", "CTIFF"]),
        .target(name: "AerieTerminal", dependencies: ["AerieCore", "AerieImage", "CChafa"]),
        .target(name: "AerieTensor", dependencies: ["AerieCore", "COpenBLAS"]),
        .target(name: "AerieModels", dependencies: ["AerieCore", "AerieTensor", "AerieImage"]),
        .target(name: "AerieDatasets", dependencies: ["AerieImage"]),
        .target(name: "AerieSynth", dependencies: ["AerieCore", "AerieImage", "AerieDatasets"]),
        .target(name: "AerieEvaluation", dependencies: ["AerieCore", "AerieTensor"]),
        .target(name: "AerieJoint", dependencies: ["AerieCore", "AerieTensor", "AerieEvaluation"]),
        .target(
            name: "AerieIndex",
            dependencies: [
                "AerieCore", "AerieDatasets", "AerieModels", "AerieTensor", "AerieJoint", "AerieEvaluation", "CRowKernels",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "AerieRetrieval",
            dependencies: ["AerieCore", "AerieImage", "AerieTensor", "AerieModels", "AerieDatasets", "AerieEvaluation",
                           "AerieJoint", "AerieIndex"]
        ),
        .target(
            name: "AerieBrowser",
            dependencies: ["AerieCore", "AerieImage", "AerieTerminal", "AerieEvaluation", "AerieIndex", "AerieRetrieval"]
        ),
        .target(name: "AerieCurses", dependencies: ["AerieCore", "AerieBrowser", "AerieEvaluation", "AerieTerminal", "CNcursesw"]),

        // Executables.
        .executableTarget(
            name: "aerie",
            dependencies: [
                "AerieCore", "AerieImage", "AerieTerminal", "AerieTensor", "AerieModels", "AerieDatasets", "AerieSynth",
                "AerieEvaluation", "AerieIndex", "AerieJoint", "AerieRetrieval", "AerieBrowser", "AerieCurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "aerie-bench",
            dependencies: [
                "AerieCore", "AerieImage", "AerieTerminal", "AerieTensor", "AerieModels", "AerieIndex",
                "AerieDatasets", "AerieSynth", "AerieEvaluation", "AerieJoint", "AerieRetrieval", "AerieBrowser",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests.
        .target(
            name: "AerieTestSupport",
            dependencies: ["AerieCore", "AerieImage", "AerieTensor", "AerieModels", "AerieDatasets", "AerieJoint"],
            path: "Tests/AerieTestSupport"
        ),
        .testTarget(name: "AerieCoreTests", dependencies: ["AerieCore", "AerieTestSupport"]),
        .testTarget(name: "AerieImageTests", dependencies: ["AerieCore", "AerieImage", "AerieTestSupport"]),
        .testTarget(name: "AerieTerminalTests", dependencies: ["AerieTerminal", "AerieTestSupport"]),
        .testTarget(name: "AerieTensorTests", dependencies: ["AerieCore", "AerieTensor", "AerieTestSupport"]),
        .testTarget(
            name: "AerieModelsTests", dependencies: ["AerieCore", "AerieModels", "AerieTestSupport"],
            exclude: ["Fixtures"]  // reference activations, read by path (see EfficientNetLiteTests)
        ),
        .testTarget(name: "AerieDatasetsTests", dependencies: ["AerieCore", "AerieDatasets", "AerieTestSupport"]),
        .testTarget(name: "AerieSynthTests", dependencies: ["AerieCore", "AerieImage", "AerieDatasets", "AerieSynth", "AerieTestSupport"]),
        .testTarget(name: "AerieEvaluationTests", dependencies: ["AerieCore", "AerieTensor", "AerieEvaluation", "AerieTestSupport"]),
        .testTarget(
            name: "AerieIndexTests",
            dependencies: ["AerieCore", "AerieEvaluation", "AerieIndex", "AerieJoint", "AerieModels", "CRowKernels", "AerieTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "AerieJointTests", dependencies: ["AerieCore", "AerieEvaluation", "AerieJoint", "AerieTestSupport"]),
        .testTarget(
            name: "AerieRetrievalTests",
            dependencies: ["AerieCore", "AerieImage", "AerieTensor", "AerieModels", "AerieDatasets", "AerieEvaluation", "AerieJoint",
                           "AerieIndex", "AerieRetrieval", "AerieTestSupport"]
        ),
        .testTarget(
            name: "AerieEndToEndTests",
            dependencies: ["AerieCore", "AerieIndex", "AerieDatasets", "AerieModels", "AerieJoint", "AerieImage", "AerieTensor",
                           "AerieEvaluation", "AerieRetrieval", "AerieTestSupport"],
            exclude: ["Fixtures"]  // image features of assets/corpus, read by path
        ),
        .testTarget(
            name: "AerieBrowserTests",
            dependencies: ["AerieCore", "AerieImage", "AerieBrowser", "AerieEvaluation", "AerieTestSupport"],
            exclude: ["Golden"]
        ),
    ]
)
