import ArgumentParser
import Foundation
import AerieImage
import AerieModels
import AerieTensor
#if canImport(Glibc)
import Glibc
#endif

/// `aerie-bench image-encoder`: image encoder images/s in Aerie against PyTorch CPU.
///
/// EfficientNet-Lite runs in PyTorch through its reference package; geoembed's own reference runs
/// on NetCL, so its PyTorch side is the same network written with `torch.nn.functional` in the
/// script (numerical agreement with NetCL is the tests' business, not the benchmark's).
/// Both engines run the same network with the same converted weights on the same preprocessed
/// input (written once by Aerie's preprocessing), with the same thread count, each in its own
/// child process so that each one's peak memory is its own. Only the forward pass up to the
/// pooled features is timed, on both sides; the figure is the median time per batch.
struct ImageEncoderBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-encoder",
        abstract: "EfficientNet-Lite0/2 and geoembed images/s: Aerie against PyTorch CPU, same inputs and threads.",
        discussion: """
            PyTorch comes from --python, else $AERIE_BENCH_PYTHON, else a virtual environment the \
            benchmark creates under ${XDG_CACHE_HOME:-~/.cache}/aerie/bench-venv (pip install torch \
            efficientnet-lite-pytorch==0.1.0). The models must be installed (scripts/models/install.py).
            """)

    @Option(name: .customLong("model"), help: "Models to measure (repeatable): efficientnet-lite0, efficientnet-lite2, geoembed.")
    var models: [String] = ["efficientnet-lite0", "efficientnet-lite2", "geoembed"]

    @Option(name: .customLong("batch"), help: "Batch sizes to measure (repeatable).")
    var batches: [Int] = [1, 8]

    @Option(help: "Threads for both engines (OpenBLAS and Aerie's kernels; torch.set_num_threads).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds each measurement runs at least.")
    var seconds: Double = 3

    @Option(help: "The Python with torch and efficientnet-lite-pytorch.")
    var python: String?

    @Option(name: .customLong("models"), help: "Model store (default: $AERIE_MODELS or the XDG cache).")
    var store: String?

    // Internal: the child process that times Aerie.
    @Option(help: .hidden) var worker: String?
    @Option(help: .hidden) var input: String?
    @Option(help: .hidden) var images: Int = 0

    func run() throws {
        if worker != nil {
            try runWorker()
            return
        }
        let store = ModelStore(explicit: store)
        let python = try PythonReference.interpreter(
            explicit: python, modules: ["torch", "efficientnet_lite_pytorch"],
            requirements: ["torch", "efficientnet-lite-pytorch==0.1.0"])
        let script = PythonReference.script("bench/image_encoder_reference.py")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        print("image-encoder: \(threads) thread(s); timed: the forward pass from the preprocessed input to the embedding; median per batch")
        print("model               batch  aerie img/s  pytorch img/s  ratio  aerie peak MiB  pytorch peak MiB  checksum Δ")
        for model in models {
            let preprocessor = try Self.preprocessor(model)
            guard store.isInstalled(model) else {
                throw ValidationError("\(model) is not installed in \(store.root.path): run scripts/models/install.py")
            }
            let count = 2 * (batches.max() ?? 1)
            let inputURL = scratch.appendingPathComponent("\(model).f32")
            try Self.writeInput(preprocessor: preprocessor, count: count, to: inputURL)
            for batch in batches {
                let common = ["--images", "\(count)", "--batch", "\(batch)", "--threads", "\(threads)", "--seconds", "\(seconds)"]
                let aerie = try PythonReference.jsonResult(Subprocess.run(
                    Self.executablePath,
                    ["image-encoder", "--worker", "swift", "--model", model, "--input", inputURL.path,
                     "--models", store.root.path] + common), from: "aerie-bench worker")
                let torch = try PythonReference.jsonResult(Subprocess.run(
                    python,
                    [script.path, "--model", model, "--weights", store.weightsURL(model).path, "--input", inputURL.path,
                     "--resolution", "\(preprocessor.resolution)"] + common), from: script.lastPathComponent)
                let a = aerie["images_per_second"] ?? 0, t = torch["images_per_second"] ?? 0
                let delta = abs((aerie["checksum"] ?? 0) - (torch["checksum"] ?? 0)) / max(abs(torch["checksum"] ?? 1), 1)
                print(model.padding(toLength: 19, withPad: " ", startingAt: 0) + String(
                    format: " %5d  %11.2f  %13.2f  %5.2f  %14.0f  %16.0f  %.1e", batch, a, t, t > 0 ? a / t : 0,
                             (aerie["peak_rss_kib"] ?? 0) / 1024, (torch["peak_rss_kib"] ?? 0) / 1024, delta))
            }
        }
    }

    /// This executable, to run the Aerie side as a child process.
    static var executablePath: String {
        Bundle.main.executableURL?.path ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// The preprocessing of a model the benchmark knows.
    static func preprocessor(_ model: String) throws -> ImagePreprocessor {
        if let config = EfficientNetLiteConfig.named(model) { return .imageNet(resolution: config.resolution) }
        if model == "geoembed" { return GeoEmbedEncoder.preprocessor(.v3) }
        throw ValidationError("unknown model \(model) (known: efficientnet-lite0, efficientnet-lite2, geoembed)")
    }

    /// Deterministic synthetic scenes (gradients and hashed noise), preprocessed as Aerie does.
    static func writeInput(preprocessor: ImagePreprocessor, count: Int, to url: URL) throws {
        var images: [RGBAImage] = []
        for i in 0..<count {
            let (w, h) = (preprocessor.resolution + 37 * (i % 3), preprocessor.resolution + 21 * (i % 2))
            var image = RGBAImage(width: w, height: h)
            for y in 0..<h {
                for x in 0..<w {
                    let hash = (UInt32(x) &* 73_856_093 ^ UInt32(y) &* 19_349_663 ^ UInt32(i) &* 2_654_435_761) &* 2_246_822_519
                    let noise = UInt8((hash >> 13) & 63)
                    image[x, y] = (UInt8(x * 191 / w) &+ noise, UInt8(y * 191 / h) &+ noise, UInt8((x + y) * 95 / (w + h)) &+ noise, 255)
                }
            }
            images.append(image)
        }
        let tensor = preprocessor.tensor(images)
        try tensor.data.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: url)
    }

    /// The child process: loads the encoder, times `features` on the input file, prints JSON.
    func runWorker() throws {
        guard let model = models.first, let input, images > 0, let batch = batches.first else {
            throw ValidationError("worker needs --model, --input, --images and --batch")
        }
        BLAS.setThreads(threads)
        let r = try Self.preprocessor(model).resolution
        let forward: (Tensor) -> Tensor
        if model == "geoembed" {
            let encoder = try GeoEmbedEncoder(store: ModelStore(explicit: store), name: model, verifyHash: false)
            forward = { encoder.embed($0) }
        } else {
            let encoder = try EfficientNetLiteEncoder(store: ModelStore(explicit: store), name: model, verifyHash: false)
            forward = { encoder.features($0) }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: input))
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard values.count == images * r * r * 3 else { throw ValidationError("input has \(values.count) floats, expected \(images * r * r * 3)") }
        let batchFloats = batch * r * r * 3
        let inputs = stride(from: 0, through: values.count - batchFloats, by: batchFloats).map {
            Tensor(shape: [batch, r, r, 3], data: Array(values[$0 ..< $0 + batchFloats]))
        }
        let checksum = forward(inputs[0]).data.reduce(0, +)  // warm-up, allocates the workspace
        var times: [Double] = []
        let started = DispatchTime.now().uptimeNanoseconds
        var i = 0
        while Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < seconds || times.count < 3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = forward(inputs[i % inputs.count])
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            i += 1
        }
        times.sort()
        let median = times[times.count / 2]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result: [String: Double] = [
            "median_seconds": median, "images_per_second": Double(batch) / median,
            "peak_rss_kib": Double(usage.ru_maxrss), "checksum": Double(checksum), "iterations": Double(times.count),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
