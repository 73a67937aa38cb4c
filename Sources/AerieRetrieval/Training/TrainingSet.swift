import AerieCore
import AerieDatasets
import AerieImage
import AerieJoint
import AerieModels
import AerieTensor
import Foundation

/// A training set for the joint space, assembled from a caption data set and cached encoder
/// features: which images learn (the train split, spread by bit reversal so that every prefix
/// covers every scene class) and which select (the val split), their image features per view
/// with the backbones side by side, caption features, and the bookkeeping the trainer needs
/// (each caption's image, identical texts, scene classes).
public struct TrainingSet: Sendable {
    /// What to assemble.
    public struct Request: Sendable {
        public var dataset: URL
        public var imageRoot: URL?
        /// Registered image encoders whose features are concatenated, in order.
        public var backbones: [String]
        public var views: [ImageView]
        public var trainSplit: String
        public var validationSplit: String
        /// Train on this many images of the train split, spread over it (0: all).
        public var trainSubset: Int
        public var models: String?
        public var featureCache: URL
        public var maskSameClass: Bool

        public init(dataset: URL, imageRoot: URL?, backbones: [String], views: [ImageView], trainSplit: String,
                    validationSplit: String, trainSubset: Int, models: String?, featureCache: URL, maskSameClass: Bool) {
            self.dataset = dataset
            self.imageRoot = imageRoot
            self.backbones = backbones
            self.views = views
            self.trainSplit = trainSplit
            self.validationSplit = validationSplit
            self.trainSubset = trainSubset
            self.models = models
            self.featureCache = featureCache
            self.maskSameClass = maskSameClass
        }
    }

    /// Why a training set cannot be assembled.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case tooFewTrainImages(split: String, count: Int)
        case noValidationImages(split: String)
        case classesNeeded

        public var description: String {
            switch self {
            case let .tooFewTrainImages(split, count): "split '\(split)' has \(count) usable images"
            case let .noValidationImages(split): "split '\(split)' has no usable images"
            case .classesNeeded: "--mask-same-class needs a scene label on every image"
            }
        }
    }

    public var data: TrainingData
    public var imageEncoder: ModelIdentity
    public var textEncoder: ModelIdentity
    /// The data set's name (or its file name).
    public var datasetName: String
    public var trainCount: Int
    public var trainSplitSize: Int
    public var validationCount: Int
    public var missingCount: Int
    public var captionCount: Int

    /// The data set's split sizes, before any encoding (so a bad split fails at once).
    public struct Plan: Sendable {
        public var dataset: CaptionDataset
        public var trainEntries: [ImageEntry]
        public var validationEntries: [ImageEntry]
        public var trainSplitSize: Int
        public var missingCount: Int
        public var entries: [ImageEntry] { trainEntries + validationEntries }
    }

    /// Loads the data set and picks the training and validation images.
    /// - Throws: ``Failure`` for empty splits; the data set's loading errors.
    public static func plan(_ request: Request) throws -> Plan {
        let loaded = try CaptionDataset.load(request.dataset, options: DatasetLoadOptions(imageRoot: request.imageRoot))
        let missing = Set(loaded.missing)
        let usable = loaded.images.filter { !missing.contains($0.id) && !$0.sentences.isEmpty }
        let allTrain = usable.filter { $0.split?.rawValue == request.trainSplit }
        // Train images in bit-reversed order: every prefix is spread over the whole split, so
        // over every scene class (data sets are often sorted by class). A subset is a prefix.
        let spread = bitReversedOrder(allTrain.count).map { allTrain[$0] }
        let trainEntries = request.trainSubset > 0 && request.trainSubset < allTrain.count ? Array(spread.prefix(request.trainSubset)) : spread
        let validationEntries = usable.filter { $0.split?.rawValue == request.validationSplit }
        guard trainEntries.count >= 2 else { throw Failure.tooFewTrainImages(split: request.trainSplit, count: trainEntries.count) }
        guard !validationEntries.isEmpty else { throw Failure.noValidationImages(split: request.validationSplit) }
        return Plan(dataset: loaded, trainEntries: trainEntries, validationEntries: validationEntries,
                    trainSplitSize: allTrain.count, missingCount: missing.count)
    }

    /// Encodes (or reads from the cache) every feature the plan needs and assembles the set.
    public static func assemble(_ plan: Plan, _ request: Request, progress: (FeatureStore.Progress) -> Void = { _ in }) throws -> TrainingSet {
        let entries = plan.entries
        let store = ModelStore(explicit: request.models)
        let features = FeatureStore(root: request.featureCache)

        // Text features, one row per caption.
        let textEncoder = try MiniLMEncoder(store: store)
        let captions = entries.flatMap(\.sentences)
        let captionFeatures = try features.textFeatures(captions, encoder: textEncoder, progress: progress)

        // Image features: one tensor per view, backbones concatenated.
        var identities: [ModelIdentity] = []
        var perBackbone: [[Tensor]] = []
        let paths = entries.map { $0.url.standardizedFileURL.path }
        let trainCount = plan.trainEntries.count
        // Validation images first: with them cached, an interrupted run can resume on a train subset.
        let encodingOrder = Array(paths[trainCount...]) + Array(paths[..<trainCount])
        for name in request.backbones {
            let encoder = try ModelRegistry.imageEncoder(name, store: store)
            identities.append(encoder.identity)
            perBackbone.append(try request.views.map { view in
                try features.imageFeatures(paths, view: view, encoder: encoder, encodingOrder: encodingOrder, progress: progress)
            })
        }
        let imageViews = request.views.indices.map { v in Tensor.concatenatingColumns(perBackbone.map { $0[v] }) }
        let data = try trainingData(entries: entries, trainCount: trainCount, imageViews: imageViews,
                                    captionFeatures: captionFeatures, maskSameClass: request.maskSameClass)
        return TrainingSet(data: data, imageEncoder: ModelIdentity.concatenating(identities), textEncoder: textEncoder.identity,
                           datasetName: plan.dataset.name ?? request.dataset.lastPathComponent,
                           trainCount: trainCount, trainSplitSize: plan.trainSplitSize,
                           validationCount: plan.validationEntries.count, missingCount: plan.missingCount,
                           captionCount: captions.count)
    }

    /// The trainer's view of `entries` (train images first, then validation): each caption's
    /// image, identical caption texts sharing one id, and scene classes when every image has one.
    /// - Throws: ``Failure/classesNeeded`` when `maskSameClass` and an image has no label.
    public static func trainingData(entries: [ImageEntry], trainCount: Int, imageViews: [Tensor], captionFeatures: Tensor,
                                    maskSameClass: Bool) throws -> TrainingData {
        var captionImage: [Int] = [], captionText: [Int] = [], textID: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            for sentence in entry.sentences {
                captionImage.append(i)
                captionText.append(textID[sentence] ?? { textID[sentence] = textID.count; return textID.count - 1 }())
            }
        }
        var classID: [String: Int] = [:]
        let labels = entries.map(\.label)
        let imageClass: [Int]? = labels.contains(nil) ? nil : labels.map { label in
            let key = label ?? ""
            if let id = classID[key] { return id }
            classID[key] = classID.count
            return classID.count - 1
        }
        if maskSameClass && imageClass == nil { throw Failure.classesNeeded }
        return try TrainingData(
            imageViews: imageViews, captionFeatures: captionFeatures, captionImage: captionImage, captionText: captionText,
            imageClass: imageClass, trainImages: Array(0..<trainCount), validationImages: Array(trainCount..<entries.count))
    }

    /// `0..<n` in bit-reversed order (0, n/2, n/4, 3n/4, …): every prefix is spread evenly.
    public static func bitReversedOrder(_ n: Int) -> [Int] {
        guard n > 1 else { return Array(0..<n) }
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        return (0..<(1 << bits)).compactMap { k -> Int? in
            var r = 0
            for b in 0..<bits where k & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r < n ? r : nil
        }
    }
}
