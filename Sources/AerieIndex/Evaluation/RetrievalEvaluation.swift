import AerieTensor

/// How a query's true match ranks among items with exactly the same score.
public enum TieRule: String, Sendable, Codable, CaseIterable {
    /// Every other item with the same score as the true match ranks before it (a tie never earns
    /// a hit). Safe: it can only under-state recall.
    case pessimistic
    /// Items with the same score rank after the true match.
    case optimistic
    /// Ties are broken uniformly at random, in expectation: a true match tied with `t` others
    /// behind `g` strictly better items is in the top K with probability `(K − g) / (t + 1)`,
    /// clamped to 0…1. This is what the literature's evaluation code (an arbitrary sort order
    /// among equal scores) measures on average, and the default: RSICD repeats caption texts
    /// across images, and identical texts score identically, so neither extreme is fair.
    case expected

    /// The probability that a true match behind `greater` strictly better items and tied with
    /// `tied` others ranks in the top `k`.
    func hitProbability(greater: Int, tied: Int, k: Int) -> Double {
        switch self {
        case .pessimistic: greater + tied < k ? 1 : 0
        case .optimistic: greater < k ? 1 : 0
        case .expected: min(1, max(0, Double(k - greater) / Double(tied + 1)))
        }
    }
}

/// Where a query's true match stands: items scored strictly higher, and items scored equal.
struct MatchRank: Sendable {
    var greater: Int
    var tied: Int
    /// A match that cannot be ranked (a NaN score): never a hit.
    static let unranked = MatchRank(greater: Int.max / 2, tied: 0)
}

/// Recall at each cut-off, both ways, in percent.
public struct RecallTable: Sendable, Codable, Equatable {
    /// The cut-offs, e.g. `[1, 5, 10]`.
    public var ks: [Int]
    /// Text→image R@K (percent of captions whose own image is in the top K), aligned with `ks`.
    public var textToImage: [Double]
    /// Image→text R@K (percent of images with at least one own caption in the top K).
    public var imageToText: [Double]
    /// Captions and images that served as queries.
    public var captionQueries: Int
    public var imageQueries: Int

    /// mR: the mean of all the recalls of both directions.
    public var meanRecall: Double {
        let all = textToImage + imageToText
        return all.isEmpty ? 0 : all.reduce(0, +) / Double(all.count)
    }
}

/// The evaluation of a retrieval run: overall and, where images have labels, per class.
public struct RetrievalReport: Sendable, Codable, Equatable {
    public var overall: RecallTable
    /// Per class label, sorted by label.
    public var perClass: [(label: String, table: RecallTable)] {
        classLabels.indices.map { (label: classLabels[$0], table: classTables[$0]) }
    }
    public var tieRule: TieRule
    var classLabels: [String]
    var classTables: [RecallTable]
}

/// Image-text retrieval metrics with the protocol of the remote-sensing literature (VSE++,
/// AMFMN, GaLR, …): every caption is a query; text→image counts a hit when the caption's own
/// image is in the top K; image→text counts a hit when any of the image's captions is in the
/// top K; mR is the mean of the six recalls.
public enum RetrievalEvaluation {
    /// Evaluates a similarity matrix.
    ///
    /// - Parameters:
    ///   - similarity: `captionImage.count × imageCount` scores, row-major (higher is more similar).
    ///   - imageCount: number of images (columns).
    ///   - captionImage: for each caption (row), the index of its image.
    ///   - labels: optional class label of each image, for the per-class breakdown.
    ///   - ks: the cut-offs.
    ///   - ties: how equal scores rank (see ``TieRule``).
    /// - Complexity: O(captions × images).
    public static func evaluate(
        similarity: [Float], imageCount: Int, captionImage: [Int], labels: [String]? = nil,
        ks: [Int] = [1, 5, 10], ties: TieRule = .expected
    ) -> RetrievalReport {
        let captionCount = captionImage.count
        precondition(similarity.count == captionCount * imageCount,
                     "similarity has \(similarity.count) scores, expected \(captionCount)x\(imageCount)")
        precondition(captionImage.allSatisfy { $0 >= 0 && $0 < imageCount }, "caption's image out of range")
        precondition(labels == nil || labels?.count == imageCount, "one label per image expected")

        // Text→image: rank of the caption's own image in its row.
        var captionRank = [MatchRank](repeating: .unranked, count: captionCount)
        similarity.withUnsafeBufferPointer { s in
            for c in 0..<captionCount {
                let row = c * imageCount
                let truth = captionImage[c]
                let target = s[row + truth]
                guard !target.isNaN else { continue }
                var rank = MatchRank(greater: 0, tied: 0)
                for j in 0..<imageCount where j != truth {
                    let v = s[row + j]
                    if v > target { rank.greater += 1 } else if v == target { rank.tied += 1 }
                }
                captionRank[c] = rank
            }
        }

        // Image→text: rank of the best-scored own caption in the image's column.
        var captionsOf = [[Int]](repeating: [], count: imageCount)
        for (c, image) in captionImage.enumerated() { captionsOf[image].append(c) }
        var imageRank = [MatchRank?](repeating: nil, count: imageCount)
        similarity.withUnsafeBufferPointer { s in
            for i in 0..<imageCount where !captionsOf[i].isEmpty {
                let best = captionsOf[i].map { s[$0 * imageCount + i] }.filter { !$0.isNaN }.max()
                guard let best else { imageRank[i] = .unranked; continue }
                var rank = MatchRank(greater: 0, tied: 0)
                for c in 0..<captionCount where captionImage[c] != i {
                    let v = s[c * imageCount + i]
                    if v > best { rank.greater += 1 } else if v == best { rank.tied += 1 }
                }
                imageRank[i] = rank
            }
        }

        func table(captions: [Int], images: [Int]) -> RecallTable {
            let imageRanks = images.compactMap { imageRank[$0] }
            func recall(_ ranks: [MatchRank], _ k: Int) -> Double {
                guard !ranks.isEmpty else { return 0 }
                let hits = ranks.reduce(0.0) { $0 + ties.hitProbability(greater: $1.greater, tied: $1.tied, k: k) }
                return 100 * hits / Double(ranks.count)
            }
            let captionRanks = captions.map { captionRank[$0] }
            return RecallTable(ks: ks, textToImage: ks.map { recall(captionRanks, $0) },
                               imageToText: ks.map { recall(imageRanks, $0) },
                               captionQueries: captionRanks.count, imageQueries: imageRanks.count)
        }

        let overall = table(captions: Array(0..<captionCount), images: Array(0..<imageCount))
        var classLabels: [String] = []
        var classTables: [RecallTable] = []
        if let labels {
            for label in Set(labels).sorted() {
                let images = (0..<imageCount).filter { labels[$0] == label }
                let captions = (0..<captionCount).filter { labels[captionImage[$0]] == label }
                classLabels.append(label)
                classTables.append(table(captions: captions, images: images))
            }
        }
        return RetrievalReport(overall: overall, tieRule: ties, classLabels: classLabels, classTables: classTables)
    }

    /// `captions (m, d) @ images (n, d)ᵀ` as a row-major `m × n` matrix, through sgemm.
    ///
    /// - Parameter normalise: L2-normalise both sides first (cosine similarity).
    public static func similarity(captions: [Float], images: [Float], dimension: Int, normalise: Bool = true) -> [Float] {
        precondition(dimension > 0 && captions.count % dimension == 0 && images.count % dimension == 0,
                     "embeddings do not make rows of \(dimension)")
        let m = captions.count / dimension, n = images.count / dimension
        let a = normalise ? l2Normalised(captions, dimension) : captions
        let b = normalise ? l2Normalised(images, dimension) : images
        var out = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return out }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                    // (m, n) = captions (m, d) @ images (n, d)ᵀ
                    BLAS.sgemm(m: m, n: n, k: dimension, a, b, transposeB: true, c)
                }
            }
        }
        return out
    }

    /// Rows of `dimension` scaled to unit length (zero rows stay zero).
    public static func l2Normalised(_ values: [Float], _ dimension: Int) -> [Float] {
        var out = values
        for start in stride(from: 0, to: values.count, by: dimension) {
            let norm = values[start..<(start + dimension)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            for i in start..<(start + dimension) { out[i] /= norm }
        }
        return out
    }
}
