import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import AerieTerminal
import Foundation

/// Encoder features for `aerie train`, computed once per encoder and item and kept in
/// ``FeatureCache`` files under one folder: `<encoder>-<hash>-<view>.safetensors` for images
/// (keyed by the image's absolute path), `<encoder>-<hash>-captions.safetensors` for captions
/// (keyed by the text).
///
/// The index will keep these features itself; until then this is where they live.
struct FeatureStore {
    let root: URL
    /// Items encoded per call; the cache is saved every `saveEvery` items so an interruption
    /// loses little.
    var batchSize = 32
    var saveEvery = 256

    func fileURL(_ reference: EncoderReference, suffix: String) -> URL {
        root.appendingPathComponent("\(reference.name)-\(reference.weightsSHA256.prefix(16))-\(suffix).safetensors")
    }

    func load(_ url: URL, _ reference: EncoderReference) throws -> FeatureCache {
        FileManager.default.fileExists(atPath: url.path) ? try FeatureCache.load(from: url, encoder: reference)
            : FeatureCache(encoder: reference)
    }

    func textFeatures(_ texts: [String], encoder: any TextEncoding, reference: EncoderReference) throws -> Tensor {
        let url = fileURL(reference, suffix: "captions")
        var cache = try load(url, reference)
        var seen = Set<String>()
        let todo = texts.filter { !cache.contains($0) && seen.insert($0).inserted }
        if !todo.isEmpty {
            var bar = ProgressBar(title: "encoding captions (\(reference.name))", total: todo.count)
            var sinceSave = 0
            for start in stride(from: 0, to: todo.count, by: batchSize * 4) {
                let chunk = Array(todo[start ..< min(todo.count, start + batchSize * 4)])
                cache.insert(keys: chunk, values: try encoder.encode(chunk))
                sinceSave += chunk.count
                if sinceSave >= saveEvery { try cache.save(to: url); sinceSave = 0 }
                bar.update(start + chunk.count)
            }
            try cache.save(to: url)
            bar.finish(todo.count)
        }
        guard let features = cache.features(for: texts) else {
            throw JointError.invalidData(reason: "caption features missing after encoding")
        }
        return features
    }

    /// - Parameter encodingOrder: the order in which missing images are encoded (default: `paths`).
    func imageFeatures(_ paths: [String], view: String, encoder: any ImageEncoding, reference: EncoderReference,
                       encodingOrder: [String]? = nil) throws -> Tensor {
        let url = fileURL(reference, suffix: view)
        var cache = try load(url, reference)
        var seen = Set<String>()
        let todo = (encodingOrder ?? paths).filter { !cache.contains($0) && seen.insert($0).inserted }
        if !todo.isEmpty {
            var bar = ProgressBar(title: "encoding images (\(reference.name), \(view))", total: todo.count)
            var sinceSave = 0
            for start in stride(from: 0, to: todo.count, by: batchSize) {
                let chunk = Array(todo[start ..< min(todo.count, start + batchSize)])
                let images = try chunk.map { path -> RGBAImage in
                    let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path))
                    return image.view(ImageView(rawValue: view) ?? .center)
                }
                cache.insert(keys: chunk, values: try encoder.encode(images))
                sinceSave += chunk.count
                if sinceSave >= saveEvery { try cache.save(to: url); sinceSave = 0 }
                bar.update(start + chunk.count)
            }
            try cache.save(to: url)
            bar.finish(todo.count)
        }
        guard let features = cache.features(for: paths) else {
            throw JointError.invalidData(reason: "image features missing after encoding")
        }
        return features
    }
}
