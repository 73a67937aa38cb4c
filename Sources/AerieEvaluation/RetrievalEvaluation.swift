import AerieCore
import AerieTensor

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
    /// The similarity post-processing the scores went through (``HubnessCorrection/name``).
    public var hubness = "none"
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
    ///   - imageToTextSimilarity: the scores image→text ranks by, when they differ from
    ///     `similarity` (after a hubness correction, which depends on the direction); same layout.
    /// - Complexity: O(captions × images).
    public static func evaluate(
        similarity: [Float], imageCount: Int, captionImage: [Int], labels: [String]? = nil,
        ks: [Int] = [1, 5, 10], ties: TieRule = .expected, imageToTextSimilarity: [Float]? = nil
    ) -> RetrievalReport {
        precondition(labels == nil || labels?.count == imageCount, "one label per image expected")
        let ranks = RecallRanks(textToImage: similarity, imageToText: imageToTextSimilarity ?? similarity,
                                layout: .captionRows, imageCount: imageCount, captionImage: captionImage)
        let captionCount = captionImage.count

        func table(captions: [Int], images: [Int]) -> RecallTable {
            let imageRanks = images.compactMap { ranks.images[$0] }
            func recall(_ ranks: [MatchRank], _ k: Int) -> Double { RecallRanks.recall(ranks, k: k, ties: ties) }
            let captionRanks = captions.map { ranks.captions[$0] }
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

    /// The scores each direction ranks by after a hubness correction of a `captions × images`
    /// similarity matrix: for text→image the images are the gallery and every caption a reference
    /// query; for image→text the other way round (the literature's way of measuring these
    /// corrections: the queries themselves are the reference set).
    public static func corrected(
        similarity: [Float], captionCount: Int, imageCount: Int, hubness: HubnessCorrection
    ) -> (textToImage: [Float], imageToText: [Float]) {
        var textToImage = similarity, imageToText = similarity
        hubness.apply(toQueryRows: &textToImage, queryCount: captionCount, galleryCount: imageCount)
        hubness.apply(toGalleryRows: &imageToText, galleryCount: captionCount, queryCount: imageCount)
        return (textToImage, imageToText)
    }

    /// `captions (m, d) @ images (n, d)ᵀ` as a row-major `m × n` matrix, through sgemm.
    ///
    /// - Parameter normalise: L2-normalise both sides first (cosine similarity).
    public static func similarity(captions: [Float], images: [Float], dimension: Int, normalise: Bool = true) -> [Float] {
        precondition(dimension > 0 && captions.count % dimension == 0 && images.count % dimension == 0,
                     "embeddings do not make rows of \(dimension)")
        let m = captions.count / dimension, n = images.count / dimension
        let a = normalise ? L2.normalized(captions, dimension: dimension) : captions
        let b = normalise ? L2.normalized(images, dimension: dimension) : images
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
}
