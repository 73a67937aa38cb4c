import AerieCore
import Foundation
import AerieTensor

/// all-MiniLM-L6-v2 as sentence-transformers runs it: a 6-layer BERT encoder, attention-masked
/// mean pooling over the tokens, L2 normalisation. 384-dimensional sentence embeddings.
///
/// The forward pass packs a batch's sequences one after another (no padding): every
/// position-wise step (projections, feed-forward, layer norms) is one matrix product over all
/// the batch's tokens, and attention runs per sequence over its own tokens only, which is
/// exactly what the reference's padding mask computes.
///
/// Threading: the matrix products use OpenBLAS's threads (``BLAS/setThreads(_:)``, all cores
/// by default in the CLI); everything else runs on the calling thread. Callers that encode from
/// several tasks at once set BLAS to one thread first, so 2 cores never carry 4 busy threads.
/// Scratch buffers are allocated once per forward pass (per packed batch) and reused by every
/// layer.
public struct MiniLMEncoder: TextEncoding {
    public let identity: ModelIdentity
    public let config: MiniLMConfig
    public let tokenizer: WordPieceTokenizer
    let weights: MiniLMWeights

    /// The most tokens one forward pass packs (bounds the scratch memory, a few MB).
    public var maxBatchTokens = 8192

    /// Loads the installed model `name` from `store`, checking the weights' hash against the
    /// card and every tensor against `config.json`.
    ///
    /// - Parameter verifyHash: hash the weights file against the card (a fraction of a second).
    /// - Throws: ``ModelStoreError``, ``MiniLMError``, ``SafeTensorsError`` or ``TokenizerError``,
    ///   each naming the file and the problem.
    public init(store: ModelStore, name: String = "minilm", verifyHash: Bool = true) throws {
        let card = verifyHash ? try store.verify(name) : try store.card(name)
        let folder = store.folder(name)
        guard let maxLength = card.architecture["max_seq_length"]?.int else {
            throw ModelStoreError.badCard(path: store.cardURL(name).path, reason: "architecture lacks max_seq_length")
        }
        let lowercase = card.architecture["do_lower_case"]?.bool ?? true
        let config = try MiniLMConfig(configURL: folder.appendingPathComponent("config.json"),
                                      maxSequenceLength: maxLength, lowercase: lowercase)
        let tokenizer = try WordPieceTokenizer(vocabularyURL: folder.appendingPathComponent("vocab.txt"),
                                               lowercase: lowercase, maxLength: maxLength)
        let file = try SafeTensorsFile(contentsOf: store.weightsURL(name))
        try self.init(config: config, tokenizer: tokenizer, file: file,
                      identity: ModelIdentity(name: name, weightsSHA256: card.weightsSHA256, dimension: config.hidden))
    }

    /// Builds the encoder from parts already loaded.
    ///
    /// - Throws: ``MiniLMError/weightsDoNotMatchConfig(path:problems:)`` listing every mismatch.
    public init(config: MiniLMConfig, tokenizer: WordPieceTokenizer, file: SafeTensorsFile, identity: ModelIdentity) throws {
        let problems = config.problems(in: file)
        guard problems.isEmpty else { throw MiniLMError.weightsDoNotMatchConfig(path: file.path, problems: problems) }
        // A truncated vocab.txt would turn every later word into [UNK] without a word: its size
        // must be the model's (the special tokens are checked when it is read).
        guard tokenizer.vocabulary.count == config.vocabularySize else {
            throw MiniLMError.unsupportedConfig(path: file.path, field: "vocab_size",
                                                value: "\(config.vocabularySize), but vocab.txt has \(tokenizer.vocabulary.count) tokens (truncated or another model's: reinstall with `aerie models install`)")
        }
        self.config = config
        self.tokenizer = tokenizer
        self.weights = try MiniLMWeights(config: config, file: file)
        self.identity = identity
    }

    /// Sentence embeddings of `texts`, one unit-length row each, in order: `[texts.count, 384]`.
    public func encode(_ texts: [String]) throws -> Tensor {
        try embed(tokenIDs: texts.map(tokenizer.encode))
    }

    /// Sentence embeddings of already tokenized sequences (each `[CLS] … [SEP]`).
    ///
    /// - Throws: ``MiniLMError/tokenID(_:vocabularySize:)`` for an id outside the vocabulary.
    public func embed(tokenIDs sequences: [[Int32]]) throws -> Tensor {
        var out = Tensor(zeros: [sequences.count, config.hidden])
        var start = 0
        while start < sequences.count {
            // Pack consecutive sequences up to the token budget (always at least one).
            var end = start + 1
            var tokens = sequences[start].count
            while end < sequences.count, tokens + sequences[end].count <= maxBatchTokens {
                tokens += sequences[end].count
                end += 1
            }
            let pooled = try forward(Array(sequences[start..<end]), recordStages: false).pooled
            out.data.replaceSubrange(start * config.hidden ..< end * config.hidden, with: pooled.data)
            start = end
        }
        return out
    }

    /// The result of one forward pass.
    public struct Forward: Sendable {
        /// Unit-length mean-pooled embeddings, `[sequences, hidden]`.
        public var pooled: Tensor
        /// When recorded: the packed hidden states `[tokens, hidden]` after the embeddings
        /// (index 0) and after each transformer layer (index l + 1).
        public var stages: [Tensor]
    }

    /// Runs the encoder on one packed batch.
    ///
    /// - Parameter recordStages: keep a copy of the hidden states after every stage (tests).
    public func forward(_ sequences: [[Int32]], recordStages: Bool) throws -> Forward {
        let c = config
        let lengths = sequences.map { min($0.count, c.maxSequenceLength) }
        let total = lengths.reduce(0, +)
        var ids = [Int32](); ids.reserveCapacity(total)
        var positions = [Int32](); positions.reserveCapacity(total)
        for (sequence, length) in zip(sequences, lengths) {
            for (p, id) in sequence.prefix(length).enumerated() {
                guard id >= 0, Int(id) < c.vocabularySize else { throw MiniLMError.tokenID(id, vocabularySize: c.vocabularySize) }
                ids.append(id)
                positions.append(Int32(p))
            }
        }
        let zeros = [Int32](repeating: 0, count: total)
        let longest = lengths.max() ?? 0

        // Scratch, allocated once for this batch and reused by every layer.
        let h = c.hidden, w = weights
        let scratch = Scratch(tokens: total, hidden: h, intermediate: c.intermediate, longest: longest)
        defer { scratch.release() }
        var stages: [Tensor] = []
        func record(_ buffer: UnsafeMutablePointer<Float>) {
            if recordStages { stages.append(Tensor(shape: [total, h], data: Array(UnsafeBufferPointer(start: buffer, count: total * h)))) }
        }

        let x = scratch.hidden, qkv = scratch.qkv, context = scratch.context, inner = scratch.inner
        // Embeddings: word + position + token type 0, then LayerNorm. (T, h)
        ids.withUnsafeBufferPointer { Kernels.embeddingLookup(table: w.wordEmbeddings, tableRows: c.vocabularySize, width: h, ids: $0, into: x, accumulate: false) }
        positions.withUnsafeBufferPointer { Kernels.embeddingLookup(table: w.positionEmbeddings, tableRows: c.maxPositions, width: h, ids: $0, into: x, accumulate: true) }
        zeros.withUnsafeBufferPointer { Kernels.embeddingLookup(table: w.typeEmbeddings, tableRows: c.typeVocabularySize, width: h, ids: $0, into: x, accumulate: true) }
        Kernels.addLayerNorm(x, residual: nil, rows: total, width: h, gamma: w.embeddingNormGamma, beta: w.embeddingNormBeta, epsilon: c.layerNormEpsilon)
        record(x)

        for layer in w.layers {
            // qkv (T, 3h) = x (T, h) @ [Wq; Wk; Wv]ᵀ + b
            Kernels.linear(x, rows: total, inFeatures: h, weight: layer.qkvWeight, bias: layer.qkvBias, outFeatures: 3 * h, into: qkv)
            // context (T, h): attention within each sequence.
            var offset = 0
            for length in lengths {
                Kernels.attention(qkv: qkv + offset * 3 * h, length: length, heads: c.heads, headDim: c.headDim,
                                  output: context + offset * h, ldOutput: h, scores: scratch.scores)
                offset += length
            }
            // x = LN(context @ Woᵀ + bo + x)
            Kernels.linear(context, rows: total, inFeatures: h, weight: layer.outputWeight, bias: layer.outputBias, outFeatures: h, into: scratch.projected)
            Kernels.addLayerNorm(x, residual: scratch.projected, rows: total, width: h, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, epsilon: c.layerNormEpsilon)
            // inner (T, i) = GELU(x @ W1ᵀ + b1)
            Kernels.linear(x, rows: total, inFeatures: h, weight: layer.intermediateWeight, bias: layer.intermediateBias, outFeatures: c.intermediate, into: inner)
            Kernels.gelu(inner, count: total * c.intermediate)
            // x = LN(inner @ W2ᵀ + b2 + x)
            Kernels.linear(inner, rows: total, inFeatures: c.intermediate, weight: layer.feedForwardWeight, bias: layer.feedForwardBias, outFeatures: h, into: scratch.projected)
            Kernels.addLayerNorm(x, residual: scratch.projected, rows: total, width: h, gamma: layer.outputNormGamma, beta: layer.outputNormBeta, epsilon: c.layerNormEpsilon)
            record(x)
        }

        // Mean pooling over each sequence's tokens, then L2 normalisation.
        var pooled = Tensor(zeros: [sequences.count, h])
        pooled.data.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            var offset = 0
            for (s, length) in lengths.enumerated() {
                Kernels.meanRows(x + offset * h, rows: length, width: h, into: base + s * h)
                L2.normalize(base + s * h, count: h, floor: 1e-12, scaling: .reciprocal)  // floor as torch.nn.functional.normalize
                offset += length
            }
        }
        return Forward(pooled: pooled, stages: stages)
    }

    /// The forward pass's working buffers.
    private struct Scratch {
        let hidden, qkv, context, projected, inner, scores: UnsafeMutablePointer<Float>

        init(tokens: Int, hidden h: Int, intermediate: Int, longest: Int) {
            hidden = .allocate(capacity: max(tokens * h, 1))
            qkv = .allocate(capacity: max(tokens * 3 * h, 1))
            context = .allocate(capacity: max(tokens * h, 1))
            projected = .allocate(capacity: max(tokens * h, 1))
            inner = .allocate(capacity: max(tokens * intermediate, 1))
            scores = .allocate(capacity: max(longest * longest, 1))
        }

        func release() {
            for buffer in [hidden, qkv, context, projected, inner, scores] { buffer.deallocate() }
        }
    }
}

/// The encoder's tensors in the layout the forward pass wants: query, key and value
/// projections fused into one `(3h, h)` matrix so one product computes all three.
final class MiniLMWeights: @unchecked Sendable {
    // @unchecked: written only in init, read-only afterwards; the buffers are owned here.
    struct Layer {
        var qkvWeight, qkvBias, outputWeight, outputBias: UnsafeMutablePointer<Float>
        var attentionNormGamma, attentionNormBeta: UnsafeMutablePointer<Float>
        var intermediateWeight, intermediateBias, feedForwardWeight, feedForwardBias: UnsafeMutablePointer<Float>
        var outputNormGamma, outputNormBeta: UnsafeMutablePointer<Float>
    }

    let wordEmbeddings, positionEmbeddings, typeEmbeddings: UnsafeMutablePointer<Float>
    let embeddingNormGamma, embeddingNormBeta: UnsafeMutablePointer<Float>
    let layers: [Layer]
    private var owned: [UnsafeMutablePointer<Float>] = []

    init(config c: MiniLMConfig, file: SafeTensorsFile) throws {
        var owned: [UnsafeMutablePointer<Float>] = []
        func load(_ names: [String]) throws -> UnsafeMutablePointer<Float> {
            let tensors = try names.map { try file.tensor($0) }
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(tensors.reduce(0) { $0 + $1.count }, 1))
            var offset = 0
            for t in tensors {
                t.data.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress { (buffer + offset).update(from: base, count: src.count) }
                }
                offset += t.count
            }
            owned.append(buffer)
            return buffer
        }
        do {
            wordEmbeddings = try load(["embeddings.word_embeddings.weight"])
            positionEmbeddings = try load(["embeddings.position_embeddings.weight"])
            typeEmbeddings = try load(["embeddings.token_type_embeddings.weight"])
            embeddingNormGamma = try load(["embeddings.LayerNorm.weight"])
            embeddingNormBeta = try load(["embeddings.LayerNorm.bias"])
            var layers: [Layer] = []
            for l in 0..<c.layers {
                let p = "encoder.layer.\(l)."
                let s = p + "attention.self."
                layers.append(Layer(
                    qkvWeight: try load([s + "query.weight", s + "key.weight", s + "value.weight"]),
                    qkvBias: try load([s + "query.bias", s + "key.bias", s + "value.bias"]),
                    outputWeight: try load([p + "attention.output.dense.weight"]),
                    outputBias: try load([p + "attention.output.dense.bias"]),
                    attentionNormGamma: try load([p + "attention.output.LayerNorm.weight"]),
                    attentionNormBeta: try load([p + "attention.output.LayerNorm.bias"]),
                    intermediateWeight: try load([p + "intermediate.dense.weight"]),
                    intermediateBias: try load([p + "intermediate.dense.bias"]),
                    feedForwardWeight: try load([p + "output.dense.weight"]),
                    feedForwardBias: try load([p + "output.dense.bias"]),
                    outputNormGamma: try load([p + "output.LayerNorm.weight"]),
                    outputNormBeta: try load([p + "output.LayerNorm.bias"])))
            }
            self.layers = layers
        } catch {
            for buffer in owned { buffer.deallocate() }
            throw error
        }
        self.owned = owned
    }

    deinit {
        for buffer in owned { buffer.deallocate() }
    }
}
