import AerieCore
@testable import AerieJoint
import AerieTensor
import Foundation
import Testing

@Suite struct FeatureCacheTests {
    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("aerie-features-\(UUID().uuidString).safetensors")
    }

    @Test func roundTripKeepsRowsByKey() throws {
        let encoder = ModelIdentity(name: "enc", weightsSHA256: "abc", dimension: 3)
        var cache = FeatureCache(encoder: encoder)
        cache.insert(keys: ["a.jpg", "b.jpg"], values: Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]))
        cache.insert(keys: ["a.jpg", "c.jpg"], values: Tensor(shape: [2, 3], data: [7, 8, 9, 0, 0, 1]))
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try cache.save(to: url)
        let loaded = try FeatureCache.load(from: url, encoder: encoder)
        #expect(loaded.count == 3)
        #expect(loaded.features(for: ["c.jpg", "a.jpg"]) == Tensor(shape: [2, 3], data: [0, 0, 1, 7, 8, 9]))
        #expect(loaded.features(for: ["a.jpg", "missing.jpg"]) == nil)
    }

    @Test func anotherEncodersCacheIsRefused() throws {
        let encoder = ModelIdentity(name: "enc", weightsSHA256: "abc", dimension: 2)
        var cache = FeatureCache(encoder: encoder)
        cache.insert(keys: ["x"], values: Tensor(shape: [1, 2], data: [1, 2]))
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try cache.save(to: url)
        var other = encoder
        other.weightsSHA256 = "def"
        #expect(throws: JointError.self) { try FeatureCache.load(from: url, encoder: other) }
        try SafeTensorsWriter.write(tensors: ["features": Tensor(zeros: [1, 2])], metadata: ["format": "nope"], to: url)
        #expect(throws: JointError.self) { try FeatureCache.load(from: url, encoder: encoder) }
    }
}
