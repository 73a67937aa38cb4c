import AerieDatasets
import AerieTensor
import AerieTestSupport
import Foundation
import Testing
@testable import AerieRetrieval

/// Training-set assembly: which images learn and select, and the trainer's bookkeeping.
@Suite struct TrainingSetTests {
    /// A caption JSON over `TestDataset`'s images (every fourth image in val).
    static func writeJSON(_ set: TestDataset, dropSplit: String? = nil) throws -> URL {
        let images = set.entries.filter { $0.split != dropSplit }.map { e -> [String: Any] in
            ["filename": e.file, "split": e.split, "label": testColours[e.colour].word,
             "sentences": e.captions.map { ["raw": $0] }]
        }
        let url = set.root.appendingPathComponent("dataset.json")
        try JSONSerialization.data(withJSONObject: ["images": images]).write(to: url)
        return url
    }

    static func request(_ url: URL, root: URL) -> TrainingSet.Request {
        TrainingSet.Request(dataset: url, imageRoot: root, backbones: ["efficientnet-lite0"], views: [.center], trainSplit: "train",
                            validationSplit: "val", trainSubset: 0, models: nil, featureCache: root, maskSameClass: false)
    }

    @Test func planPicksSplitsAndSpreadsTheTrainImages() throws {
        let folder = try TemporaryDirectory()
        let set = try TestDataset(root: folder.url, count: 16)
        let plan = try TrainingSet.plan(Self.request(Self.writeJSON(set), root: folder.url))
        #expect(plan.validationEntries.count == 4 && plan.trainEntries.count == 12 && plan.trainSplitSize == 12)
        #expect(plan.entries.count == 16)
        // Bit-reversed: the first four train images are spread over the split, not its first four.
        let trainFiles = set.entries.filter { $0.split == "train" }.map(\.file)
        #expect(plan.trainEntries.prefix(2).map(\.filename) == [trainFiles[0], trainFiles[8]])
        var subset = Self.request(try Self.writeJSON(set), root: folder.url)
        subset.trainSubset = 3
        #expect(try TrainingSet.plan(subset).trainEntries.count == 3)
    }

    @Test func aMissingSplitIsRefusedBeforeAnyEncoding() throws {
        let folder = try TemporaryDirectory()
        let set = try TestDataset(root: folder.url, count: 8)
        #expect(throws: TrainingSet.Failure.noValidationImages(split: "val")) {
            try TrainingSet.plan(Self.request(Self.writeJSON(set, dropSplit: "val"), root: folder.url))
        }
        #expect(throws: TrainingSet.Failure.tooFewTrainImages(split: "train", count: 0)) {
            try TrainingSet.plan(Self.request(Self.writeJSON(set, dropSplit: "train"), root: folder.url))
        }
    }

    @Test func bookkeepingOfCaptionsTextsAndClasses() throws {
        let folder = try TemporaryDirectory()
        let set = try TestDataset(root: folder.url, count: 4)
        let entries = set.dataset.images
        let views = [Tensor(shape: [4, 2], data: [Float](repeating: 1, count: 8))]
        let captions = Tensor(shape: [12, 3], data: [Float](repeating: 0, count: 36))
        let data = try TrainingSet.trainingData(entries: entries, trainCount: 3, imageViews: views, captionFeatures: captions,
                                                maskSameClass: true)
        #expect(data.captionImage == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        // "plain land" is image 0's and image 2's third caption: one text id.
        #expect(data.captionText[2] == data.captionText[8])
        #expect(Set(data.captionText).count == 10)
        #expect(data.trainImages == [0, 1, 2] && data.validationImages == [3])
        #expect(data.imageClass == [0, 1, 2, 3])
        // Masking same-class negatives needs a label on every image.
        let unlabelled = entries.enumerated().map { i, e in
            ImageEntry(id: e.id, filename: e.filename, url: e.url, split: e.split, label: i == 1 ? nil : e.label, sentences: e.sentences)
        }
        #expect(throws: TrainingSet.Failure.classesNeeded) {
            try TrainingSet.trainingData(entries: unlabelled, trainCount: 3, imageViews: views, captionFeatures: captions, maskSameClass: true)
        }
    }

    @Test func bitReversedOrderIsAPermutationWhosePrefixesSpread() {
        for n in [0, 1, 2, 5, 12, 100] {
            let order = TrainingSet.bitReversedOrder(n)
            #expect(order.sorted() == Array(0..<n))
        }
        #expect(TrainingSet.bitReversedOrder(8) == [0, 4, 2, 6, 1, 5, 3, 7])
    }
}
