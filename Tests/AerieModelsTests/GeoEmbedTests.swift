import Foundation
import Testing
import AerieImage
import AerieTensor
@testable import AerieModels

@Suite("geoembed v3 against the package's own NetCL reference", .serialized)
struct GeoEmbedTests {
    @Test("the configuration lists the checkpoint's tensors")
    func configuration() {
        let tensors = GeoEmbedConfig.v3.expectedTensors
        #expect(tensors["bb.layer2.0.short.0.weight"] == [128, 64, 1, 1])
        #expect(tensors["bb.layer1.0.short.0.weight"] == nil)
        #expect(tensors["fc.weight"] == [8192, 256])
        #expect(GeoEmbedConfig.v3.blocks.map(\.stride) == [1, 1, 2, 1, 2, 1, 2, 1])
    }

    @Test("bilinear squash to 128 px matches the reference's input")
    func preprocessing() throws {
        let fixture = try EfficientNetFixtures.file("geoembed")
        let preprocessor = ImagePreprocessor(resolution: 128, mean: SIMD3(repeating: 0.5), standardDeviation: SIMD3(repeating: 0.5),
                                             filter: .bilinear, keepAspect: false)
        let worst = try compareInput(preprocessor.tensor(EfficientNetFixtures.syntheticImages), fixture: fixture)
        #expect(worst < StageTolerance.inputMaxAbs, "max abs error \(worst)")
    }

    @Test("geoembed matches stage by stage", .enabled(if: InstalledModels.has("geoembed"), InstalledModels.missing("geoembed")))
    func stages() throws {
        let fixture = try EfficientNetFixtures.file("geoembed")
        let encoder = try GeoEmbedEncoder(store: InstalledModels.store, verifyHash: false)
        let watched = ["stem", "layer2.0", "layer4.1", "pooled"]
        var activations: [String: Tensor] = [:]
        let input = encoder.preprocessor.tensor(EfficientNetFixtures.syntheticImages)
        let embedded = encoder.embed(input) { stage, tensor in
            if watched.contains(stage) { activations[stage] = tensor }
        }
        for stage in watched {
            try compareStage(try #require(activations[stage]), fixture: fixture, stage: stage, model: "geoembed")
        }
        let expected = try fixture.tensor("embedding", shape: [3, 256])
        for b in 0..<3 {
            let (cosine, maxAbs) = rowAgreement(embedded.data[b * 256 ..< (b + 1) * 256], expected.data[b * 256 ..< (b + 1) * 256])
            print("geoembed embedding \(b): cosine \(cosine), max abs error \(maxAbs)")
            #expect(cosine >= StageTolerance.cosine, "image \(b): cosine \(cosine)")
            #expect(maxAbs <= StageTolerance.embeddingMaxAbs, "image \(b): max abs error \(maxAbs)")
        }
        let encoded = try encoder.encode([EfficientNetFixtures.syntheticImages[2]])
        #expect(zip(encoded.data, embedded.data[512...]).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
