import AerieTensor

/// How a query's true match ranks among items with exactly the same score.
public enum TieRule: String, Sendable, Codable, CaseIterable {
    /// Every other item with the same score as the true match ranks before it (a tie never earns
    /// a hit). Safe: it can only under-state recall.
    case pessimistic
    /// Items with the same score rank after the true match.
    case optimistic
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
        ks: [Int] = [1, 5, 10], ties: TieRule = .pessimistic
    ) -> RetrievalReport {
        let captionCount = captionImage.count
        precondition(similarity.count == captionCount * imageCount,
                     "similarity has \(similarity.count) scores, expected \(captionCount)x\(imageCount)")
        precondition(captionImage.allSatisfy { $0 >= 0 && $0 < imageCount }, "caption's image out of range")
        precondition(labels == nil || labels?.count == imageCount, "one label per image expected")

        // Text→image: rank of the caption's own image in its row.
        var captionRank = [Int](repeating: 0, count: captionCount)
        similarity.withUnsafeBufferPointer { s in
            for c in 0..<captionCount {
                let row = c * imageCount
                let truth = captionImage[c]
                let target = s[row + truth]
                guard !target.isNaN else { captionRank[c] = Int.max; continue }
                var rank = 0
                for j in 0..<imageCount where j != truth {
                    let v = s[row + j]
                    if v > target || (ties == .pessimistic && v == target) { rank += 1 }
                }
                captionRank[c] = rank
            }
        }

        // Image→text: rank of the best-scored own caption in the image's column.
        var captionsOf = [[Int]](repeating: [], count: imageCount)
        for (c, image) in captionImage.enumerated() { captionsOf[image].append(c) }
        var imageRank = [Int?](repeating: nil, count: imageCount)
        similarity.withUnsafeBufferPointer { s in
            for i in 0..<imageCount where !captionsOf[i].isEmpty {
                let best = captionsOf[i].map { s[$0 * imageCount + i] }.filter { !$0.isNaN }.max()
                guard let best else { imageRank[i] = Int.max; continue }
                var rank = 0
                for c in 0..<captionCount where captionImage[c] != i {
                    let v = s[c * imageCount + i]
                    if v > best || (ties == .pessimistic && v == best) { rank += 1 }
                }
                imageRank[i] = rank
            }
        }

        func table(captions: [Int], images: [Int]) -> RecallTable {
            let imageRanks = images.compactMap { imageRank[$0] }
            func recall(_ ranks: [Int], _ k: Int) -> Double {
                ranks.isEmpty ? 0 : 100 * Double(ranks.filter { $0 < k }.count) / Double(ranks.count)
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
