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

    /// Computes the metrics from a similarity matrix.
    ///
    /// Ties with the right item are broken uniformly at random, in expectation: behind `g`
    /// strictly higher items and tied with `t` others, the right item is in the top K with
    /// probability `(K − g) / (t + 1)` (clamped to 0…1), as `aerie eval` counts by default.
    /// RSICD repeats caption texts across images, and identical texts score identically.
    ///
    /// - Parameters:
    ///   - scores: `images × captions`, row-major; higher is more similar.
    ///   - captionImage: for each caption (column), the row of its image.
    ///   - textToImageScores: scores for the text → image direction when they differ from
    ///     `scores` (after a hubness correction over images); same layout.
    public static func compute(
        scores: [Float], imageCount: Int, captionImage: [Int], textToImageScores: [Float]? = nil
    ) -> RetrievalMetrics {
        let captionCount = captionImage.count
        precondition(scores.count == imageCount * captionCount, "scores must be images × captions")
        let t2iScores = textToImageScores ?? scores
        precondition(t2iScores.count == scores.count, "text-to-image scores must be images × captions")
        var imageHits = [Double](repeating: 0, count: levels.count)
        var textHits = [Double](repeating: 0, count: levels.count)
        func hit(greater: Int, tied: Int, level: Int) -> Double {
            min(1, max(0, Double(level - greater) / Double(tied + 1)))
        }
        var captionsOfImage = [[Int]](repeating: [], count: imageCount)
        for (c, i) in captionImage.enumerated() { captionsOfImage[i].append(c) }

        for i in 0..<imageCount where !captionsOfImage[i].isEmpty {
            let row = i * captionCount
            var best = -Float.infinity
            for c in captionsOfImage[i] { best = max(best, scores[row + c]) }
            var greater = 0, tied = 0
            for c in 0..<captionCount where captionImage[c] != i {
                if scores[row + c] > best { greater += 1 } else if scores[row + c] == best { tied += 1 }
            }
            for (k, level) in levels.enumerated() { imageHits[k] += hit(greater: greater, tied: tied, level: level) }
        }
        for c in 0..<captionCount {
            let target = t2iScores[captionImage[c] * captionCount + c]
            let truth = captionImage[c]
            var greater = 0, tied = 0
            for i in 0..<imageCount where i != truth {
                let v = t2iScores[i * captionCount + c]
                if v > target { greater += 1 } else if v == target { tied += 1 }
            }
            for (k, level) in levels.enumerated() { textHits[k] += hit(greater: greater, tied: tied, level: level) }
        }
        let queriedImages = max(1, captionsOfImage.filter { !$0.isEmpty }.count)
        return RetrievalMetrics(
            imageToText: imageHits.map { Float(100 * $0 / Double(queriedImages)) },
            textToImage: textHits.map { Float(100 * $0 / Double(max(1, captionCount))) })
    }
}
