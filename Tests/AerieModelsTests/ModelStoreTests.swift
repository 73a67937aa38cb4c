import Foundation
import Testing
import AerieCore
import AerieTensor
import AerieTestSupport
@testable import AerieModels

@Suite struct ModelStoreTests {
    @Test func sha256KnownVectors() {
        #expect(SHA256.hex(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(of: long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in uneven pieces, the digest is the same.
        var hasher = SHA256()
        let bytes = [UInt8](repeating: 0x61, count: 1000)
        for chunk in stride(from: 0, to: 1000, by: 37) {
            bytes[chunk ..< min(chunk + 37, 1000)].withUnsafeBytes { hasher.update($0) }
        }
        #expect(hasher.finalizeHex() == SHA256.hex(of: Data(bytes)))
    }

    @Test func storeLocationFollowsFlagThenEnvironment() {
        #expect(ModelStore(explicit: "/x/models", environment: ["AERIE_MODELS": "/y"]).root.path == "/x/models")
        #expect(ModelStore(explicit: nil, environment: ["AERIE_MODELS": "/y", "HOME": "/h"]).root.path == "/y")
        #expect(ModelStore(explicit: nil, environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]).root.path == "/c/aerie/models")
        #expect(ModelStore(explicit: nil, environment: ["HOME": "/h"]).root.path == "/h/.cache/aerie/models")
    }

    func temporaryStore() throws -> ModelStore {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return ModelStore(root: root)
    }

    func card(name: String, weights: Data, format: String = "aerie-model-card") -> Data {
        Data("""
        {"format": "\(format)", "version": 1, "name": "\(name)",
         "source": {"package": "p", "version": "1", "wheel": "p.whl", "wheel_sha256": "00", "member": "m", "format": "safetensors"},
         "weights_sha256": "\(SHA256.hex(of: weights))", "size": \(weights.count), "licence": "MIT",
         "architecture": {"max_seq_length": 256, "do_lower_case": true, "family": "bert", "ratio": 1.5}}
        """.utf8)
    }

    @Test func listsVerifiesAndRejectsTamperedWeights() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.root) }
        let weights = Data("pretend weights".utf8)
        try FileManager.default.createDirectory(at: store.folder("m"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: store.root.appendingPathComponent(".tmp-m-123"), withIntermediateDirectories: true)
        try weights.write(to: store.weightsURL("m"))
        try card(name: "m", weights: weights).write(to: store.cardURL("m"))

        let listed = store.list()
        #expect(listed.map(\.name) == ["m"])
        let parsed = try store.verify("m")
        #expect(parsed.licence == "MIT")
        #expect(parsed.architecture["max_seq_length"]?.int == 256)
        #expect(parsed.architecture["do_lower_case"]?.bool == true)
        #expect(parsed.architecture["ratio"] == .number(1.5))

        try Data("tampered weights".utf8).write(to: store.weightsURL("m"))
        #expect(throws: ModelStoreError.self) { try store.verify("m") }
        #expect(throws: ModelStoreError.notInstalled(name: "absent", store: store.root.path)) { try store.card("absent") }
    }

    /// A FIFO in the model store used to block, or to fail with "You don't have permission".
    @Test(.timeLimit(.minutes(1))) func fifoInTheStoreIsNamed() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.root) }
        let weights = Data("pretend weights".utf8)
        try FileManager.default.createDirectory(at: store.folder("m"), withIntermediateDirectories: true)
        try card(name: "m", weights: weights).write(to: store.cardURL("m"))
        #expect(mkfifo(store.weightsURL("m").path, 0o600) == 0)
        #expect(throws: ModelStoreError.notARegularFile(path: store.weightsURL("m").path, kind: "a FIFO (named pipe)")) {
            try store.verify("m")
        }
        try FileManager.default.removeItem(at: store.weightsURL("m"))
        try weights.write(to: store.weightsURL("m"))
        let vocabulary = store.folder("m").appendingPathComponent("vocab.txt").path
        #expect(mkfifo(vocabulary, 0o600) == 0)
        #expect(throws: ModelStoreError.notARegularFile(path: vocabulary, kind: "a FIFO (named pipe)")) { try store.card("m") }
    }

    @Test func cardWithoutMagicIsRejected() throws {
        #expect(throws: ModelStoreError.badCard(path: "c.json", reason: "format is not aerie-model-card")) {
            try ModelCard(data: card(name: "m", weights: Data(), format: "other"), path: "c.json")
        }
        #expect(throws: ModelStoreError.badCard(path: "c.json", reason: "not a JSON object")) {
            try ModelCard(data: Data("[1]".utf8), path: "c.json")
        }
    }

    /// Loading names every tensor that does not fit the configuration.
    @Test func weightCheckNamesEachProblem() throws {
        let config = MiniLMConfig(vocabularySize: 10, hidden: 4, layers: 1, heads: 2, intermediate: 8,
                                  maxPositions: 6, typeVocabularySize: 2, layerNormEpsilon: 1e-12,
                                  maxSequenceLength: 6, lowercase: true)
        var tensors: [(String, [Int], String)] = config.expectedTensors.map { ($0.name, $0.shape, "F32") }
        tensors.removeAll { $0.0 == "encoder.layer.0.attention.self.key.bias" }
        tensors = tensors.map { $0.0 == "encoder.layer.0.output.dense.weight" ? ($0.0, [8, 4], "F32") : $0 }
        tensors = tensors.map { $0.0 == "embeddings.LayerNorm.bias" ? ($0.0, [4], "F16") : $0 }
        tensors.append(("encoder.layer.1.output.dense.weight", [4, 8], "F32"))
        let file = try SafeTensorsFile(data: safetensors(tensors), path: "w.safetensors")
        let problems = config.problems(in: file)
        #expect(problems.contains("encoder.layer.0.attention.self.key.bias is missing"))
        #expect(problems.contains("encoder.layer.0.output.dense.weight has shape [8, 4], expected [4, 8]"))
        #expect(problems.contains("embeddings.LayerNorm.bias has dtype F16, expected F32"))
        #expect(problems.contains("encoder.layer.1.output.dense.weight is not part of the architecture"))
        #expect(problems.count == 4)
    }

    /// A truncated vocab.txt used to be accepted, every later word becoming [UNK].
    @Test func vocabularyMustMatchTheModel() throws {
        let config = MiniLMConfig(vocabularySize: 10, hidden: 4, layers: 1, heads: 2, intermediate: 8,
                                  maxPositions: 6, typeVocabularySize: 2, layerNormEpsilon: 1e-12,
                                  maxSequenceLength: 6, lowercase: true)
        let file = try SafeTensorsFile(data: safetensors(config.expectedTensors.map { ($0.name, $0.shape, "F32") }), path: "w.safetensors")
        let identity = ModelIdentity(name: "m", weightsSHA256: "00", dimension: 4)
        let full = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c", "d", "e", "f"]
        _ = try MiniLMEncoder(config: config, tokenizer: WordPieceTokenizer(vocabularyLines: full, maxLength: 6), file: file, identity: identity)
        #expect(throws: MiniLMError.self) {
            try MiniLMEncoder(config: config, tokenizer: WordPieceTokenizer(vocabularyLines: Array(full.prefix(6)), maxLength: 6),
                              file: file, identity: identity)
        }
        #expect(throws: TokenizerError.missingSpecialToken(path: "vocab.txt", token: "[PAD]")) {
            try WordPieceTokenizer(vocabularyLines: Array(full.dropFirst()), maxLength: 6)
        }
    }

    /// A minimal safetensors file with zero-filled tensors.
    func safetensors(_ tensors: [(String, [Int], String)]) -> Data {
        var header: [String] = []
        var offset = 0
        for (name, shape, dtype) in tensors {
            let bytes = shape.reduce(1, *) * (dtype == "F32" ? 4 : 2)
            header.append("\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": [\(offset), \(offset + bytes)]}")
            offset += bytes
        }
        return SafeTensorsFixture.data(header: "{" + header.joined(separator: ", ") + "}", payloadBytes: offset)
    }
}
