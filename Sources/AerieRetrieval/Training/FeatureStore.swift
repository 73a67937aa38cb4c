import AerieCore
import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import Foundation

/// Encoder features for training, computed once per encoder, view and item and kept in
/// ``FeatureCache`` files under one folder: `<encoder>-<hash>-<view>.safetensors` for images
/// (keyed by the image's absolute path), `<encoder>-<hash>-captions.safetensors` for captions
/// (keyed by the text).
///
/// The index keeps its own encoder features (SQLite rows per image, for re-projection with a
/// new head); see docs/architecture.md for why the two stores stay apart.
public struct FeatureStore: Sendable {
    public let root: URL
    /// Items encoded per call; the cache is saved every `saveEvery` items so an interruption
    /// loses little.
    public var batchSize = 32
    public var saveEvery = 256

    public init(root: URL) { self.root = root }

    /// Encoding progress: which cache file, items done of total.
    public struct Progress: Sendable {
        public var title: String
        public var done: Int
        public var total: Int
        public var finished: Bool
    }

    public func fileURL(_ identity: ModelIdentity, suffix: String) -> URL {
        root.appendingPathComponent("\(identity.name)-\(identity.weightsSHA256.prefix(16))-\(suffix).safetensors")
    }

    func load(_ url: URL, _ identity: ModelIdentity) throws -> FeatureCache {
        FileManager.default.fileExists(atPath: url.path) ? try FeatureCache.load(from: url, encoder: identity)
            : FeatureCache(encoder: identity)
    }

    /// One row of features per text, encoding (and caching) the texts not cached yet.
    public func textFeatures(_ texts: [String], encoder: any TextEncoding,
                             progress: (Progress) -> Void = { _ in }) throws -> Tensor {
        try features(texts, identity: encoder.identity, suffix: "captions", title: "encoding captions (\(encoder.identity.name))",
                     chunkSize: batchSize * 4, progress: progress) { try encoder.encode($0) }
    }

    /// One row of features per image file seen in `view`, encoding (and caching) those not
    /// cached yet.
    /// - Parameter encodingOrder: the order in which missing images are encoded (default: `paths`).
    public func imageFeatures(_ paths: [String], view: ImageView, encoder: any ImageEncoding, encodingOrder: [String]? = nil,
                              progress: (Progress) -> Void = { _ in }) throws -> Tensor {
        try features(paths, identity: encoder.identity, suffix: view.rawValue,
                     title: "encoding images (\(encoder.identity.name), \(view.rawValue))", chunkSize: batchSize,
                     encodingOrder: encodingOrder, progress: progress) { chunk in
            try encoder.encode(chunk.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)).view(view) })
        }
    }

    /// The cached features of `keys` in one cache file, encoding the missing keys chunk by chunk
    /// (in `encodingOrder`) and saving every ``saveEvery`` items.
    func features(_ keys: [String], identity: ModelIdentity, suffix: String, title: String, chunkSize: Int,
                  encodingOrder: [String]? = nil, progress: (Progress) -> Void,
                  encode: ([String]) throws -> Tensor) throws -> Tensor {
        let url = fileURL(identity, suffix: suffix)
        var cache = try load(url, identity)
        var seen = Set<String>()
        let todo = (encodingOrder ?? keys).filter { !cache.contains($0) && seen.insert($0).inserted }
        if !todo.isEmpty {
            var sinceSave = 0
            for start in stride(from: 0, to: todo.count, by: chunkSize) {
                let chunk = Array(todo[start ..< min(todo.count, start + chunkSize)])
                cache.insert(keys: chunk, values: try encode(chunk))
                sinceSave += chunk.count
                if sinceSave >= saveEvery { try cache.save(to: url); sinceSave = 0 }
                progress(Progress(title: title, done: start + chunk.count, total: todo.count, finished: false))
            }
            try cache.save(to: url)
            progress(Progress(title: title, done: todo.count, total: todo.count, finished: true))
        }
        guard let features = cache.features(for: keys) else {
            throw JointError.invalidData(reason: "\(suffix) features missing after encoding")
        }
        return features
    }
}
