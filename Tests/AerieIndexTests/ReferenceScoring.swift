import AerieCore
@testable import AerieIndex

/// Slow, obvious twins of the scoring engine, used only by the tests: score every row with plain
/// scalar loops in Double, sort everything, take the first `k`.
enum ReferenceScoring {
    static func score(_ query: [Float], _ row: [Float], _ metric: Metric) -> Double {
        let q = query.map(Double.init), x = row.map(Double.init)
        switch metric {
        case .cosine:
            let dot = zip(q, x).reduce(0) { $0 + $1.0 * $1.1 }
            let nq = q.reduce(0) { $0 + $1 * $1 }.squareRoot(), nx = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return nq == 0 || nx == 0 ? 0 : dot / (nq * nx)
        case .euclidean:
            return zip(q, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        case .cityblock:
            return zip(q, x).reduce(0) { $0 + abs($1.0 - $1.1) }
        case .hamming:
            return Double(zip(q, x).filter { ($0.0 > 0) != ($0.1 > 0) }.count)
        }
    }

    /// All rows scored and sorted best first, ties by lower id.
    static func search(_ query: [Float], rows: [[Float]], k: Int, metric: Metric) -> [(id: Int, score: Double)] {
        let scored = rows.enumerated().map { (id: $0.offset, score: score(query, $0.element, metric)) }
        let sorted = scored.sorted { a, b in
            if a.score != b.score { return metric.higherIsBetter ? a.score > b.score : a.score < b.score }
            return a.id < b.id
        }
        return Array(sorted.prefix(k))
    }
}

extension SplitMix64 {
    mutating func gaussian() -> Float {
        let u = Float.random(in: Float.ulpOfOne..<1, using: &self), v = Float.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    mutating func vectors(_ count: Int, _ dimension: Int) -> [Float] {
        (0..<(count * dimension)).map { _ in gaussian() }
    }
}


import Foundation
