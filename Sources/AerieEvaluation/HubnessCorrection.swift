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

    /// The per-gallery-item correction learned from reference queries: a corrected score is
    /// `scale · s(q, g) − offsets[g]`. Search computes this once (e.g. against every caption of an
    /// index) and applies it to each new query's scores.
    ///
    /// - Parameter scores: `gallery × referenceQueries`, row-major (one row per gallery item).
    public func offsets(galleryRows scores: [Float], galleryCount: Int, queryCount: Int) -> (scale: Float, offsets: [Float]) {
        precondition(scores.count == galleryCount * queryCount, "scores must be gallery × queries")
        switch self {
        case .none:
            return (1, [Float](repeating: 0, count: galleryCount))
        case let .invertedSoftmax(beta):
            let offsets = (0..<galleryCount).map { g -> Float in
                let row = scores[g * queryCount ..< (g + 1) * queryCount]
                let maxValue = row.reduce(-Float.infinity) { max($0, beta * $1) }
                let sum = row.reduce(0.0) { $0 + Double(exp(beta * $1 - maxValue)) }
                return maxValue + Float(log(sum))
            }
            return (beta, offsets)
        case let .csls(k):
            let kk = max(1, min(k, queryCount))
            let offsets = (0..<galleryCount).map { g -> Float in
                Self.largest(kk, of: scores[g * queryCount ..< (g + 1) * queryCount]).reduce(0, +) / Float(kk)
            }
            return (2, offsets)
        }
    }

    /// Corrects `scores` (`gallery × queries`, row-major: one row per gallery item) in place,
    /// using the same queries as the reference set.
    public func apply(toGalleryRows scores: inout [Float], galleryCount: Int, queryCount: Int) {
        guard self != .none else { return }
        let (scale, offsets) = offsets(galleryRows: scores, galleryCount: galleryCount, queryCount: queryCount)
        for g in 0..<galleryCount {
            for q in 0..<queryCount { scores[g * queryCount + q] = scale * scores[g * queryCount + q] - offsets[g] }
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
