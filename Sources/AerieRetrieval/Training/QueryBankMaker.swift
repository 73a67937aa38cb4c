import AerieJoint
import AerieModels
import AerieTensor
import Foundation

/// Makes a head's query bank (``QueryBank``): the joint vectors of distinct training captions,
/// spread over the split, written beside the head and recorded in its card.
public enum QueryBankMaker {
    /// The default number of reference queries: enough for CSLS's 10-nearest means to be stable,
    /// about 1 MB in float16 at 512 dimensions.
    public static let defaultCount = 1000

    /// The positions of up to `count` distinct caption texts, spread evenly over `captions`
    /// (the first position of each text).
    public static func distinctCaptionRows(_ captions: [String], count: Int) -> [Int] {
        var seen = Set<String>()
        let distinct = captions.indices.filter { seen.insert(captions[$0]).inserted }
        return QueryBank.spread(count, over: distinct.count).map { distinct[$0] }
    }

    /// The bank of a head just trained: its own training captions' features, as the training set
    /// holds them (train images first, each image's captions in order).
    public static func make(trained head: any JointProjection, set: TrainingSet, plan: TrainingSet.Plan, split: String,
                            count: Int) throws -> (bank: QueryBank, source: String) {
        let trainCaptions = plan.trainEntries.flatMap(\.sentences)
        let rows = distinctCaptionRows(trainCaptions, count: count)
        let source = describe(count: rows.count, split: split, dataset: set.datasetName)
        return (try bank(captionFeatures: set.data.captionFeatures.rows(rows), head: head), source)
    }

    /// Projects caption features through the head's text side into the bank.
    public static func bank(captionFeatures: Tensor, head: any JointProjection) throws -> QueryBank {
        QueryBank(vectors: try head.projectTexts(captionFeatures))
    }

    /// The card's words for where a bank's queries come from.
    static func describe(count: Int, split: String, dataset: String) -> String {
        "\(count) distinct captions of the \(split) split of \(dataset)"
    }

    /// Writes the bank into the head directory and records it in the head's card.
    public static func attach(_ bank: QueryBank, to directory: URL, source: String) throws {
        var card = try JointModel.loadCard(from: directory)
        card.queryBank = try bank.save(to: directory, source: source)
        try card.write(to: directory)
    }

    /// The bank of an existing head from a data set's train split: MiniLM features of up to
    /// `count` distinct captions (cached in `featureCache`), projected by the head.
    public static func make(head directory: URL, request: TrainingSet.Request, count: Int) throws -> (bank: QueryBank, source: String) {
        let plan = try TrainingSet.plan(request)
        let all = plan.trainEntries.flatMap(\.sentences)
        let captions = distinctCaptionRows(all, count: count).map { all[$0] }
        let text = try MiniLMEncoder(store: ModelStore(explicit: request.models))
        let features = try FeatureStore(root: request.featureCache).textFeatures(captions, encoder: text)
        let model = try JointModel.load(from: directory)
        try model.checkEncoders(image: model.imageModelIdentity, text: text.identity)
        let source = describe(count: captions.count, split: request.trainSplit,
                              dataset: plan.dataset.name ?? request.dataset.lastPathComponent)
        return (try bank(captionFeatures: features, head: model), source)
    }
}
