import Foundation

/// Recall at 1, 5 and 10 in both directions and their mean (mR), in percent, as the remote-sensing
/// retrieval literature reports them.
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    /// Image → text: an image query hits when any of its captions is in the top K.
    public var imageToText: [Float]  // R@1, R@5, R@10
    /// Text → image: a caption query hits when its own image is in the top K.
    public var textToImage: [Float]  // R@1, R@5, R@10

    /// The mean of the six recalls.
    public var meanRecall: Float { (imageToText.reduce(0, +) + textToImage.reduce(0, +)) / 6 }

    public init(imageToText: [Float], textToImage: [Float]) {
        self.imageToText = imageToText
        self.textToImage = textToImage
    }

    private enum CodingKeys: String, CodingKey { case imageToText = "i2t", textToImage = "t2i", meanRecall = "mR" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageToText = try c.decode([Float].self, forKey: .imageToText)
        textToImage = try c.decode([Float].self, forKey: .textToImage)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(imageToText, forKey: .imageToText)
        try c.encode(textToImage, forKey: .textToImage)
        try c.encode(meanRecall, forKey: .meanRecall)
    }

    /// The recall levels reported.
    public static let levels = [1, 5, 10]

    /// Computes the metrics from a similarity matrix with ``RecallRanks``, ties counted
    /// ``TieRule/expected`` (broken uniformly at random, in expectation), as `aerie eval` does
    /// by default: RSICD repeats caption texts across images, and identical texts score identically.
    ///
    /// - Parameters:
    ///   - scores: `images × captions`, row-major; higher is more similar.
    ///   - captionImage: for each caption (column), the row of its image.
    ///   - textToImageScores: scores for the text → image direction when they differ from
    ///     `scores` (after a hubness correction over images); same layout.
    public static func compute(
        scores: [Float], imageCount: Int, captionImage: [Int], textToImageScores: [Float]? = nil
    ) -> RetrievalMetrics {
        let ranks = RecallRanks(textToImage: textToImageScores ?? scores, imageToText: scores, layout: .imageRows,
                                imageCount: imageCount, captionImage: captionImage)
        let imageRanks = ranks.images.compactMap { $0 }
        return RetrievalMetrics(
            imageToText: levels.map { Float(RecallRanks.recall(imageRanks, k: $0, ties: .expected)) },
            textToImage: levels.map { Float(RecallRanks.recall(ranks.captions, k: $0, ties: .expected)) })
    }
}
