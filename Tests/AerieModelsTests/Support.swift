import Foundation
import Testing
import AerieModels
import AerieTensor

/// Where the committed reference fixtures live.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

/// The reference dump written by scripts/reference/dump_minilm.py.
struct MiniLMReference: Decodable {
    var format: String
    var version: Int
    var max_seq_length: Int
    var plain: Int
    var stages: [String]
    var stage_tokens: Int
    var stage_dims: Int
    var sentences: [String]
    var token_ids: [[Int32]]

    static func load() throws -> MiniLMReference {
        try JSONDecoder().decode(MiniLMReference.self, from: Data(contentsOf: Fixtures.url("minilm_tokens.json")))
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Σ(a−b)² / Σb²: the error relative to the reference's energy.
func normalisedMSE(_ a: [Float], reference b: [Float]) -> Double {
    let error = zip(a, b).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
    let energy = b.map { Double($0) * Double($0) }.reduce(0, +)
    return error / max(energy, 1e-30)
}

func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
    return dot / max((na * nb).squareRoot(), 1e-30)
}
