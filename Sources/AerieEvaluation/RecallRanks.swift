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

    /// The probability that a true match ranked `rank` is in the top `k`.
    public func hitProbability(_ rank: MatchRank, k: Int) -> Double {
        switch self {
        case .pessimistic: rank.greater + rank.tied < k ? 1 : 0
        case .optimistic: rank.greater < k ? 1 : 0
        case .expected: min(1, max(0, Double(k - rank.greater) / Double(rank.tied + 1)))
        }
    }
}

/// Where a query's true match stands: items scored strictly higher, and items scored equal.
public struct MatchRank: Sendable, Equatable {
    public var greater: Int
    public var tied: Int

    public init(greater: Int, tied: Int) {
        self.greater = greater
        self.tied = tied
    }

    /// A match that cannot be ranked (a NaN score): never a hit.
    public static let unranked = MatchRank(greater: Int.max / 2, tied: 0)
}

/// The ranks of the true matches of image-text retrieval with the literature's protocol, the one
/// computation behind both `aerie eval` (``RetrievalEvaluation`` in AerieIndex) and the
/// trainer's validation (``RetrievalMetrics``):
/// - text→image: every caption is a query; its true match is its own image;
/// - image→text: every image with captions is a query; its true match is the best-scored of
///   its own captions, ranked among the other images' captions.
public struct RecallRanks: Sendable {
    /// How a similarity matrix is laid out (row-major).
    public enum Layout: Sendable {
        /// One row per caption, one column per image.
        case captionRows
        /// One row per image, one column per caption.
        case imageRows
    }

    /// For each caption, the rank of its image (text→image).
    public var captions: [MatchRank]
    /// For each image, the rank of its best own caption (image→text); `nil` for an image without
    /// captions (it is no query).
    public var images: [MatchRank?]

    /// - Parameters:
    ///   - textToImage: the scores the text→image direction ranks by.
    ///   - imageToText: the scores the image→text direction ranks by (they differ after a
    ///     hubness correction, which depends on the direction); same layout.
    ///   - captionImage: for each caption, the index of its image.
    /// - Complexity: O(captions × images).
    public init(textToImage: [Float], imageToText: [Float], layout: Layout, imageCount: Int, captionImage: [Int]) {
        let captionCount = captionImage.count
        precondition(textToImage.count == captionCount * imageCount && imageToText.count == textToImage.count,
                     "similarity has \(textToImage.count)/\(imageToText.count) scores, expected \(captionCount)×\(imageCount)")
        precondition(captionImage.allSatisfy { $0 >= 0 && $0 < imageCount }, "a caption's image is out of range")
        // Element (caption c, image i) and the stride between neighbouring images / captions.
        let (captionStride, imageStride) = layout == .captionRows ? (imageCount, 1) : (1, captionCount)

        var captionRanks = [MatchRank](repeating: .unranked, count: captionCount)
        textToImage.withUnsafeBufferPointer { s in
            for c in 0..<captionCount {
                let base = c * captionStride, truth = captionImage[c]
                let target = s[base + truth * imageStride]
                guard !target.isNaN else { continue }
                var rank = MatchRank(greater: 0, tied: 0)
                for i in 0..<imageCount where i != truth {
                    let v = s[base + i * imageStride]
                    if v > target { rank.greater += 1 } else if v == target { rank.tied += 1 }
                }
                captionRanks[c] = rank
            }
        }

        var captionsOf = [[Int]](repeating: [], count: imageCount)
        for (c, image) in captionImage.enumerated() { captionsOf[image].append(c) }
        var imageRanks = [MatchRank?](repeating: nil, count: imageCount)
        imageToText.withUnsafeBufferPointer { s in
            for i in 0..<imageCount where !captionsOf[i].isEmpty {
                let base = i * imageStride
                guard let best = captionsOf[i].map({ s[base + $0 * captionStride] }).filter({ !$0.isNaN }).max() else {
                    imageRanks[i] = .unranked
                    continue
                }
                var rank = MatchRank(greater: 0, tied: 0)
                for c in 0..<captionCount where captionImage[c] != i {
                    let v = s[base + c * captionStride]
                    if v > best { rank.greater += 1 } else if v == best { rank.tied += 1 }
                }
                imageRanks[i] = rank
            }
        }
        captions = captionRanks
        images = imageRanks
    }

    /// Recall at `k` in percent over `ranks` (0 for no queries).
    public static func recall(_ ranks: [MatchRank], k: Int, ties: TieRule) -> Double {
        guard !ranks.isEmpty else { return 0 }
        return 100 * ranks.reduce(0.0) { $0 + ties.hitProbability($1, k: k) } / Double(ranks.count)
    }
}
