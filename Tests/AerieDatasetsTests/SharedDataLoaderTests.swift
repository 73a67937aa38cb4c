import Foundation
import Testing
import AerieDatasets
import AerieTestSupport

/// The loaders on the real data sets in ../shared/data (skipped when it is absent).
@Suite struct SharedDataLoaderTests {
    /// Full-size caption files without their images: every entry loads, nearly every image is missing.
    @Test(arguments: [
        // RSICD has 54,605 sentences, three of them empty (dropped and reported).
        ("captions/dataset_rsicd.json", 10_921, 54_602, 31),
        ("captions/dataset_ucm.json", 2_100, 10_500, 0),
        ("captions/dataset_sydney.json", 613, 3_065, 0),
        ("captions/dataset_rsitmd.json", 4_743, 23_715, 33),
    ])
    func fullSizeCaptionFiles(path: String, images: Int, captions: Int, labels: Int) throws {
        guard let url = SharedData.url(path) else {
            print(SharedData.missingMessage(path))
            return
        }
        let dataset = try CaptionDataset.load(url)
        #expect(dataset.images.count == images)
        #expect(dataset.captionCount == captions)
        #expect(dataset.labelCounts.count == labels)
        #expect(dataset.missing.count == images, "no images ship with the caption files")
        #expect(Set(dataset.splits) == [.train, .val, .test])
        let empty = dataset.issues.filter { if case .emptyCaption = $0.problem { true } else { false } }
        #expect(images * 5 - dataset.captionCount == empty.count, "one issue per dropped empty caption")
        #expect(dataset.images.filter { $0.sentences.count != 5 }.count == empty.count)
        #expect(dataset.issues.allSatisfy { if case .duplicateSourceID = $0.problem { false } else { true } })
        #expect(throws: DatasetError.self) { try CaptionDataset.load(url, options: DatasetLoadOptions(strict: true)) }
    }

    @Test(.enabled(if: SharedData.url("captions/dataset_rsicd.json") != nil,
                   Comment(rawValue: SharedData.missingMessage("captions/dataset_rsicd.json"))))
    func rsicdCaptionsKeptExactly() throws {
        let url = try #require(SharedData.url("captions/dataset_rsicd.json"))
        let dataset = try CaptionDataset.load(url)
        let first = dataset.images[0]
        #expect(first.filename == "00001.jpg" && first.label == "playfields" && first.split == .train)
        #expect(first.sentences[0] == "A football field with several buildiings surroudned")
        #expect(dataset.images(in: .train).count == 8_734)
        #expect(dataset.images(in: .val).count == 1_094)
        #expect(dataset.images(in: .test).count == 1_093)
        // The three empty captions are reported with the entry's position and name.
        let empty = dataset.issues.filter { if case .emptyCaption = $0.problem { true } else { false } }
        #expect(empty.map { $0.position?.description ?? "" } ==
                ["entry 2343 (bridge_218.jpg)", "entry 2526 (bridge_59.jpg)", "entry 6526 (parking_211.jpg)"])
        #expect(empty.map(\.problem) == [.emptyCaption(sentence: 0), .emptyCaption(sentence: 2), .emptyCaption(sentence: 2)])
    }

    @Test(.enabled(if: SharedData.url("rsicd-aid/dataset_rsicd_aid.json") != nil,
                   Comment(rawValue: SharedData.missingMessage("rsicd-aid"))))
    func rsicdAidHasAllImagesAndDuplicateCaptions() throws {
        let folder = try #require(SharedData.url("rsicd-aid"))
        let dataset = try CaptionDataset.load(folder)
        #expect(dataset.kind == .captionJSON)
        #expect(dataset.imageRoot.lastPathComponent == "images")
        #expect(dataset.images.count == 8_973)
        #expect(dataset.captionCount == 44_865 - dataset.issues.count)
        #expect(dataset.issues.allSatisfy { if case .emptyCaption = $0.problem { true } else { false } })
        #expect(dataset.missing.isEmpty)
        #expect(dataset.images(in: .train).count == 7_946 && dataset.images(in: .val).count == 1_027)
        #expect(dataset.labelCounts.count == 30)
        // RSICD repeats captions; the protocol needs every copy.
        let airport = try #require(dataset.images.first { $0.filename == "airport_1.jpg" })
        #expect(airport.sentences.count == 5 && Set(airport.sentences).count == 1)
        #expect(dataset.summary().distinctCaptions < dataset.captionCount)
    }

    @Test(arguments: ["samples/ucm", "samples/sydney", "samples/rsicd"])
    func samplesAreComplete(path: String) throws {
        guard let folder = SharedData.url(path) else {
            print(SharedData.missingMessage(path))
            return
        }
        let dataset = try CaptionDataset.load(folder)
        #expect(dataset.kind == .captionJSON)
        #expect(dataset.imageRoot.lastPathComponent == "imgs")
        #expect(!dataset.images.isEmpty)
        #expect(dataset.missing.isEmpty, "\(dataset.missing.map { dataset.images[$0].filename })")
        #expect(dataset.issues.isEmpty, "\(dataset.issues)")
        #expect(try CaptionDataset.load(folder, options: DatasetLoadOptions(strict: true)).images.count == dataset.images.count)
    }

    @Test(.enabled(if: SharedData.url("rsicd-aid/images") != nil, Comment(rawValue: SharedData.missingMessage("rsicd-aid/images"))))
    func imagesFolderAloneIsAPlainFolder() throws {
        let folder = try #require(SharedData.url("rsicd-aid/images"))
        let dataset = try CaptionDataset.load(folder)
        #expect(dataset.kind == .imageFolder)
        #expect(dataset.images.count == 8_973)
    }
}
