// swift-tools-version: 6.0
//
// Aerie: remote-sensing image-text retrieval in the terminal.
//
// The module graph mirrors the program:
//   C* ............ one thin system-library module per Debian C library
//   AerieImage .... decoding (PNG, JPEG, TIFF), RGBA8 images, resampling, PNG encoding
//   AerieTerminal . terminal safety (sanitizer, display width), capabilities, previews (chafa, sixel)
//   AerieTensor ... BLAS-backed tensors, kernels and their slow reference twins, safetensors I/O
//   AerieModels ... pretrained encoders (MiniLM text, EfficientNet-Lite image), model store
//   AerieDatasets . caption data set loaders, class folders, plain folders, synthetic scenes
//   AerieIndex .... persisted index (vector file + SQLite), scoring engine, search, evaluation
//   AerieJoint .... the learned joint space: projection heads, losses, training
//   AerieBrowser .. the TUI's pure state, update and view (no ncurses)
//   AerieCurses ... the ncurses runtime that draws the browser's screen buffer
//   aerie ......... the command-line interface
//   aerie-bench ... benchmarks against reference implementations
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
        .target(name: "AerieKernels"),  // C row-block kernels, AVX2/F16C/POPCNT chosen at run time
        .target(name: "AerieImage", dependencies: ["CPNG", "CTurboJPEG", "CTIFF"]),
        .target(name: "AerieTerminal", dependencies: ["AerieImage", "CChafa"]),
        .target(name: "AerieTensor", dependencies: ["COpenBLAS"]),
        .target(name: "AerieModels", dependencies: ["AerieTensor", "AerieImage"]),
        .target(name: "AerieDatasets", dependencies: ["AerieImage"]),
        .target(name: "AerieJoint", dependencies: ["AerieTensor"]),
        .target(
            name: "AerieIndex",
            dependencies: [
                "AerieDatasets", "AerieModels", "AerieTensor", "AerieJoint", "AerieKernels",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "AerieBrowser",
            dependencies: ["AerieTerminal", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "AerieCurses", dependencies: ["AerieBrowser", "AerieTerminal", "CNcursesw"]),

        // Executables.
        .executableTarget(
            name: "aerie",
            dependencies: [
                "AerieImage", "AerieTerminal", "AerieTensor", "AerieModels", "AerieDatasets",
                "AerieIndex", "AerieJoint", "AerieBrowser", "AerieCurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "aerie-bench",
            dependencies: [
                "AerieImage", "AerieTerminal", "AerieTensor", "AerieModels", "AerieIndex",
                "AerieDatasets", "AerieJoint", "AerieBrowser",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests.
        .target(name: "AerieTestSupport", dependencies: ["AerieImage"], path: "Tests/AerieTestSupport"),
        .testTarget(name: "AerieImageTests", dependencies: ["AerieImage", "AerieTestSupport"]),
        .testTarget(name: "AerieTerminalTests", dependencies: ["AerieTerminal", "AerieTestSupport"]),
        .testTarget(name: "AerieTensorTests", dependencies: ["AerieTensor", "AerieTestSupport"]),
        .testTarget(
            name: "AerieModelsTests", dependencies: ["AerieModels", "AerieTestSupport"],
            exclude: ["Fixtures"]  // reference activations, read by path (see EfficientNetLiteTests)
        ),
        .testTarget(name: "AerieDatasetsTests", dependencies: ["AerieDatasets", "AerieTestSupport"]),
        .testTarget(name: "AerieIndexTests", dependencies: ["AerieIndex", "AerieKernels", "AerieTestSupport"]),
        .testTarget(name: "AerieJointTests", dependencies: ["AerieJoint", "AerieTestSupport"]),
        .testTarget(
            name: "AerieEndToEndTests",
            dependencies: ["AerieIndex", "AerieDatasets", "AerieModels", "AerieJoint", "AerieImage", "AerieTensor", "AerieTestSupport"],
            exclude: ["Fixtures"]  // image features of assets/corpus, read by path
        ),
        .testTarget(
            name: "AerieBrowserTests",
            dependencies: ["AerieBrowser", "AerieTestSupport"],
            exclude: ["Golden"]
        ),
    ]
)
