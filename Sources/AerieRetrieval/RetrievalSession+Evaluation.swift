import AerieEvaluation
import AerieIndex

extension RetrievalSession {
    /// Recall@1/5/10 both ways and mR on one split of the index, with the literature's protocol:
    /// every caption of the split queries the split's images, every image the split's captions.
    ///
    /// - Parameters:
    ///   - ties: how equal scores rank against the true match (``TieRule``).
    ///   - hubness: a correction of each direction's scores, learned from that direction's queries.
    /// - Throws: ``IndexError/noVectors(kind:reason:)`` without caption vectors;
    ///   ``RetrievalError/emptySplit(_:available:)`` when the split has no indexed image.
    /// - Complexity: O(captions × images × dimension), one sgemm.
    public func evaluate(split: String, ties: TieRule, hubness: HubnessCorrection) throws -> RetrievalReport {
        guard let captionVectors = index.captionVectors else {
            throw IndexError.noVectors(kind: "caption", reason: "the index was built without a joint head (run `aerie train`, then `aerie index`)")
        }
        let images = index.images.filter { $0.split == split }
        guard !images.isEmpty else {
            throw RetrievalError.emptySplit(split, available: RetrievalError.splitSizes(index.images.map(\.split)))
        }
        var imageColumn: [Int: Int] = [:]
        for (column, image) in images.enumerated() { imageColumn[image.row] = column }
        let captions = index.captions.filter { imageColumn[$0.imageRow] != nil }
        let d = index.space.dimension
        let imageValues = images.flatMap { index.imageVectors.row($0.row) }
        let captionValues = captions.flatMap { captionVectors.row($0.row) }
        let similarity = RetrievalEvaluation.similarity(captions: captionValues, images: imageValues, dimension: d)
        let labels = images.allSatisfy { $0.label != nil } ? images.map { $0.label ?? "" } : nil
        let (textToImage, imageToText) = RetrievalEvaluation.corrected(
            similarity: similarity, captionCount: captions.count, imageCount: images.count, hubness: hubness)
        var report = RetrievalEvaluation.evaluate(similarity: textToImage, imageCount: images.count,
                                                  captionImage: captions.compactMap { imageColumn[$0.imageRow] },
                                                  labels: labels, ties: ties, imageToTextSimilarity: imageToText)
        report.hubness = hubness.name
        return report
    }

    /// Each labelled query's ranking, as image paths, `depth` deep (plain search, no feedback):
    /// what P@K, AP and nDCG over relevance labels are computed on.
    public func rankings(of queries: [String], depth: Int) throws -> [String: [String]] {
        var rankings: [String: [String]] = [:]
        for query in Set(queries).sorted() {
            rankings[query] = try rank(queryVector(line: query), target: .images, k: depth).map(\.path)
        }
        return rankings
    }
}
