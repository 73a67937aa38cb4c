import AerieCore
import AerieImage
import AerieTensor

extension ModelRegistry {
    /// The image encoder called `name`: a registered image model, or several joined by `+`
    /// (features concatenated in that order, as `aerie train --backbone` makes them).
    /// - Throws: ``ModelLookupError`` for a name no registered image model has; the model's own
    ///   loading errors (missing or altered weights).
    public static func imageEncoder(_ name: String, store: ModelStore) throws -> any ImageEncoding {
        let encoders = try ModelIdentity.componentNames(name).map { part -> any ImageEncoding in
            guard let entry = entry(part), entry.input == .image,
                  case let .image(encoder) = try entry.load(store) else { throw ModelLookupError(name: part) }
            return encoder
        }
        guard encoders.count > 1 else {
            guard let only = encoders.first else { throw ModelLookupError(name: name) }
            return only
        }
        return ConcatenatedImageEncoder(parts: encoders)
    }

    /// Names of the registered image encoders.
    public static var imageEncoderNames: [String] { entries.filter { $0.input == .image }.map(\.name) }
}

/// An image encoder name that no registered image model has.
public struct ModelLookupError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public var description: String {
        "no image encoder called '\(name)' (known: \(ModelRegistry.imageEncoderNames.joined(separator: ", ")))"
    }
}

/// Several image encoders side by side: each image's features are the parts' features
/// concatenated, in order. Its identity is ``ModelIdentity/concatenating(_:)`` of the parts'.
public struct ConcatenatedImageEncoder: ImageEncoding {
    public let parts: [any ImageEncoding]

    public init(parts: [any ImageEncoding]) { self.parts = parts }

    public var identity: ModelIdentity { ModelIdentity.concatenating(parts.map(\.identity)) }

    /// `[images.count, Σ dᵢ]`: row r is part 1's row r, then part 2's, ….
    public func encode(_ images: [RGBAImage]) throws -> Tensor {
        let outputs = try parts.map { try $0.encode(images) }
        return Tensor.concatenatingColumns(outputs)
    }
}
