import AerieEvaluation
import AerieCore
import AerieJoint
import AerieTensor

/// A hubness correction prepared for one index and target: the per-item offsets learned from
/// the index's items of the other modality (captions when searching images, images when searching
/// captions), as ``HubnessCorrection`` defines them.
public struct PreparedHubness: Sendable {
    public let correction: HubnessCorrection
    public let target: SearchIndex.Target
    /// A corrected score is `scale · cosine − offsets[row]`.
    public let scale: Float
    public let offsets: [Float]
    /// Reference queries the offsets were learned from.
    public let referenceCount: Int
}

extension SearchIndex {
    /// At most this many reference queries (spread evenly over the index) learn the offsets:
    /// enough for a stable k-nearest mean or log-sum-exp, and it bounds the cost on big indexes.
    public static let hubnessReferenceLimit = 20_000

    /// Learns the offsets of `correction` for searching `target`.
    ///
    /// The references are the index's items of the other modality: its captions when searching
    /// images, its images when searching captions. An index without captions (a folder of images)
    /// learns image offsets from `queryBank` instead: a head's reference queries (``QueryBank``).
    ///
    /// - Parameter queryBank: row-major joint vectors of reference queries, used only when
    ///   searching images of an index without caption vectors.
    /// - Throws: ``IndexError/noVectors(kind:reason:)`` when there are no references.
    /// - Complexity: O(items × references × dimension), through sgemm in blocks.
    public func prepareHubness(_ correction: HubnessCorrection, target: Target,
                               referenceLimit: Int = SearchIndex.hubnessReferenceLimit,
                               queryBank: [Float]? = nil) throws -> PreparedHubness {
        let gallery = try matrix(for: target, metric: .cosine)
        let d = gallery.dimension
        let limit = max(1, referenceLimit)
        func spread(_ count: Int) -> [Int] {
            count <= limit ? Array(0..<count) : (0..<limit).map { $0 * count / limit }
        }
        let referenceValues: [Float]
        let referenceCount: Int
        if let references = target == .images ? captionVectors : imageVectors, references.count > 0 {
            let rows = spread(references.count)
            referenceValues = Self.unitRows(references, rows)
            referenceCount = rows.count
        } else if target == .images, let bank = queryBank, !bank.isEmpty, bank.count % d == 0 {
            let rows = spread(bank.count / d)
            referenceValues = L2.normalized(rows.flatMap { bank[$0 * d ..< ($0 + 1) * d] }, dimension: d)
            referenceCount = rows.count
        } else {
            throw IndexError.noVectors(kind: "caption", reason: "a hubness correction learns from reference queries: build the index with captions, or use a head that carries a query bank (`aerie train` writes one; `aerie query-bank` adds one to an older head)")
        }
        var offsets = [Float](repeating: 0, count: gallery.count)
        var scale: Float = 1
        let block = 512
        var scores = [Float](repeating: 0, count: block * referenceCount)
        for start in stride(from: 0, to: gallery.count, by: block) {
            let rows = Array(start ..< min(gallery.count, start + block))
            let galleryValues = Self.unitRows(gallery, rows)
            let m = rows.count, n = referenceCount
            galleryValues.withUnsafeBufferPointer { a in
                referenceValues.withUnsafeBufferPointer { b in
                    scores.withUnsafeMutableBufferPointer { c in
                        guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                        // (m, n) = gallery block (m, d) @ references (n, d)ᵀ
                        BLAS.sgemm(m: m, n: n, k: d, a, b, transposeB: true, c)
                    }
                }
            }
            let part = correction.offsets(galleryRows: Array(scores[0 ..< m * n]), galleryCount: m, queryCount: n)
            scale = part.scale
            for (r, row) in rows.enumerated() { offsets[row] = part.offsets[r] }
        }
        return PreparedHubness(correction: correction, target: target, scale: scale, offsets: offsets,
                               referenceCount: referenceCount)
    }

    /// The `k` best items for a joint-space vector under cosine similarity corrected by `hubness`
    /// (scores are the corrected ones). Exact: every item is scored.
    public func search(_ vector: [Float], k: Int, hubness: PreparedHubness) throws -> [Hit] {
        let gallery = try matrix(for: hubness.target, metric: .cosine)
        precondition(hubness.offsets.count == gallery.count, "hubness offsets were prepared for another index")
        guard vector.count == gallery.dimension else {
            throw ScoringError.dimensionMismatch(query: vector.count, matrix: gallery.dimension)
        }
        let query = L2.normalized(vector, dimension: vector.count)
        var corrected = [Float](repeating: 0, count: gallery.count)
        let block = 4096
        for start in stride(from: 0, to: gallery.count, by: block) {
            let rows = Array(start ..< min(gallery.count, start + block))
            let values = Self.unitRows(gallery, rows)
            let d = gallery.dimension
            for (r, row) in rows.enumerated() {
                var dot: Float = 0
                for j in 0..<d { dot += values[r * d + j] * query[j] }
                corrected[row] = hubness.scale * dot - hubness.offsets[row]
            }
        }
        // Best first; equal scores by lower row, as the scoring engine orders them.
        let order = corrected.indices.sorted { corrected[$0] != corrected[$1] ? corrected[$0] > corrected[$1] : $0 < $1 }
        return order.prefix(max(0, k)).map { Hit(id: $0, score: corrected[$0]) }
    }

    /// Rows of a matrix as float32, scaled to unit length.
    static func unitRows(_ matrix: VectorMatrix, _ rows: [Int]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(rows.count * matrix.dimension)
        for row in rows { out += matrix.row(row) }
        return L2.normalized(out, dimension: matrix.dimension)
    }
}
