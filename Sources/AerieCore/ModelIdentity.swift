/// Who made a vector: an encoder's name, the hash of its weights and its width.
///
/// Enough to refuse mixing vectors of different models. The index records it for its encoders,
/// a head's card for the features the head was trained on, and a feature cache for its entries.
/// Concatenated encoders (features side by side, `aerie train --backbone lite0+lite2`) have one
/// identity made by ``concatenating(_:)``.
public struct ModelIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The model's name as `aerie embed --model` takes it, e.g. `minilm`, `efficientnet-lite0`,
    /// or `efficientnet-lite0+efficientnet-lite2` for concatenated features.
    public var name: String
    /// SHA-256 (hex) of the converted weights file the engine loaded (for concatenated encoders,
    /// the hashes joined by `+`).
    public var weightsSHA256: String
    /// Length of the vectors the model produces.
    public var dimension: Int

    public init(name: String, weightsSHA256: String, dimension: Int) {
        self.name = name
        self.weightsSHA256 = weightsSHA256
        self.dimension = dimension
    }

    public var description: String { "\(name) (\(dimension)-d, weights \(weightsSHA256.prefix(12)))" }

    /// The separator of concatenated encoders' names and hashes.
    public static let concatenationSeparator = "+"

    /// The identity of several encoders' features side by side, in order: names and hashes
    /// joined by `+`, widths summed. One encoder is its own identity.
    public static func concatenating(_ parts: [ModelIdentity]) -> ModelIdentity {
        if parts.count == 1, let only = parts.first { return only }
        return ModelIdentity(name: parts.map(\.name).joined(separator: concatenationSeparator),
                             weightsSHA256: parts.map(\.weightsSHA256).joined(separator: concatenationSeparator),
                             dimension: parts.reduce(0) { $0 + $1.dimension })
    }

    /// The encoder names a concatenated name is made of (one for a single encoder).
    public static func componentNames(_ name: String) -> [String] {
        name.split(separator: Character(concatenationSeparator)).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
