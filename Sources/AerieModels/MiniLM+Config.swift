import Foundation
import AerieTensor

/// Errors loading a BERT-family text encoder: each names the file and exactly what is wrong.
public enum MiniLMError: Error, Equatable, CustomStringConvertible {
    case unreadableConfig(path: String, reason: String)
    case unsupportedConfig(path: String, field: String, value: String)
    /// Every tensor that is missing, has the wrong shape or dtype, or is not expected.
    case weightsDoNotMatchConfig(path: String, problems: [String])
    case tokenID(Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .unreadableConfig(path, reason): "\(path): cannot read the model configuration: \(reason)"
        case let .unsupportedConfig(path, field, value): "\(path): unsupported \(field) = \(value)"
        case let .weightsDoNotMatchConfig(path, problems):
            "\(path): weights do not match config.json: " + problems.joined(separator: "; ")
        case let .tokenID(id, size): "token id \(id) is outside the vocabulary of \(size)"
        }
    }
}

/// Hyper-parameters of a BERT encoder, from Hugging Face's `config.json`, plus the sequence
/// limit from sentence-transformers' `sentence_bert_config.json` (recorded in the model card).
public struct MiniLMConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    /// Longest token sequence the encoder is given (`[CLS]` and `[SEP]` included).
    public var maxSequenceLength: Int
    public var lowercase: Bool

    public var headDim: Int { hidden / heads }

    public init(vocabularySize: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int,
                maxPositions: Int, typeVocabularySize: Int, layerNormEpsilon: Float,
                maxSequenceLength: Int, lowercase: Bool) {
        precondition(heads > 0 && hidden % heads == 0, "hidden size must split evenly into heads")
        self.vocabularySize = vocabularySize
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.intermediate = intermediate
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxSequenceLength = maxSequenceLength
        self.lowercase = lowercase
    }

    private struct HuggingFace: Decodable {
        var vocab_size: Int
        var hidden_size: Int
        var num_hidden_layers: Int
        var num_attention_heads: Int
        var intermediate_size: Int
        var max_position_embeddings: Int
        var type_vocab_size: Int
        var layer_norm_eps: Double
        var hidden_act: String
        var position_embedding_type: String?
    }

    /// Reads `config.json`; `maxSequenceLength` and `lowercase` come from the model card.
    ///
    /// - Throws: ``MiniLMError`` when the file is unreadable or describes an architecture this
    ///   engine does not implement (another activation, relative positions).
    public init(configURL url: URL, maxSequenceLength: Int, lowercase: Bool) throws {
        let raw: HuggingFace
        do {
            raw = try JSONDecoder().decode(HuggingFace.self, from: Data(contentsOf: url))
        } catch {
            throw MiniLMError.unreadableConfig(path: url.path, reason: "\(error)")
        }
        guard raw.hidden_act == "gelu" else {
            throw MiniLMError.unsupportedConfig(path: url.path, field: "hidden_act", value: raw.hidden_act)
        }
        if let positions = raw.position_embedding_type, positions != "absolute" {
            throw MiniLMError.unsupportedConfig(path: url.path, field: "position_embedding_type", value: positions)
        }
        guard raw.num_attention_heads > 0, raw.hidden_size % raw.num_attention_heads == 0 else {
            throw MiniLMError.unsupportedConfig(path: url.path, field: "num_attention_heads", value: "\(raw.num_attention_heads)")
        }
        guard maxSequenceLength >= 2, maxSequenceLength <= raw.max_position_embeddings else {
            throw MiniLMError.unsupportedConfig(path: url.path, field: "max_seq_length", value: "\(maxSequenceLength)")
        }
        self.init(vocabularySize: raw.vocab_size, hidden: raw.hidden_size, layers: raw.num_hidden_layers,
                  heads: raw.num_attention_heads, intermediate: raw.intermediate_size,
                  maxPositions: raw.max_position_embeddings, typeVocabularySize: raw.type_vocab_size,
                  layerNormEpsilon: Float(raw.layer_norm_eps), maxSequenceLength: maxSequenceLength,
                  lowercase: lowercase)
    }

    /// Every tensor the encoder reads, with the shape this configuration implies.
    public var expectedTensors: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [vocabularySize, hidden]),
            ("embeddings.position_embeddings.weight", [maxPositions, hidden]),
            ("embeddings.token_type_embeddings.weight", [typeVocabularySize, hidden]),
            ("embeddings.LayerNorm.weight", [hidden]),
            ("embeddings.LayerNorm.bias", [hidden]),
        ]
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            list += [
                (p + "attention.self.query.weight", [hidden, hidden]),
                (p + "attention.self.query.bias", [hidden]),
                (p + "attention.self.key.weight", [hidden, hidden]),
                (p + "attention.self.key.bias", [hidden]),
                (p + "attention.self.value.weight", [hidden, hidden]),
                (p + "attention.self.value.bias", [hidden]),
                (p + "attention.output.dense.weight", [hidden, hidden]),
                (p + "attention.output.dense.bias", [hidden]),
                (p + "attention.output.LayerNorm.weight", [hidden]),
                (p + "attention.output.LayerNorm.bias", [hidden]),
                (p + "intermediate.dense.weight", [intermediate, hidden]),
                (p + "intermediate.dense.bias", [intermediate]),
                (p + "output.dense.weight", [hidden, intermediate]),
                (p + "output.dense.bias", [hidden]),
                (p + "output.LayerNorm.weight", [hidden]),
                (p + "output.LayerNorm.bias", [hidden]),
            ]
        }
        return list
    }

    /// Tensors a BERT checkpoint carries that sentence embeddings do not use.
    public static let ignoredTensors: Set<String> = [
        "embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias",
    ]

    /// Every way `file` differs from what this configuration expects, as readable lines
    /// (empty when it matches): missing tensors, wrong shapes, non-float32 dtypes, extras.
    public func problems(in file: SafeTensorsFile) -> [String] {
        var problems: [String] = []
        var expectedNames = Set<String>()
        for (name, shape) in expectedTensors {
            expectedNames.insert(name)
            guard let entry = file.entries[name] else {
                problems.append("\(name) is missing")
                continue
            }
            if entry.shape != shape { problems.append("\(name) has shape \(entry.shape), expected \(shape)") }
            if entry.dtype != "F32" { problems.append("\(name) has dtype \(entry.dtype), expected F32") }
        }
        for name in file.names where !expectedNames.contains(name) && !Self.ignoredTensors.contains(name) {
            problems.append("\(name) is not part of the architecture")
        }
        return problems
    }
}
