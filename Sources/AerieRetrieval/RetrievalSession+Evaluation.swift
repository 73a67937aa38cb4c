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

/// How well a class name, typed as a query, finds its class: scene-type retrieval.
public struct ClassNameResult: Codable, Sendable, Equatable {
    public var label: String
    /// Images of the split with this label.
    public var relevant: Int
    /// Average precision of the class name's ranking of the split's images.
    public var averagePrecision: Double
    /// Images of the class among the first 10.
    public var relevantInTop10: Int
}

extension RetrievalSession {
    /// The split name that stands for every image of an index.
    public static let allSplits = "all"

    /// Each scene class of the split as a text query (its label, as written in the data set),
    /// ranking every image of the split: AP with the class's images as the relevant ones, and
    /// how many of them are in the top 10. The measure of scene-type retrieval that fine-grained
    /// training must not lose.
    /// - Parameter split: a split, or ``allSplits`` for every image (class folders have no splits).
    /// - Throws: ``RetrievalError/emptySplit(_:available:)`` when the split has no labelled image.
    /// - Complexity: one text encoding and one scan of the index per class.
    public func classNameRetrieval(split: String, hubness: HubnessCorrection = .none) throws -> [ClassNameResult] {
        let images = index.images.filter { (split == Self.allSplits || $0.split == split) && $0.label != nil }
        guard !images.isEmpty else {
            throw RetrievalError.emptySplit(split, available: Dictionary(grouping: index.images, by: { $0.split ?? "" }).mapValues(\.count))
        }
        let inSplit = Set(images.map(\.row))
        let labels = Set(images.compactMap(\.label)).sorted()
        return try labels.map { label in
            let ranked = try rank(queryVector(line: label), target: .images, k: index.images.count, hubness: hubness)
                .filter { inSplit.contains($0.row) }
            let grades = Dictionary(uniqueKeysWithValues: images.filter { $0.label == label }.map { ($0.path, 1) })
            let ranking = ranked.map(\.path)
            return ClassNameResult(label: label, relevant: grades.count,
                                   averagePrecision: RelevanceMetrics.averagePrecision(ranking: ranking, grades: grades),
                                   relevantInTop10: ranking.prefix(10).filter { grades[$0] != nil }.count)
        }
    }
}
