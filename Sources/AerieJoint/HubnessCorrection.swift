import Foundation

/// Similarity post-processing against hubs: gallery items that are close to many queries and so
/// crowd the top of every result list.
///
/// Both corrections subtract a per-gallery-item offset learned from a set of reference queries
/// (in evaluation, the queries themselves, as the literature does):
/// - inverted softmax (Smith et al., ICLR 2017): `β·s(q,g) − log Σ_{q'} exp(β·s(q',g))`;
/// - cross-domain similarity local scaling, CSLS (Conneau et al., ICLR 2018):
///   `2·s(q,g) − r(g)` with `r(g)` the mean similarity of `g` to its `k` nearest reference queries
///   (the query's own term is the same for every gallery item and does not change its ranking).
public enum HubnessCorrection: Sendable, Equatable, Codable {
    case none
    case invertedSoftmax(beta: Float)
    case csls(k: Int)

    /// The name as `--hubness` takes it.
    public var name: String {
        switch self {
        case .none: "none"
        case let .invertedSoftmax(beta): "inverted-softmax(β=\(beta))"
        case let .csls(k): "csls(k=\(k))"
        }
    }

    /// Corrects `scores` (`gallery × queries`, row-major: one row per gallery item) in place,
    /// using the same queries as the reference set.
    public func apply(toGalleryRows scores: inout [Float], galleryCount: Int, queryCount: Int) {
        precondition(scores.count == galleryCount * queryCount, "scores must be gallery × queries")
        switch self {
        case .none:
            return
        case let .invertedSoftmax(beta):
            for g in 0..<galleryCount {
                let row = g * queryCount
                var maxValue = -Float.infinity
                for q in 0..<queryCount { maxValue = max(maxValue, beta * scores[row + q]) }
                var sum: Double = 0
                for q in 0..<queryCount { sum += Double(exp(beta * scores[row + q] - maxValue)) }
                let offset = maxValue + Float(log(sum))
                for q in 0..<queryCount { scores[row + q] = beta * scores[row + q] - offset }
            }
        case let .csls(k):
            let kk = max(1, min(k, queryCount))
            for g in 0..<galleryCount {
                let row = g * queryCount
                let top = Self.largest(kk, of: scores[row ..< row + queryCount])
                let r = top.reduce(0, +) / Float(kk)
                for q in 0..<queryCount { scores[row + q] = 2 * scores[row + q] - r }
            }
        }
    }

    /// Corrects `scores` (`queries × gallery`, one row per query) in place.
    public func apply(toQueryRows scores: inout [Float], queryCount: Int, galleryCount: Int) {
        guard self != .none else { return }
        var transposed = Self.transpose(scores, rows: queryCount, columns: galleryCount)
        apply(toGalleryRows: &transposed, galleryCount: galleryCount, queryCount: queryCount)
        scores = Self.transpose(transposed, rows: galleryCount, columns: queryCount)
    }

    static func transpose(_ m: [Float], rows: Int, columns: Int) -> [Float] {
        var t = [Float](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = m[r * columns + c] } }
        return t
    }

    /// The `k` largest values of `values` (partial selection with a small sorted buffer).
    static func largest(_ k: Int, of values: ArraySlice<Float>) -> [Float] {
        var top = [Float]()
        top.reserveCapacity(k + 1)
        for v in values {
            if top.count < k {
                top.append(v)
                top.sort(by: >)
            } else if let last = top.last, v > last {
                top[k - 1] = v
                var i = k - 1
                while i > 0 && top[i] > top[i - 1] { top.swapAt(i, i - 1); i -= 1 }
            }
        }
        return top
    }
}
