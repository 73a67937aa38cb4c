import Foundation
import AerieTensor

/// The hyper-parameters of an EfficientNet-Lite network, derived exactly as the reference
/// (`efficientnet-lite-pytorch` 0.1.0, after TensorFlow's `efficientnet_lite_builder.py`) derives
/// them from a width and a depth coefficient.
///
/// Lite models fix the stem (32 channels) and the head (1280 channels), do not scale the depth
/// of the first and last stages, use ReLU6 and no squeeze-and-excitation, and pad every
/// convolution TensorFlow-"SAME" style for a square input of `resolution` pixels.
public struct EfficientNetLiteConfig: Sendable, Equatable {
    /// One mobile inverted bottleneck block.
    public struct Block: Sendable, Equatable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var expandRatio: Int
        public var kernel: Int
        public var stride: Int

        /// Channels after the expansion (the depthwise convolution's width).
        public var expandedChannels: Int { inputChannels * expandRatio }
        /// The reference adds the block's input when the shape is unchanged.
        public var hasResidual: Bool { stride == 1 && inputChannels == outputChannels }
    }

    public var name: String
    public var resolution: Int
    public var widthCoefficient: Double
    public var depthCoefficient: Double
    public var stemChannels: Int
    public var headChannels: Int
    public var blocks: [Block]
    /// BatchNorm epsilon of every layer (TensorFlow's 1e-3).
    public var batchNormEpsilon: Double = 1e-3

    /// The embedding's length: the head's channels.
    public var dimension: Int { headChannels }

    /// The blocks that end a stage (the next block changes width, or none follows): their
    /// outputs are pooled by ``EfficientNetLiteEncoder/Pooling/multiLevel``.
    public var stageEnds: [Int] {
        blocks.indices.filter { $0 + 1 == blocks.count || blocks[$0 + 1].outputChannels != blocks[$0].outputChannels }
    }

    /// The embedding's width under `pooling`.
    public func dimension(_ pooling: EfficientNetLiteEncoder.Pooling) -> Int {
        switch pooling {
        case .final: headChannels
        case .multiLevel: stageEnds.reduce(headChannels) { $0 + blocks[$1].outputChannels }
        }
    }

    /// The stages of EfficientNet-B0/Lite before scaling: (repeats, kernel, stride, expand, in, out).
    static let baseStages: [(repeats: Int, kernel: Int, stride: Int, expand: Int, input: Int, output: Int)] = [
        (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
        (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
    ]

    /// EfficientNet-Lite0: 224 px, width 1.0, depth 1.0.
    public static let lite0 = EfficientNetLiteConfig(name: "efficientnet-lite0", width: 1.0, depth: 1.0, resolution: 224)
    /// EfficientNet-Lite2: 260 px, width 1.1, depth 1.2.
    public static let lite2 = EfficientNetLiteConfig(name: "efficientnet-lite2", width: 1.1, depth: 1.2, resolution: 260)

    /// The configuration of a model name `aerie embed --model` accepts, or `nil`.
    public static func named(_ name: String) -> EfficientNetLiteConfig? {
        switch name {
        case lite0.name: lite0
        case lite2.name: lite2
        default: nil
        }
    }

    public init(name: String, width: Double, depth: Double, resolution: Int) {
        self.name = name
        self.widthCoefficient = width
        self.depthCoefficient = depth
        self.resolution = resolution
        self.stemChannels = 32
        self.headChannels = 1280
        var blocks: [Block] = []
        let stages = Self.baseStages
        for (index, stage) in stages.enumerated() {
            let fixed = index == 0 || index == stages.count - 1
            let repeats = fixed ? stage.repeats : Self.roundRepeats(stage.repeats, depth)
            var input = index == 0 ? 32 : Self.roundFilters(stage.input, width)
            let output = Self.roundFilters(stage.output, width)
            for r in 0..<repeats {
                blocks.append(Block(inputChannels: input, outputChannels: output, expandRatio: stage.expand,
                                    kernel: stage.kernel, stride: r == 0 ? stage.stride : 1))
                input = output
            }
        }
        self.blocks = blocks
    }

    /// The reference's `round_filters`: scale, round to a multiple of 8, never more than 10% down.
    static func roundFilters(_ filters: Int, _ multiplier: Double) -> Int {
        let scaled = Double(filters) * multiplier
        var rounded = max(8, Int(scaled + 4) / 8 * 8)
        if Double(rounded) < 0.9 * scaled { rounded += 8 }
        return rounded
    }

    /// The reference's `round_repeats`: `ceil(multiplier · repeats)`.
    static func roundRepeats(_ repeats: Int, _ multiplier: Double) -> Int {
        Int((multiplier * Double(repeats)).rounded(.up))
    }

    /// The square side of the activations entering each block, and after the last.
    public var blockInputSizes: [Int] {
        var size = (resolution + 1) / 2  // after the stride-2 stem
        var sizes: [Int] = []
        for block in blocks {
            sizes.append(size)
            size = (size + block.stride - 1) / block.stride
        }
        sizes.append(size)
        return sizes
    }

    /// Every tensor the weights file must hold, with its shape (BatchNorm's integer
    /// `num_batches_tracked` counters are allowed but not required).
    public var expectedTensors: [String: [Int]] {
        var tensors: [String: [Int]] = [:]
        func batchNorm(_ prefix: String, _ channels: Int) {
            for field in ["weight", "bias", "running_mean", "running_var"] { tensors["\(prefix).\(field)"] = [channels] }
        }
        tensors["_conv_stem.weight"] = [stemChannels, 3, 3, 3]
        batchNorm("_bn0", stemChannels)
        for (i, block) in blocks.enumerated() {
            let p = "_blocks.\(i)"
            if block.expandRatio != 1 {
                tensors["\(p)._expand_conv.weight"] = [block.expandedChannels, block.inputChannels, 1, 1]
                batchNorm("\(p)._bn0", block.expandedChannels)
            }
            tensors["\(p)._depthwise_conv.weight"] = [block.expandedChannels, 1, block.kernel, block.kernel]
            batchNorm("\(p)._bn1", block.expandedChannels)
            tensors["\(p)._project_conv.weight"] = [block.outputChannels, block.expandedChannels, 1, 1]
            batchNorm("\(p)._bn2", block.outputChannels)
        }
        let last = blocks.last?.outputChannels ?? stemChannels
        tensors["_conv_head.weight"] = [headChannels, last, 1, 1]
        batchNorm("_bn1", headChannels)
        // The ImageNet classifier: present in the checkpoint, unused for embeddings.
        tensors["_fc.weight"] = [1000, headChannels]
        tensors["_fc.bias"] = [1000]
        return tensors
    }

    /// Every way `file` differs from this configuration: missing or unexpected tensors, wrong
    /// shapes, unsupported dtypes. Empty when the file fits.
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
            if !["F32", "F16", "BF16"].contains(entry.dtype) {
                problems.append("tensor \(name) has dtype \(entry.dtype), expected F32")
            }
        }
        for name in file.names where expected[name] == nil {
            if name.hasSuffix(".num_batches_tracked") { continue }
            problems.append("tensor \(name) is not part of \(self.name)")
        }
        return problems
    }
}
