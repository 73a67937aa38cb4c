import AerieCore
import AerieTensor
import Foundation

/// Encoder features computed once and kept on disk, keyed by the encoder (name and weights hash)
/// and by item (an image's path relative to its data set, or a caption's text), so that training
/// a new head never re-encodes an image.
///
/// The file is a safetensors file with one tensor `features` `[count, dimension]` and metadata:
/// `format` = `aerie-feature-cache`, `version` = `1`, the encoder as JSON, and the keys as a JSON
/// array in row order. Everything is validated when read.
public struct FeatureCache: Sendable {
    public static let formatName = "aerie-feature-cache"
    public static let formatVersion = 1

    public let encoder: ModelIdentity
    /// Row order of ``features``.
    public private(set) var keys: [String]
    public private(set) var features: [Float]
    private var rowOfKey: [String: Int]

    /// An empty cache for `encoder`.
    public init(encoder: ModelIdentity) {
        self.encoder = encoder
        keys = []
        features = []
        rowOfKey = [:]
    }

    public var count: Int { keys.count }

    /// Whether `key` has features.
    public func contains(_ key: String) -> Bool { rowOfKey[key] != nil }

    /// Adds or replaces the features of `keys` (`values` is `[keys.count, dimension]`).
    public mutating func insert(keys newKeys: [String], values: Tensor) {
        let d = encoder.dimension
        precondition(values.shape == [newKeys.count, d], "FeatureCache.insert: values must be [\(newKeys.count), \(d)]")
        for (r, key) in newKeys.enumerated() {
            let row = values.data[r * d ..< (r + 1) * d]
            if let existing = rowOfKey[key] {
                features.replaceSubrange(existing * d ..< (existing + 1) * d, with: row)
            } else {
                rowOfKey[key] = keys.count
                keys.append(key)
                features.append(contentsOf: row)
            }
        }
    }

    /// The features of `keys` in order, or `nil` when any is missing.
    public func features(for wanted: [String]) -> Tensor? {
        let d = encoder.dimension
        var out = [Float]()
        out.reserveCapacity(wanted.count * d)
        for key in wanted {
            guard let r = rowOfKey[key] else { return nil }
            out.append(contentsOf: features[r * d ..< (r + 1) * d])
        }
        return Tensor(shape: [wanted.count, d], data: out)
    }

    /// Writes the cache atomically.
    public func save(to url: URL) throws {
        let encoderJSON = String(decoding: try JSONEncoder().encode(encoder), as: UTF8.self)
        let keysJSON = String(decoding: try JSONEncoder().encode(keys), as: UTF8.self)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafeTensorsWriter.write(
            tensors: ["features": Tensor(shape: [keys.count, encoder.dimension], data: features)],
            metadata: ["format": Self.formatName, "version": String(Self.formatVersion),
                       "encoder": encoderJSON, "keys": keysJSON],
            to: url)
    }

    /// Reads a cache and checks it holds features of exactly `encoder`.
    ///
    /// - Throws: ``JointError/badFile(path:reason:)`` for another format, version or a malformed
    ///   header; ``JointError/encoderMismatch(side:expectedName:expectedSHA256:actualName:actualSHA256:)``
    ///   when the cache was made by another encoder.
    public static func load(from url: URL, encoder: ModelIdentity) throws -> FeatureCache {
        let file = try SafeTensorsFile(contentsOf: url)
        guard file.metadata["format"] == formatName else {
            throw JointError.badFile(path: url.path, reason: "not an Aerie feature cache")
        }
        guard file.metadata["version"] == String(formatVersion) else {
            throw JointError.badFile(path: url.path, reason: "feature cache version \(file.metadata["version"] ?? "missing") is not supported")
        }
        guard let encoderJSON = file.metadata["encoder"],
              let stored = try? JSONDecoder().decode(ModelIdentity.self, from: Data(encoderJSON.utf8)),
              let keysJSON = file.metadata["keys"],
              let keys = try? JSONDecoder().decode([String].self, from: Data(keysJSON.utf8)) else {
            throw JointError.badFile(path: url.path, reason: "feature cache header is malformed")
        }
        guard stored == encoder else {
            throw JointError.encoderMismatch(side: "cached", expectedName: encoder.name, expectedSHA256: encoder.weightsSHA256,
                                             actualName: stored.name, actualSHA256: stored.weightsSHA256)
        }
        let tensor = try file.tensor("features", shape: [keys.count, encoder.dimension])
        var rowOfKey: [String: Int] = [:]
        for (r, key) in keys.enumerated() {
            guard rowOfKey.updateValue(r, forKey: key) == nil else {
                throw JointError.badFile(path: url.path, reason: "feature cache repeats the key \(key)")
            }
        }
        var cache = FeatureCache(encoder: encoder)
        cache.keys = keys
        cache.features = tensor.data
        cache.rowOfKey = rowOfKey
        return cache
    }
}
