import AerieCore
import Foundation
import AerieImage
import AerieTensor

/// Errors loading the geoembed model.
public enum GeoEmbedError: Error, Equatable, CustomStringConvertible {
    /// The weights file does not fit the configuration; every problem is listed.
    case weightsDoNotMatchConfig(path: String, problems: [String])

    public var description: String {
        switch self {
        case let .weightsDoNotMatchConfig(path, problems):
            "\(path): weights do not match geoembed v3: " + problems.prefix(8).joined(separator: "; ")
                + (problems.count > 8 ? "; and \(problems.count - 8) more" : "")
        }
    }
}

/// The hyper-parameters of geoembed v3 (`TileEncoderV3` of `geoembed` 1.1.2): a CIFAR-style
/// ResNet-18 (3×3 stride-1 stem, no max-pool, four stages of two basic blocks) on 128 px tiles,
/// a 4×4 average-pool grid, a linear layer to 256 values and L2 normalisation.
public struct GeoEmbedConfig: Sendable, Equatable {
    public var resolution = 128
    public var base = 64
    public var poolGrid = 4
    public var dimension = 256
    /// netcl's BatchNorm2d default.
    public var batchNormEpsilon = 1e-5

    public static let v3 = GeoEmbedConfig()

    /// (stage, block, input channels, output channels, stride) of every basic block.
    public var blocks: [(stage: Int, block: Int, input: Int, output: Int, stride: Int)] {
        var out: [(Int, Int, Int, Int, Int)] = []
        var channels = base
        for stage in 1...4 {
            let width = base << (stage - 1)
            for block in 0..<2 {
                out.append((stage, block, channels, width, stage > 1 && block == 0 ? 2 : 1))
                channels = width
            }
        }
        return out
    }

    /// The side of the last stage's activations.
    public var finalSide: Int { resolution / 8 }
    /// Channels of the last stage.
    public var finalChannels: Int { base * 8 }

    /// Every tensor the weights file must hold, with its shape.
    public var expectedTensors: [String: [Int]] {
        var tensors: [String: [Int]] = ["embed_dim": [1], "base_channels": [1], "pool_size": [1]]
        func batchNorm(_ prefix: String, _ c: Int) {
            for field in ["weight", "bias", "running_mean", "running_var"] { tensors["\(prefix).\(field)"] = [c] }
        }
        tensors["bb.stem.0.weight"] = [base, 3, 3, 3]
        batchNorm("bb.stem.1", base)
        for b in blocks {
            let p = "bb.layer\(b.stage).\(b.block)"
            tensors["\(p).conv1.weight"] = [b.output, b.input, 3, 3]
            batchNorm("\(p).bn1", b.output)
            tensors["\(p).conv2.weight"] = [b.output, b.output, 3, 3]
            batchNorm("\(p).bn2", b.output)
            if b.stride != 1 || b.input != b.output {
                tensors["\(p).short.0.weight"] = [b.output, b.input, 1, 1]
                batchNorm("\(p).short.1", b.output)
            }
        }
        // netcl's Linear stores its weight as (in, out).
        tensors["fc.weight"] = [finalChannels * poolGrid * poolGrid, dimension]
        tensors["fc.bias"] = [dimension]
        return tensors
    }

    /// Every way `file` differs from this configuration; empty when it fits.
    public func problems(in file: SafeTensorsFile) -> [String] {
        let expected = expectedTensors
        var problems: [String] = []
        for name in expected.keys.sorted() {
            guard let entry = file.entries[name] else {
                problems.append("tensor \(name) is missing")
                continue
            }
            if entry.shape != expected[name] {
                problems.append("tensor \(name) has shape \(entry.shape), expected \(expected[name] ?? [])")
            }
            let scalar = ["embed_dim", "base_channels", "pool_size"].contains(name)
            if scalar ? !["I32", "I64"].contains(entry.dtype) : !["F32", "F16", "BF16"].contains(entry.dtype) {
                problems.append("tensor \(name) has dtype \(entry.dtype), expected \(scalar ? "I32" : "F32")")
            }
        }
        for name in file.names where expected[name] == nil {
            problems.append("tensor \(name) is not part of geoembed v3")
        }
        for (name, value) in [("embed_dim", dimension), ("base_channels", base), ("pool_size", poolGrid)] {
            if let stored = try? file.tensor(name).data.first, Int(stored) != value {
                problems.append("\(name) is \(Int(stored)), expected \(value)")
            }
        }
        return problems
    }
}

/// geoembed v3: aerial-imagery ResNet-18 embeddings, 256 values of unit length.
///
/// Preprocessing as `geoembed.preprocess`: resize to 128×128 (PIL bilinear, aspect not kept),
/// `(pixel / 255 − 0.5) / 0.5`. Activations are NHWC; every 3×3 convolution is im2col and one
/// matrix product per image (the im2col matrix of a whole batch would be hundreds of MB).
public struct GeoEmbedEncoder: ImageEncoding {
    public let identity: ModelIdentity
    public let config: GeoEmbedConfig
    public let preprocessor: ImagePreprocessor
    let weights: GeoEmbedWeights
    let workspaces = GeoEmbedWorkspaceCache()

    /// The most images one forward pass holds (about 17 MB of activations per image).
    public var maxBatch = 8

    /// Loads the installed model `name` (default `geoembed`) from `store`.
    ///
    /// - Throws: ``ModelStoreError``, ``SafeTensorsError`` or ``GeoEmbedError``.
    public init(store: ModelStore, name: String = "geoembed", verifyHash: Bool = true) throws {
        let card = verifyHash ? try store.verify(name) : try store.card(name)
        let config = GeoEmbedConfig.v3
        let file = try SafeTensorsFile(contentsOf: store.weightsURL(name))
        try self.init(config: config, file: file,
                      identity: ModelIdentity(name: name, weightsSHA256: card.weightsSHA256, dimension: config.dimension))
    }

    /// Builds the encoder from a weights file already opened.
    public init(config: GeoEmbedConfig, file: SafeTensorsFile, identity: ModelIdentity) throws {
        let problems = config.problems(in: file)
        guard problems.isEmpty else { throw GeoEmbedError.weightsDoNotMatchConfig(path: file.path, problems: problems) }
        self.config = config
        self.identity = identity
        self.preprocessor = Self.preprocessor(config)
        self.weights = try GeoEmbedWeights(config: config, file: file)
    }

    /// `geoembed.preprocess`: PIL bilinear squash to the square, `(pixel / 255 − 0.5) / 0.5`.
    public static func preprocessor(_ config: GeoEmbedConfig) -> ImagePreprocessor {
        ImagePreprocessor(resolution: config.resolution, mean: SIMD3(repeating: 0.5),
                          standardDeviation: SIMD3(repeating: 0.5), filter: .bilinear, keepAspect: false)
    }

    /// Unit-length embeddings of `images`, in order: `[images.count, 256]`.
    public func encode(_ images: [RGBAImage]) throws -> Tensor {
        encodeInChunks(images, maxBatch: maxBatch, dimension: config.dimension) { embed(preprocessor.tensor($0)) }
    }

    /// Runs the network on preprocessed images `(n, 128, 128, 3)`; returns `(n, 256)`, unit rows.
    ///
    /// - Parameter observe: when given, called with a copy of the activations (NHWC) after
    ///   `stem`, `layer<s>.<b>` for every block, and `pooled` (`(n, 4, 4, 512)`).
    public func embed(_ input: Tensor, observe: ((String, Tensor) -> Void)? = nil) -> Tensor {
        let r = config.resolution
        precondition(input.shape.count == 4 && Array(input.shape[1...]) == [r, r, 3],
                     "expected (n, \(r), \(r), 3) input, got \(input.shape)")
        let n = input.shape[0]
        var output = Tensor(zeros: [n, config.dimension])
        workspaces.withWorkspace(batch: n, config: config) { ws in
            input.data.withUnsafeBufferPointer { x in
                output.data.withUnsafeMutableBufferPointer { o in
                    if let xBase = x.baseAddress, let oBase = o.baseAddress {
                        run(xBase, batch: n, workspace: ws, output: oBase, observe: observe)
                    }
                }
            }
        }
        return output
    }

    private func run(_ input: UnsafePointer<Float>, batch n: Int, workspace ws: GeoEmbedWorkspace,
                     output: UnsafeMutablePointer<Float>, observe: ((String, Tensor) -> Void)?) {
        func report(_ stage: String, _ buffer: UnsafePointer<Float>, side: Int, channels: Int) {
            guard let observe else { return }
            observe(stage, Tensor(shape: [n, side, side, channels],
                                  data: Array(UnsafeBufferPointer(start: buffer, count: n * side * side * channels))))
        }
        /// One convolution over the batch, an image at a time (so im2col needs one image's room).
        func convolve(_ layer: FoldedConvolution, _ x: UnsafePointer<Float>, side: Int, kernel: Int, stride: Int,
                      activation: Activation, residual: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) -> Int {
            let g = ConvolutionGeometry.symmetric(batch: 1, height: side, width: side, kernel: kernel, stride: stride, pad: kernel / 2)
            let inStride = side * side * layer.inputChannels
            let outStride = g.outputHeight * g.outputWidth * layer.outputChannels
            for i in 0..<n {
                layer.dense(x + i * inStride, geometry: g, activation: activation,
                            residual: residual.map { $0 + i * outStride }, columns: ws.columns, output: out + i * outStride)
            }
            return g.outputHeight
        }

        var x = ws.a, hidden = ws.b, shortcut = ws.c, spare = ws.d
        // Stem: (n, 128, 128, 3) -> (n, 128, 128, 64), 3×3, ReLU.
        var side = convolve(weights.stem, input, side: config.resolution, kernel: 3, stride: 1,
                            activation: .relu, residual: nil, into: x)
        report("stem", x, side: side, channels: config.base)
        for (spec, block) in zip(config.blocks, weights.blocks) {
            // h = relu(bn1(conv1(x))); out = relu(bn2(conv2(h)) + shortcut(x))
            let inputSide = side
            side = convolve(block.conv1, x, side: inputSide, kernel: 3, stride: spec.stride, activation: .relu,
                            residual: nil, into: hidden)
            var residual = UnsafePointer(x)
            if let short = block.shortcut {
                _ = convolve(short, x, side: inputSide, kernel: 1, stride: spec.stride, activation: .identity,
                             residual: nil, into: shortcut)
                residual = UnsafePointer(shortcut)
            }
            _ = convolve(block.conv2, hidden, side: side, kernel: 3, stride: 1, activation: .relu,
                         residual: residual, into: spare)
            swap(&x, &spare)
            report("layer\(spec.stage).\(spec.block)", x, side: side, channels: spec.output)
        }

        // Average pool into a 4×4 grid: (n, 16, 16, 512) -> (n, 4, 4, 512).
        let c = config.finalChannels, grid = config.poolGrid, window = side / grid
        let pooled = ws.pooled
        pooled.update(repeating: 0, count: n * grid * grid * c)
        for i in 0..<n {
            for y in 0..<side {
                for xx in 0..<side {
                    let src = x + ((i * side + y) * side + xx) * c
                    let dst = pooled + ((i * grid + y / window) * grid + xx / window) * c
                    for ch in 0..<c { dst[ch] += src[ch] }
                }
            }
        }
        let scale = 1 / Float(window * window)
        for j in 0..<(n * grid * grid * c) { pooled[j] *= scale }
        report("pooled", pooled, side: grid, channels: c)

        // fc: pooled (n, 8192) @ W (8192, 256) + b, rows of W reordered to NHWC at load.
        weights.fcWeight.withUnsafeBufferPointer { w in
            weights.fcBias.withUnsafeBufferPointer { b in
                guard let w = w.baseAddress, let b = b.baseAddress else { return }
                BLAS.sgemm(m: n, n: config.dimension, k: grid * grid * c, pooled, w, output)
                Convolution.addBias(output, rows: n, channels: config.dimension, bias: b, activation: .identity)
            }
        }
        // L2 normalisation, with the reference's floor of 1e-8 on the norm.
        for i in 0..<n {
            L2.normalize(output + i * config.dimension, count: config.dimension, floor: 1e-8)
        }
    }
}

/// geoembed's folded weights.
struct GeoEmbedWeights: Sendable {
    struct Block: Sendable {
        var conv1: FoldedConvolution
        var conv2: FoldedConvolution
        var shortcut: FoldedConvolution?
    }

    var stem: FoldedConvolution
    var blocks: [Block]
    /// `(8192, 256)` with rows in NHWC order `(y, x, channel)`.
    var fcWeight: [Float]
    var fcBias: [Float]

    init(config: GeoEmbedConfig, file: SafeTensorsFile) throws {
        let eps = config.batchNormEpsilon
        stem = try .load(file, conv: "bb.stem.0", bn: "bb.stem.1", epsilon: eps, layout: .dense)
        blocks = try config.blocks.map { b in
            let p = "bb.layer\(b.stage).\(b.block)"
            let hasShortcut = b.stride != 1 || b.input != b.output
            return Block(
                conv1: try .load(file, conv: "\(p).conv1", bn: "\(p).bn1", epsilon: eps, layout: .dense),
                conv2: try .load(file, conv: "\(p).conv2", bn: "\(p).bn2", epsilon: eps, layout: .dense),
                shortcut: hasShortcut ? try .load(file, conv: "\(p).short.0", bn: "\(p).short.1", epsilon: eps, layout: .dense) : nil)
        }
        let w = try file.tensor("fc.weight")
        let (c, grid, d) = (config.finalChannels, config.poolGrid, config.dimension)
        var reordered = [Float](repeating: 0, count: w.count)
        for ch in 0..<c {
            for y in 0..<grid {
                for x in 0..<grid {
                    let from = (ch * grid + y) * grid + x  // NCHW flattening of the reference
                    let to = (y * grid + x) * c + ch
                    reordered.replaceSubrange(to * d ..< (to + 1) * d, with: w.data[from * d ..< (from + 1) * d])
                }
            }
        }
        fcWeight = reordered
        fcBias = try file.tensor("fc.bias").data
    }
}

/// Scratch for up to `batch` images: four activation buffers, one image's im2col matrix, the pooled grid.
final class GeoEmbedWorkspace {
    let batch: Int
    let a, b, c, d: UnsafeMutablePointer<Float>
    let columns: UnsafeMutablePointer<Float>
    let pooled: UnsafeMutablePointer<Float>

    init(batch n: Int, config: GeoEmbedConfig) {
        let r = config.resolution
        // The largest activation is the first stage's (r × r × base); later stages halve the side
        // and double the channels, so they are smaller.
        let activations = n * r * r * config.base
        batch = n
        a = .allocate(capacity: activations)
        b = .allocate(capacity: activations)
        c = .allocate(capacity: activations)
        d = .allocate(capacity: activations)
        var largestColumns = r * r * 9 * 3
        for block in config.blocks {
            let side = r >> (block.stage - 1)
            largestColumns = max(largestColumns, side * side * 9 * block.output)
        }
        columns = .allocate(capacity: largestColumns)
        pooled = .allocate(capacity: n * config.poolGrid * config.poolGrid * config.finalChannels)
    }

    deinit {
        a.deallocate(); b.deallocate(); c.deallocate(); d.deallocate(); columns.deallocate(); pooled.deallocate()
    }
}

/// The workspace for the largest batch size used so far (see ``WorkspaceCache``).
final class GeoEmbedWorkspaceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var current: GeoEmbedWorkspace?

    func withWorkspace<R>(batch: Int, config: GeoEmbedConfig, _ body: (GeoEmbedWorkspace) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        if (current?.batch ?? 0) < batch { current = GeoEmbedWorkspace(batch: batch, config: config) }
        guard let workspace = current else { preconditionFailure("workspace missing after allocation") }
        return body(workspace)
    }
}
