import AerieCore
import Foundation
import AerieImage
import AerieTensor

/// Errors loading an EfficientNet-Lite model.
public enum EfficientNetLiteError: Error, Equatable, CustomStringConvertible {
    /// The model name is not one of the Lite variants Aerie knows.
    case unknownModel(name: String)
    /// The weights file does not fit the configuration; every problem is listed.
    case weightsDoNotMatchConfig(path: String, problems: [String])
    /// The card's architecture disagrees with the configuration Aerie derives for the name.
    case cardDisagrees(path: String, field: String, card: String, expected: String)

    public var description: String {
        switch self {
        case let .unknownModel(name):
            "unknown EfficientNet-Lite model \(name) (known: efficientnet-lite0, efficientnet-lite2)"
        case let .weightsDoNotMatchConfig(path, problems):
            "\(path): weights do not match the model: " + problems.prefix(8).joined(separator: "; ")
                + (problems.count > 8 ? "; and \(problems.count - 8) more" : "")
        case let .cardDisagrees(path, field, card, expected):
            "\(path): architecture field \(field) is \(card), expected \(expected)"
        }
    }
}

/// An EfficientNet-Lite image encoder: the ImageNet-pretrained network up to the global average
/// pool, whose 1280 values are the embedding.
///
/// Activations are NHWC. Per block: `expand (1×1, ReLU6) → depthwise (k×k, stride s, ReLU6) →
/// project (1×1) [+ input]`; BatchNorm is folded into each convolution's weights and bias at load.
/// Images are encoded in chunks of ``maxBatch`` so scratch memory stays bounded; the scratch
/// buffers for a chunk size are allocated once and reused.
public struct EfficientNetLiteEncoder: ImageEncoding {
    /// What the embedding is made of.
    public enum Pooling: String, Sendable, CaseIterable {
        /// The global average pool of the head's 1280 channels (the ImageNet classifier's input).
        case final
        /// Multi-level features: the global average pool of every stage's output (the last
        /// block of each run of blocks with the same width: 16, 24, 40, 80, 112, 192 and 320
        /// channels for Lite0), followed by the head's 1280. Mid-level channels keep texture and
        /// layout (roads, water, roofs) that the ImageNet head abstracts away; on aerial captions
        /// they retrieve better (see docs/training-log.md).
        case multiLevel = "multilevel"
    }

    public let identity: ModelIdentity
    public let config: EfficientNetLiteConfig
    public let pooling: Pooling
    public let preprocessor: ImagePreprocessor
    let weights: EfficientNetLiteWeights
    let workspaces = WorkspaceCache()

    /// The most images one forward pass holds (Lite2 needs about 25 MB of scratch per image).
    public var maxBatch = 8

    /// Loads the installed model `name` (`efficientnet-lite0` or `efficientnet-lite2`) from `store`.
    ///
    /// - Parameter verifyHash: hash the weights file against the card first.
    /// - Throws: ``ModelStoreError``, ``SafeTensorsError`` or ``EfficientNetLiteError``, naming the
    ///   file and what is wrong.
    public init(store: ModelStore, name: String, pooling: Pooling = .final, verifyHash: Bool = true) throws {
        guard let config = EfficientNetLiteConfig.named(name) else { throw EfficientNetLiteError.unknownModel(name: name) }
        let card = verifyHash ? try store.verify(name) : try store.card(name)
        if let size = card.architecture["image_size"]?.int, size != config.resolution {
            throw EfficientNetLiteError.cardDisagrees(path: store.cardURL(name).path, field: "image_size",
                                                      card: "\(size)", expected: "\(config.resolution)")
        }
        let file = try SafeTensorsFile(contentsOf: store.weightsURL(name))
        let encoderName = pooling == .final ? name : "\(name)-\(pooling.rawValue)"
        try self.init(config: config, file: file, pooling: pooling,
                      identity: ModelIdentity(name: encoderName, weightsSHA256: card.weightsSHA256,
                                              dimension: config.dimension(pooling)))
    }

    /// Builds the encoder from a weights file already opened.
    ///
    /// - Throws: ``EfficientNetLiteError/weightsDoNotMatchConfig(path:problems:)`` listing every mismatch.
    public init(config: EfficientNetLiteConfig, file: SafeTensorsFile, pooling: Pooling = .final,
                identity: ModelIdentity) throws {
        let problems = config.problems(in: file)
        guard problems.isEmpty else { throw EfficientNetLiteError.weightsDoNotMatchConfig(path: file.path, problems: problems) }
        precondition(identity.dimension == config.dimension(pooling), "identity dimension does not match the pooling")
        self.config = config
        self.pooling = pooling
        self.identity = identity
        self.preprocessor = .imageNet(resolution: config.resolution)
        self.weights = try EfficientNetLiteWeights(config: config, file: file)
    }

    /// Embeddings of `images`, in order: `[images.count, identity.dimension]`.
    public func encode(_ images: [RGBAImage]) throws -> Tensor {
        encodeInChunks(images, maxBatch: maxBatch, dimension: identity.dimension) { features(preprocessor.tensor($0)) }
    }

    /// Runs the network on preprocessed images.
    ///
    /// - Parameters:
    ///   - input: `(n, resolution, resolution, 3)` NHWC, as ``ImagePreprocessor`` makes it.
    ///   - observe: when given, called with a copy of the activations (NHWC) after the stages
    ///     `stem`, `block<i>` for every block, and `head`; for tests against the reference.
    /// - Returns: the pooled features `(n, identity.dimension)` (see ``Pooling``).
    public func features(_ input: Tensor, observe: ((String, Tensor) -> Void)? = nil) -> Tensor {
        let r = config.resolution
        precondition(input.shape.count == 4 && Array(input.shape[1...]) == [r, r, 3],
                     "expected (n, \(r), \(r), 3) input, got \(input.shape)")
        let n = input.shape[0]
        var output = Tensor(zeros: [n, config.dimension(pooling)])
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

    private func run(_ input: UnsafePointer<Float>, batch n: Int, workspace ws: Workspace,
                     output: UnsafeMutablePointer<Float>, observe: ((String, Tensor) -> Void)?) {
        func report(_ stage: String, _ buffer: UnsafeMutablePointer<Float>, side: Int, channels: Int) {
            guard let observe else { return }
            let count = n * side * side * channels
            observe(stage, Tensor(shape: [n, side, side, channels], data: Array(UnsafeBufferPointer(start: buffer, count: count))))
        }
        var x = ws.a, spare = ws.b
        let expanded = ws.c, depthwise = ws.d
        let width = config.dimension(pooling)
        let stageEnds = pooling == .multiLevel ? config.stageEnds : []
        var column = 0  // where the next pooled stage goes in each output row
        var pooled = [Float](repeating: 0, count: n * config.headChannels)
        func pool(_ buffer: UnsafeMutablePointer<Float>, pixels: Int, channels: Int) {
            pooled.withUnsafeMutableBufferPointer { p in
                guard let base = p.baseAddress else { return }
                Convolution.globalAveragePool(buffer, batch: n, pixels: pixels, channels: channels, output: base)
                for image in 0..<n {
                    (output + image * width + column).update(from: base + image * channels, count: channels)
                }
            }
            column += channels
        }

        // Stem: (n, r, r, 3) -> (n, r/2, r/2, 32), 3×3 stride 2, ReLU6.
        let stemGeometry = ConvolutionGeometry.same(batch: n, height: config.resolution, width: config.resolution, kernel: 3, stride: 2)
        weights.stem.dense(input, geometry: stemGeometry, activation: .relu6, columns: ws.columns, output: x)
        var side = stemGeometry.outputHeight
        report("stem", x, side: side, channels: config.stemChannels)

        for (index, block) in config.blocks.enumerated() {
            let layers = weights.blocks[index]
            let pixels = n * side * side
            // Expand: (P, cin) -> (P, cin·e), ReLU6.
            var dwInput = UnsafePointer(x)
            if let expand = layers.expand {
                expand.pointwise(x, pixels: pixels, activation: .relu6, output: expanded)
                dwInput = UnsafePointer(expanded)
            }
            // Depthwise: (n, s, s, ce) -> (n, s', s', ce), ReLU6.
            let g = ConvolutionGeometry.same(batch: n, height: side, width: side, kernel: block.kernel, stride: block.stride)
            layers.depthwise.depthwise(dwInput, channels: block.expandedChannels, geometry: g, output: depthwise)
            side = g.outputHeight
            // Project: (P', ce) -> (P', cout) [+ x], no activation.
            let outPixels = n * side * side
            if block.hasResidual {
                layers.project.pointwise(depthwise, pixels: outPixels, activation: .identity, residual: x, output: x)
            } else {
                layers.project.pointwise(depthwise, pixels: outPixels, activation: .identity, output: spare)
                swap(&x, &spare)
            }
            report("block\(index)", x, side: side, channels: block.outputChannels)
            if stageEnds.contains(index) { pool(x, pixels: side * side, channels: block.outputChannels) }
        }

        // Head: (P, c) -> (P, 1280), ReLU6; then the mean over each image's pixels.
        weights.head.pointwise(x, pixels: n * side * side, activation: .relu6, output: spare)
        report("head", spare, side: side, channels: config.headChannels)
        pool(spare, pixels: side * side, channels: config.headChannels)
        precondition(column == width, "pooled \(column) values per image, expected \(width)")
    }
}

/// The folded weights of a whole network, read once and immutable afterwards.
struct EfficientNetLiteWeights: Sendable {
    struct Block: Sendable {
        var expand: FoldedConvolution?
        var depthwise: FoldedConvolution
        var project: FoldedConvolution
    }

    var stem: FoldedConvolution
    var blocks: [Block]
    var head: FoldedConvolution

    init(config: EfficientNetLiteConfig, file: SafeTensorsFile) throws {
        let eps = config.batchNormEpsilon
        stem = try .load(file, conv: "_conv_stem", bn: "_bn0", epsilon: eps, layout: .dense)
        blocks = try config.blocks.indices.map { i in
            let p = "_blocks.\(i)"
            return Block(
                expand: config.blocks[i].expandRatio != 1
                    ? try .load(file, conv: "\(p)._expand_conv", bn: "\(p)._bn0", epsilon: eps, layout: .pointwise) : nil,
                depthwise: try .load(file, conv: "\(p)._depthwise_conv", bn: "\(p)._bn1", epsilon: eps, layout: .depthwise),
                project: try .load(file, conv: "\(p)._project_conv", bn: "\(p)._bn2", epsilon: eps, layout: .pointwise))
        }
        head = try .load(file, conv: "_conv_head", bn: "_bn1", epsilon: eps, layout: .pointwise)
    }
}

/// Scratch buffers for up to `batch` images: two for block inputs/outputs, two for the
/// expanded and depthwise activations (the largest), and the stem's im2col matrix.
final class Workspace {
    let batch: Int
    let a, b, c, d: UnsafeMutablePointer<Float>
    let columns: UnsafeMutablePointer<Float>

    init(batch n: Int, config: EfficientNetLiteConfig) {
        let sizes = config.blockInputSizes
        let last = sizes[sizes.count - 1]
        var narrow = max(n * sizes[0] * sizes[0] * config.stemChannels, n * last * last * config.headChannels)
        var wide = 0
        for (i, block) in config.blocks.enumerated() {
            narrow = max(narrow, n * sizes[i + 1] * sizes[i + 1] * block.outputChannels)
            wide = max(wide, n * sizes[i] * sizes[i] * block.expandedChannels)
        }
        batch = n
        a = .allocate(capacity: narrow)
        b = .allocate(capacity: narrow)
        c = .allocate(capacity: wide)
        d = .allocate(capacity: wide)
        columns = .allocate(capacity: n * sizes[0] * sizes[0] * 27)
    }

    deinit {
        a.deallocate(); b.deallocate(); c.deallocate(); d.deallocate(); columns.deallocate()
    }
}

/// The workspace for the largest batch size used so far, shared by copies of an encoder.
///
/// A lock serialises forward passes through one encoder: each pass already uses every core
/// (BLAS threads and the direct kernels' workers), so running two at once would only oversubscribe.
final class WorkspaceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Workspace?

    func withWorkspace<R>(batch: Int, config: EfficientNetLiteConfig, _ body: (Workspace) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        if (current?.batch ?? 0) < batch { current = Workspace(batch: batch, config: config) }
        // `current` was just set when it did not fit.
        guard let workspace = current else { preconditionFailure("workspace missing after allocation") }
        return body(workspace)
    }
}
