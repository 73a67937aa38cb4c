import AerieCore
import Foundation
import Testing
import AerieImage
import AerieTensor
import AerieTestSupport
@testable import AerieModels

/// The reference fixtures written by `scripts/reference/dump_efficientnet.py`.
enum EfficientNetFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func file(_ model: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: folder.appendingPathComponent("\(model).safetensors"))
    }

    /// (width, height, seed) of the three synthetic images, as in the dump script.
    static let images: [(Int, Int, UInt32)] = [(300, 240, 1), (150, 170, 2), (224, 224, 3)]

    /// The dump script's `synthetic_image`: gradients plus hashed noise in 32-bit integers.
    static func syntheticImage(width: Int, height: Int, seed: UInt32) -> RGBAImage {
        var image = RGBAImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                var rgb: [UInt8] = [0, 0, 0]
                for c in 0..<3 {
                    var h = (UInt32(x) &* 73_856_093) ^ (UInt32(y) &* 19_349_663) ^ (UInt32(c) &* 83_492_791) ^ (seed &* 2_654_435_761)
                    h = h &* 2_246_822_519
                    let noise = Int((h >> 13) & 255)
                    let ramp = switch c {
                    case 0: x * 255 / max(width - 1, 1)
                    case 1: y * 255 / max(height - 1, 1)
                    default: (x + y) * 255 / max(width + height - 2, 1)
                    }
                    rgb[c] = UInt8((ramp * 3 + noise) / 4)
                }
                image[x, y] = (rgb[0], rgb[1], rgb[2], 255)
            }
        }
        return image
    }

    static var syntheticImages: [RGBAImage] { images.map { syntheticImage(width: $0.0, height: $0.1, seed: $0.2) } }
}

/// The installed models, when there are any (tests that need weights skip otherwise).
enum InstalledModels {
    static let store = ModelStore()
    static func has(_ name: String) -> Bool { store.isInstalled(name) }
    static func missing(_ name: String) -> Comment {
        "skipped: \(name) is not installed in \(store.root.path) (run scripts/models/install.py)"
    }
}

/// Errors of an NCHW reference slice against the same region of an NHWC activation.
struct SliceComparison {
    var maxAbsError: Float = 0
    var squaredError: Double = 0
    var squaredReference: Double = 0
    /// Mean squared error over the reference's mean square.
    var normalisedMSE: Double { squaredReference > 0 ? squaredError / squaredReference : squaredError }

    mutating func add(_ actual: Float, _ expected: Float) {
        maxAbsError = max(maxAbsError, abs(actual - expected))
        squaredError += Double(actual - expected) * Double(actual - expected)
        squaredReference += Double(expected) * Double(expected)
    }
}

/// Tolerances of the stage-by-stage comparison with PyTorch (float32 both sides; the folded
/// BatchNorm and a different summation order make the differences grow with depth). Measured on
/// 2026-11-29: stages ≤ 5e-5 max abs (≤ 4e-6 of the stage's largest value), normalised MSE
/// ≤ 2e-11, embeddings ≤ 8.1e-6 max abs and cosine ≥ 0.9999998; the bounds leave about 10×.
enum StageTolerance {
    /// Preprocessed input: the same float32 operations on the same bytes.
    static let inputMaxAbs: Float = 2e-5
    /// Any activation, relative to the largest reference value of that stage's slices.
    static let relativeMaxAbs: Float = 5e-5
    static let normalisedMSE = 1e-9
    /// Final embeddings.
    static let cosine: Float = 0.9999
    static let embeddingMaxAbs: Float = 1e-4
}

/// Compares an NHWC activation with the reference's channel means and NCHW corner slices.
func compareStage(_ actual: Tensor, fixture: SafeTensorsFile, stage: String, model: String) throws {
    let (n, side, channels) = (actual.shape[0], actual.shape[1], actual.shape[3])
    var comparison = SliceComparison()
    let means = try fixture.tensor("\(stage).channel_means", shape: [n, channels])
    for b in 0..<n {
        for c in 0..<channels {
            var sum: Double = 0
            for p in 0..<(side * side) { sum += Double(actual.data[(b * side * side + p) * channels + c]) }
            comparison.add(Float(sum / Double(side * side)), means.data[b * channels + c])
        }
    }
    let sliceChannels = min(channels, 16), w = min(side, 8)
    for (corner, origin) in [("top_left", 0), ("bottom_right", side - w)] {
        let slice = try fixture.tensor("\(stage).\(corner)", shape: [n, sliceChannels, w, w])
        for b in 0..<n {
            for c in 0..<sliceChannels {
                for y in 0..<w {
                    for x in 0..<w {
                        comparison.add(actual.data[((b * side + origin + y) * side + origin + x) * channels + c],
                                       slice.data[((b * sliceChannels + c) * w + y) * w + x])
                    }
                }
            }
        }
    }
    let scale = max(try fixture.tensor("\(stage).top_left").data.map(abs).max() ?? 1, 1)
    print("\(model) \(stage): max abs error \(comparison.maxAbsError) (largest |value| \(scale)), normalised MSE \(comparison.normalisedMSE)")
    #expect(comparison.maxAbsError <= StageTolerance.relativeMaxAbs * scale,
            "\(model) \(stage): max abs error \(comparison.maxAbsError) (scale \(scale))")
    #expect(comparison.normalisedMSE <= StageTolerance.normalisedMSE,
            "\(model) \(stage): normalised MSE \(comparison.normalisedMSE)")
}

/// Compares the preprocessed input with the reference's row and column means and top-left corner.
func compareInput(_ input: Tensor, fixture: SafeTensorsFile) throws -> Float {
    let s = input.shape[1], n = input.shape[0]
    let rowMeans = try fixture.tensor("input.row_means"), columnMeans = try fixture.tensor("input.column_means")
    let corner = try fixture.tensor("input.top_left")
    var worst: Float = 0
    for b in 0..<n {
        for c in 0..<3 {
            for i in 0..<s {
                var row: Float = 0, column: Float = 0
                for j in 0..<s {
                    row += input.data[((b * s + i) * s + j) * 3 + c]
                    column += input.data[((b * s + j) * s + i) * 3 + c]
                }
                worst = max(worst, abs(row / Float(s) - rowMeans.data[(b * 3 + c) * s + i]),
                            abs(column / Float(s) - columnMeans.data[(b * 3 + c) * s + i]))
            }
            for y in 0..<8 {
                for x in 0..<8 {
                    worst = max(worst, abs(input.data[((b * s + y) * s + x) * 3 + c] - corner.data[((b * 3 + c) * 8 + y) * 8 + x]))
                }
            }
        }
    }
    return worst
}

/// Cosine similarity and max abs error of two rows.
func rowAgreement(_ a: ArraySlice<Float>, _ e: ArraySlice<Float>) -> (cosine: Float, maxAbs: Float) {
    var dot: Float = 0, na: Float = 0, ne: Float = 0, worst: Float = 0
    for (x, y) in zip(a, e) {
        dot += x * y; na += x * x; ne += y * y
        worst = max(worst, abs(x - y))
    }
    return (dot / (na.squareRoot() * ne.squareRoot()), worst)
}

@Suite("EfficientNet-Lite configuration and loading")
struct EfficientNetLiteConfigTests {
    @Test("Lite0 and Lite2 derive the reference's blocks")
    func blocks() throws {
        let lite0 = EfficientNetLiteConfig.lite0, lite2 = EfficientNetLiteConfig.lite2
        #expect(lite0.blocks.count == 16)
        #expect(lite2.blocks.count == 21)
        #expect(lite0.blocks.map(\.outputChannels) == [16, 24, 24, 40, 40, 80, 80, 80, 112, 112, 112, 192, 192, 192, 192, 320])
        #expect(Set(lite2.blocks.map(\.outputChannels)) == [16, 24, 48, 88, 120, 208, 352])
        #expect(lite2.blocks[0].inputChannels == 32 && lite2.blocks[20].outputChannels == 352)
        #expect(lite0.blockInputSizes.last == 7 && lite2.blockInputSizes.last == 9)
        for (name, config) in [("efficientnet-lite0", lite0), ("efficientnet-lite2", lite2)] {
            let fixture = try EfficientNetFixtures.file(name)
            #expect(fixture.metadata["blocks"] == "\(config.blocks.count)")
            #expect(fixture.metadata["resolution"] == "\(config.resolution)")
        }
    }

    @Test("a weights file that does not fit names every problem")
    func mismatchedWeights() throws {
        // A safetensors file with a wrongly shaped stem, an unknown tensor and nothing else.
        let header = #"{"_conv_stem.weight":{"dtype":"F32","shape":[16,3,3,3],"data_offsets":[0,1728]},"# +
            #""extra":{"dtype":"F32","shape":[1],"data_offsets":[1728,1732]}}"#
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: 1732))
        let file = try SafeTensorsFile(data: data, path: "bad.safetensors")
        let problems = EfficientNetLiteConfig.lite0.problems(in: file)
        #expect(problems.contains("tensor _conv_stem.weight has shape [16, 3, 3, 3], expected [32, 3, 3, 3]"))
        #expect(problems.contains("tensor _bn0.running_var is missing"))
        #expect(problems.contains("tensor extra is not part of efficientnet-lite0"))
        #expect(throws: EfficientNetLiteError.self) {
            _ = try EfficientNetLiteEncoder(config: .lite0, file: file,
                                            identity: ModelIdentity(name: "efficientnet-lite0", weightsSHA256: "", dimension: 1280))
        }
    }
}

@Suite("Image preprocessing as the reference does it")
struct ImagePreprocessingTests {
    @Test("PIL-exact resize and crop match the reference's input", arguments: ["efficientnet-lite0", "efficientnet-lite2"])
    func matchesReference(model: String) throws {
        let fixture = try EfficientNetFixtures.file(model)
        let resolution = try #require(Int(fixture.metadata["resolution"] ?? ""))
        let input = ImagePreprocessor.imageNet(resolution: resolution).tensor(EfficientNetFixtures.syntheticImages)
        let worst = try compareInput(input, fixture: fixture)
        // One pixel off by one level moves its row mean by about 7e-5.
        #expect(worst < StageTolerance.inputMaxAbs, "max abs error \(worst)")
    }

    @Test("resizing to the same size is the identity; a flat image stays flat")
    func resamplerInvariants() {
        let image = EfficientNetFixtures.syntheticImage(width: 37, height: 23, seed: 9)
        let same = PILResampler.resizeRGB(image, width: 37, height: 23, filter: .bicubic)
        var rgb: [UInt8] = []
        for p in 0..<(37 * 23) { rgb += image.pixels[p * 4 ..< p * 4 + 3] }
        #expect(same == rgb)
        let flat = RGBAImage(width: 31, height: 17, fill: (200, 3, 77, 255))
        for (w, h) in [(64, 64), (5, 9), (31, 40)] {
            for filter in [PILResampler.Filter.bicubic, .bilinear] {
                let out = PILResampler.resizeRGB(flat, width: w, height: h, filter: filter)
                #expect(out.count == w * h * 3)
                let flatOut = (0..<(w * h)).allSatisfy { (p: Int) -> Bool in
                    out[p * 3] == 200 && out[p * 3 + 1] == 3 && out[p * 3 + 2] == 77
                }
                #expect(flatOut)
            }
        }
    }

    @Test("torchvision's resize and centre-crop geometry")
    func geometry() {
        let p = ImagePreprocessor.imageNet(resolution: 224)
        #expect(p.resizedSize(width: 300, height: 240) == (280, 224))
        #expect(p.resizedSize(width: 150, height: 170) == (224, 253))
        #expect(p.resizedSize(width: 224, height: 224) == (224, 224))
    }
}

@Suite("EfficientNet-Lite against the PyTorch reference", .serialized)
struct EfficientNetLiteReferenceTests {
    static func compare(model: String) throws {
        let fixture = try EfficientNetFixtures.file(model)
        // The hash check is the installer's business (and slow in debug builds).
        let encoder = try EfficientNetLiteEncoder(store: InstalledModels.store, name: model, verifyHash: false)
        let middle = try #require(fixture.metadata["middle_block"]), last = try #require(fixture.metadata["last_block"])
        let watched = ["stem", "block\(middle)", "block\(last)", "head"]
        let input = encoder.preprocessor.tensor(EfficientNetFixtures.syntheticImages)
        var activations: [String: Tensor] = [:]
        let pooled = encoder.features(input) { stage, tensor in
            if watched.contains(stage) { activations[stage] = tensor }
        }
        for stage in watched {
            let actual = try #require(activations[stage])
            try compareStage(actual, fixture: fixture, stage: stage, model: model)
        }
        let expected = try fixture.tensor("embedding", shape: [3, 1280])
        for b in 0..<3 {
            let (cosine, maxAbs) = rowAgreement(pooled.data[b * 1280 ..< (b + 1) * 1280], expected.data[b * 1280 ..< (b + 1) * 1280])
            print("\(model) embedding \(b): cosine \(cosine), max abs error \(maxAbs)")
            #expect(cosine >= StageTolerance.cosine, "\(model) image \(b): cosine \(cosine)")
            #expect(maxAbs <= StageTolerance.embeddingMaxAbs, "\(model) image \(b): max abs error \(maxAbs)")
        }
        // encode() runs the same path from RGBA images, in chunks (here of one image).
        var chunked = encoder
        chunked.maxBatch = 1
        let encoded = try chunked.encode(Array(EfficientNetFixtures.syntheticImages[1...2]))
        #expect(zip(encoded.data, pooled.data[1280...]).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// Decoded by Aerie and by PIL, then encoded by each side.
    static func compareReal(model: String) throws {
        let fixture = try EfficientNetFixtures.file(model)
        let files = try #require(fixture.metadata["real_images"]).split(separator: ";").map(String.init)
        let encoder = try EfficientNetLiteEncoder(store: InstalledModels.store, name: model, verifyHash: false)
        let images = try files.map { try ImageDecoder.decode(contentsOf: try #require(SharedData.url($0))) }
        let input = encoder.preprocessor.tensor(images)
        let s = encoder.config.resolution
        let rowMeans = try fixture.tensor("real.input.row_means", shape: [files.count, 3, s])
        let expected = try fixture.tensor("real.embedding", shape: [files.count, 1280])
        let pooled = encoder.features(input)
        for (b, file) in files.enumerated() {
            var worst: Float = 0
            for c in 0..<3 {
                for y in 0..<s {
                    var row: Float = 0
                    for x in 0..<s { row += input.data[((b * s + y) * s + x) * 3 + c] }
                    worst = max(worst, abs(row / Float(s) - rowMeans.data[(b * 3 + c) * s + y]))
                }
            }
            let (cosine, maxAbs) = rowAgreement(pooled.data[b * 1280 ..< (b + 1) * 1280], expected.data[b * 1280 ..< (b + 1) * 1280])
            print("\(model) \(file): input row means max abs error \(worst); embedding cosine \(cosine), max abs error \(maxAbs)")
            #expect(worst < StageTolerance.inputMaxAbs, "\(file): input differs from PIL's by up to \(worst)")
            #expect(cosine >= StageTolerance.cosine, "\(file): cosine \(cosine)")
            #expect(maxAbs <= StageTolerance.embeddingMaxAbs, "\(file): max abs error \(maxAbs)")
        }
    }

    static var realDataPresent: Bool {
        SharedData.url("samples/ucm/imgs/1.tif") != nil && SharedData.url("samples/rsicd/imgs/00001.jpg") != nil
    }

    @Test("Lite0 on real files (TIFF, JPEG) decoded by Aerie matches PIL + PyTorch",
          .enabled(if: InstalledModels.has("efficientnet-lite0"), InstalledModels.missing("efficientnet-lite0")),
          .enabled(if: realDataPresent, Comment(rawValue: SharedData.missingMessage("samples"))))
    func lite0Real() throws { try Self.compareReal(model: "efficientnet-lite0") }

    @Test("Lite0 matches stage by stage", .enabled(if: InstalledModels.has("efficientnet-lite0"), InstalledModels.missing("efficientnet-lite0")))
    func lite0() throws { try Self.compare(model: "efficientnet-lite0") }

    @Test("Lite2 matches stage by stage", .enabled(if: InstalledModels.has("efficientnet-lite2"), InstalledModels.missing("efficientnet-lite2")))
    func lite2() throws { try Self.compare(model: "efficientnet-lite2") }
}

@Suite("EfficientNet-Lite multi-level features")
struct EfficientNetLiteMultiLevelTests {
    @Test("stage ends and widths of Lite0 and Lite2")
    func stageEnds() {
        let lite0 = EfficientNetLiteConfig.lite0, lite2 = EfficientNetLiteConfig.lite2
        #expect(lite0.stageEnds.map { lite0.blocks[$0].outputChannels } == [16, 24, 40, 80, 112, 192, 320])
        #expect(lite0.dimension(.multiLevel) == 784 + 1280)
        #expect(lite2.stageEnds.last == lite2.blocks.count - 1)
        #expect(lite2.dimension(.multiLevel) == lite2.stageEnds.reduce(1280) { $0 + lite2.blocks[$1].outputChannels })
        #expect(lite0.dimension(.final) == 1280)
    }

    /// Each stage's slot holds that stage's channel means, in order, then the usual pooled head;
    /// the last stage's means also match PyTorch's (the fixture's last block).
    @Test("every stage's mean, then the head's", .enabled(if: InstalledModels.has("efficientnet-lite0"), InstalledModels.missing("efficientnet-lite0")))
    func layout() throws {
        let plain = try EfficientNetLiteEncoder(store: InstalledModels.store, name: "efficientnet-lite0", verifyHash: false)
        let multi = try EfficientNetLiteEncoder(store: InstalledModels.store, name: "efficientnet-lite0", pooling: .multiLevel,
                                                verifyHash: false)
        #expect(multi.identity.name == "efficientnet-lite0-multilevel")
        #expect(multi.identity.weightsSHA256 == plain.identity.weightsSHA256)
        let config = multi.config, width = multi.identity.dimension
        let input = plain.preprocessor.tensor(Array(EfficientNetFixtures.syntheticImages[0...1]))
        var means: [String: [Float]] = [:]
        let features = multi.features(input) { stage, t in
            let (n, pixels, channels) = (t.shape[0], t.shape[1] * t.shape[2], t.shape[3])
            means[stage] = (0..<(n * channels)).map { i in
                let (b, c) = (i / channels, i % channels)
                return (0..<pixels).reduce(Float(0)) { $0 + t.data[(b * pixels + $1) * channels + c] } / Float(pixels)
            }
        }
        let final = plain.features(input)
        #expect(features.shape == [2, width])
        for b in 0..<2 {
            var column = 0
            for end in config.stageEnds {
                let c = config.blocks[end].outputChannels
                let expected = try #require(means["block\(end)"])[(b * c)..<((b + 1) * c)]
                let actual = features.data[(b * width + column)..<(b * width + column + c)]
                #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "block \(end)")
                column += c
            }
            let head = features.data[(b * width + column)..<((b + 1) * width)]
            #expect(zip(head, final.data[(b * 1280)..<((b + 1) * 1280)]).allSatisfy { $0 == $1 })
        }
        let fixture = try EfficientNetFixtures.file("efficientnet-lite0")
        let last = try #require(fixture.metadata["last_block"].flatMap(Int.init))
        #expect(last == config.stageEnds.last)
        let reference = try fixture.tensor("block\(last).channel_means", shape: [3, 320])
        for b in 0..<2 {
            let offset = b * width + 464  // 16 + 24 + 40 + 80 + 112 + 192
            for c in 0..<320 {
                #expect(abs(features.data[offset + c] - reference.data[b * 320 + c]) <= 1e-3 * max(1, abs(reference.data[b * 320 + c])))
            }
        }
    }
}
