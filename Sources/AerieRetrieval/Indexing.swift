import AerieDatasets
import AerieImage
import AerieIndex
import Foundation

/// Building and updating an index from a data set: the data set loaded (one split, when asked),
/// the models of the configured head, and ``IndexBuilder`` over both.
public struct Indexing: Sendable {
    public let configuration: RetrievalConfiguration
    /// Index only this split (nil: every image).
    public var split: String?
    public var vectorType: VectorType
    public var batchSize: Int

    public init(_ configuration: RetrievalConfiguration, split: String? = nil, vectorType: VectorType = .float32, batchSize: Int = 16) {
        self.configuration = configuration
        self.split = split
        self.vectorType = vectorType
        self.batchSize = batchSize
    }

    /// The data set to index: with ``split``, only that split's present images, renumbered.
    /// - Throws: ``RetrievalError/emptySplit(_:available:)`` when the split has no image.
    public func dataset() throws -> CaptionDataset {
        try Self.select(split: split, of: configuration.loadDataset())
    }

    /// `data`, or only its split `split`'s present images, renumbered.
    /// - Throws: ``RetrievalError/emptySplit(_:available:)``, listing the splits there are with
    ///   their image counts, when `split` names no present image (a typo must not build an
    ///   empty index).
    public static func select(split: String?, of data: CaptionDataset) throws -> CaptionDataset {
        guard let split else { return data }
        let kept = data.presentImages.filter { $0.split?.rawValue == split }
        guard !kept.isEmpty else {
            throw RetrievalError.emptySplit(split, available: RetrievalError.splitSizes(data.presentImages.map(\.split?.rawValue)))
        }
        let renumbered = kept.enumerated().map { i, e in
            ImageEntry(id: i, filename: e.filename, url: e.url, split: e.split, label: e.label, sentences: e.sentences, sourceID: e.sourceID)
        }
        return CaptionDataset(kind: data.kind, source: data.source, imageRoot: data.imageRoot, name: data.name,
                              images: renumbered, missing: [], issues: data.issues)
    }

    /// A builder for the configured index with the configured head's models.
    public func builder() throws -> (builder: IndexBuilder, encoders: EncoderSet) {
        let encoders = try EncoderSet.load(configuration, needText: false)
        let builder = IndexBuilder(location: try configuration.indexLocation(), imageEncoder: encoders.image,
                                   textEncoder: encoders.text, head: encoders.head,
                                   decode: { try ImageDecoder.decode(contentsOf: $0) }, vectorType: vectorType, batchSize: batchSize)
        return (builder, encoders)
    }

    /// Brings the index up to date with the data set.
    /// - Parameter progress: called after each committed batch; throwing from it stops the run,
    ///   keeping the committed work (a rerun resumes).
    @discardableResult
    public func run(progress: (IndexingProgress) throws -> Void = { _ in }) throws -> IndexingSummary {
        let data = try dataset()
        return try builder().builder.update(data, progress: progress)
    }

    /// True when the configured index exists and is complete (its vector files are not read).
    public static func hasCompleteIndex(_ configuration: RetrievalConfiguration) -> Bool {
        guard let location = try? configuration.indexLocation() else { return false }
        return (try? SearchIndex(location: location, verifyPayload: false)) != nil
    }
}
