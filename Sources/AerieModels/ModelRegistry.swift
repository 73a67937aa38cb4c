import AerieCore
import AerieImage
import AerieTensor

/// A loaded encoder of either kind.
public enum LoadedEncoder: Sendable {
    case text(any TextEncoding)
    case image(any ImageEncoding)

    public var identity: ModelIdentity {
        switch self {
        case let .text(encoder): encoder.identity
        case let .image(encoder): encoder.identity
        }
    }
}

/// Every model `aerie embed --model` accepts, by name, with its loader.
///
/// To add an encoder, add one entry to ``ModelRegistry/entries``; the CLI, `aerie models list`
/// and the benchmarks read this table.
public enum ModelRegistry {
    public enum Input: String, Sendable { case text, image }

    public struct Entry: Sendable {
        /// The name on the command line (and in heads' cards and indexes).
        public var name: String
        /// The model's folder in the store: several encoders can read one set of weights.
        public var weights: String
        public var input: Input
        /// Installed only on request (`aerie models install --with-geoembed`).
        public var optional: Bool
        /// Loads the installed model from a store (checking its hash and every tensor).
        public var load: @Sendable (ModelStore) throws -> LoadedEncoder

        public init(name: String, weights: String? = nil, input: Input, optional: Bool = false,
                    load: @escaping @Sendable (ModelStore) throws -> LoadedEncoder) {
            self.name = name
            self.weights = weights ?? name
            self.input = input
            self.optional = optional
            self.load = load
        }
    }

    /// The registered encoders, in the order help texts list them.
    public static let entries: [Entry] = [
        Entry(name: "minilm", input: .text) { .text(try MiniLMEncoder(store: $0)) },
        Entry(name: "efficientnet-lite0", input: .image) { .image(try EfficientNetLiteEncoder(store: $0, name: "efficientnet-lite0")) },
        Entry(name: "efficientnet-lite2", input: .image) { .image(try EfficientNetLiteEncoder(store: $0, name: "efficientnet-lite2")) },
        Entry(name: "efficientnet-lite0-multilevel", weights: "efficientnet-lite0", input: .image) {
            .image(try EfficientNetLiteEncoder(store: $0, name: "efficientnet-lite0", pooling: .multiLevel))
        },
        Entry(name: "efficientnet-lite2-multilevel", weights: "efficientnet-lite2", input: .image) {
            .image(try EfficientNetLiteEncoder(store: $0, name: "efficientnet-lite2", pooling: .multiLevel))
        },
        Entry(name: "geoembed", input: .image, optional: true) { .image(try GeoEmbedEncoder(store: $0)) },
    ]

    /// Names of every registered model.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`, if any.
    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
