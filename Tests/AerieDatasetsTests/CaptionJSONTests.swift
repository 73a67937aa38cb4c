import AerieTestSupport
import AerieCore
import Foundation
import Testing
@testable import AerieDatasets

/// The caption JSON reader on files the tests write: well-formed, lenient cases and hostile input.
@Suite struct CaptionJSONTests {
    static let wellFormed = """
        {"dataset": "tiny", "images": [
          {"filename": "a.png", "imgid": 7, "split": "train", "label": "forest",
           "sentences": [{"raw": "many green trees"}, {"raw": "many green trees"}, {"raw": "a dense forest ."}]},
          {"filename": "b.png", "split": "val", "sentences": [{"raw": "a river"}]},
          {"filename": "c.png", "filepath": "sub", "split": "test", "sentences": ["plain string caption"]}
        ]}
        """

    @Test func readsEntriesCaptionsAndSplitsExactly() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("dataset.json", Self.wellFormed)
        try folder.write("imgs/a.png", "x")
        try folder.write("imgs/sub/c.png", "x")

        let dataset = try CaptionDataset.load(json)
        #expect(dataset.kind == .captionJSON)
        #expect(dataset.name == "tiny")
        #expect(dataset.imageRoot.lastPathComponent == "imgs")
        #expect(dataset.images.map(\.filename) == ["a.png", "b.png", "sub/c.png"])
        #expect(dataset.images[0].sentences == ["many green trees", "many green trees", "a dense forest ."])
        #expect(dataset.images[0].label == "forest")
        #expect(dataset.images[0].sourceID == 7)
        #expect(dataset.images[1].label == nil)
        #expect(dataset.images[2].sentences == ["plain string caption"])
        #expect(dataset.images[2].url.path.hasSuffix("imgs/sub/c.png"))
        #expect(dataset.splits == [.train, .val, .test])
        #expect(dataset.images(in: .val).map(\.filename) == ["b.png"])
        #expect(dataset.missing == [1])
        #expect(dataset.captionCount == 5)
        #expect(dataset.issues.isEmpty)

        let summary = dataset.summary()
        #expect(summary.captions == 5)
        #expect(summary.distinctCaptions == 4)
        #expect(summary.missingExamples == ["b.png"])
        #expect(summary.captionWords?.max == 4)
        #expect(summary.splits == ["train": 1, "val": 1, "test": 1])
    }

    /// A NUL used to cut a stored caption short; such a caption is refused with an issue.
    @Test func captionsWithNULAreRefusedWithAnIssue() throws {
        let folder = try TemporaryDirectory()
        let json = try folder.write("dataset.json", #"{"images": [{"filename": "a.png", "sentences": ["a river\u0000 and a secret", "a river"]}]}"#)
        let dataset = try CaptionDataset.load(json)
        #expect(dataset.images[0].sentences == ["a river"])
        #expect(dataset.issues.contains { if case let .malformedCaption(sentence, reason) = $0.problem { sentence == 0 && reason.contains("NUL") } else { false } })
    }

    @Test func strictModeFailsOnMissingImages() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("dataset.json", Self.wellFormed)
        #expect(throws: DatasetError.strictCheckFailed(path: json.path, missingImages: 3, issues: 0)) {
            try CaptionDataset.load(json, options: DatasetLoadOptions(strict: true))
        }
    }

    @Test func explicitImageRootMustExist() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("captions.json", Self.wellFormed)
        let nowhere = folder.url.appendingPathComponent("nowhere")
        #expect(throws: DatasetError.imageRootNotFound(path: nowhere.path)) {
            try CaptionDataset.load(json, options: DatasetLoadOptions(imageRoot: nowhere))
        }
        // Without imgs/ or images/, names resolve beside the JSON.
        let dataset = try CaptionDataset.load(json)
        #expect(dataset.imageRoot.standardizedFileURL == folder.url.standardizedFileURL)
    }

    @Test func reportsDuplicatesEmptyCaptionsAndMalformedEntriesWithPositions() throws {
        let text = """
            {"images": [
              {"filename": "a.jpg", "split": "train", "sentences": [{"raw": "one"}, {"raw": "   "}, {"raw": 5}, {"tokens": []}, 3]},
              "not an object",
              {"split": "train", "sentences": []},
              {"filename": 12, "split": "train"},
              {"filename": "a.jpg", "split": 3, "label": 4, "imgid": "x", "sentences": {"raw": "no"}},
              {"filename": "../etc/passwd", "split": "train", "sentences": [{"raw": "escape"}]},
              {"filename": "/abs.jpg", "split": "train", "sentences": [{"raw": "escape"}]},
              {"filename": "b.jpg", "imgid": 1, "sentences": [{"raw": "b"}]},
              {"filename": "c.jpg", "imgid": 1, "split": "val", "sentences": [{"raw": "c"}]}
            ]}
            """
        let file = URL(fileURLWithPath: "/virtual/dataset.json")
        let result = try CaptionJSONParser(file: file, imageRoot: URL(fileURLWithPath: "/virtual"),
                                           oversizedCaptionBytes: 100).parse(Data(text.utf8))
        #expect(result.images.map(\.filename) == ["a.jpg", "a.jpg", "b.jpg", "c.jpg"])
        #expect(result.images.map(\.id) == [0, 1, 2, 3])
        #expect(result.images[0].sentences == ["one"])
        #expect(result.images[1].split == nil && result.images[1].label == nil && result.images[1].sentences.isEmpty)

        func has(_ index: Int, _ predicate: (DatasetIssue.Problem) -> Bool) -> Bool {
            result.issues.contains { $0.position?.index == index && predicate($0.problem) && $0.file == file }
        }
        #expect(has(0) { $0 == .emptyCaption(sentence: 1) })
        #expect(has(0) { if case .malformedCaption(2, _) = $0 { true } else { false } })
        #expect(has(0) { if case .malformedCaption(3, _) = $0 { true } else { false } })
        #expect(has(0) { if case .malformedCaption(4, _) = $0 { true } else { false } })
        #expect(has(1) { if case .malformedEntry = $0 { true } else { false } })
        #expect(has(2) { if case .malformedEntry = $0 { true } else { false } })
        #expect(has(3) { if case .malformedEntry = $0 { true } else { false } })
        #expect(has(4) { $0 == .duplicateFilename(firstIndex: 0) })
        for field in ["split", "label", "imgid", "sentences"] {
            #expect(has(4) { if case .badField(field, _) = $0 { true } else { false } }, "field \(field)")
        }
        #expect(has(4) { $0 == .noCaptions })
        #expect(has(5) { $0 == .unsafeFilename })
        #expect(has(6) { $0 == .unsafeFilename })
        #expect(has(7) { if case .badField("split", _) = $0 { true } else { false } })
        #expect(has(8) { $0 == .duplicateSourceID(1, firstIndex: 7) })
        // Positions carry the file name so a user can find the entry.
        let duplicate = result.issues.first { $0.problem == .duplicateFilename(firstIndex: 0) }
        #expect(duplicate?.description == "/virtual/dataset.json: entry 4 (a.jpg): duplicate file name (first at entry 0)")
    }

    @Test func hugeStringsAreReportedNotFatal() throws {
        let huge = String(repeating: "x", count: 3_000_000)
        let text = #"{"images": [{"filename": "a.jpg", "split": "train", "sentences": [{"raw": "\#(huge)"}]},"#
            + #"{"filename": "\#(huge).jpg", "split": "train", "sentences": [{"raw": "ok"}]},"#
            + #"{"filename": "b.jpg", "split": "\#(huge)", "label": "\#(huge)", "sentences": [{"raw": "ok"}]}]}"#
        let file = URL(fileURLWithPath: "/virtual/dataset.json")
        let result = try CaptionJSONParser(file: file, imageRoot: URL(fileURLWithPath: "/virtual"),
                                           oversizedCaptionBytes: 2_000).parse(Data(text.utf8))
        #expect(result.images.map(\.filename) == ["a.jpg", "b.jpg"])
        #expect(result.images[0].sentences.first?.utf8.count == huge.utf8.count)
        #expect(result.issues.contains { $0.problem == .oversizedCaption(sentence: 0, bytes: huge.utf8.count) })
        #expect(result.issues.contains { $0.position?.index == 1 && { if case .malformedEntry = $0 { true } else { false } }($0.problem) })
        #expect(result.images[1].split == nil && result.images[1].label == nil)
        // The message never carries the whole huge name.
        #expect(result.issues.allSatisfy { $0.description.utf8.count < 1_000 })
    }

    @Test(arguments: [
        ("not json at all", "invalid JSON"),
        ("", "invalid JSON"),
        (#"{"images": [{"filename": "a.jpg", "sentences": [{"raw": "trunc"#, "invalid JSON"),
        (String(repeating: "[", count: 100_000), "invalid JSON"),
        (#"{"images": {"filename": "a.jpg"}}"#, "not a caption JSON"),
        (#"{"pictures": []}"#, "not a caption JSON"),
        ("42", "not a caption JSON"),
        (#""just a string""#, "not a caption JSON"),
    ])
    func hostileFilesGiveTypedErrors(text: String, expected: String) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("dataset.json", text)
        do {
            _ = try CaptionDataset.load(json)
            Issue.record("expected an error for \(text.prefix(40))")
        } catch let error as DatasetError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains(json.path))
        }
    }

    @Test func invalidUTF8IsATypedError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var bytes = Array(#"{"images": [{"filename": "a"#.utf8)
        bytes += [0xFF, 0xFE, 0xC3]
        bytes += Array(#".jpg", "split": "train", "sentences": []}]}"#.utf8)
        let json = try folder.write("dataset.json", Data(bytes))
        #expect {
            try CaptionDataset.load(json)
        } throws: { error in
            guard case DatasetError.invalidJSON(let path, let reason) = error else { return false }
            return path == json.path && reason.contains("UTF-8")
        }
    }

    @Test func emptyImagesArrayIsAnEmptyDataset() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("dataset.json", #"{"dataset": "none", "images": []}"#)
        let dataset = try CaptionDataset.load(json)
        #expect(dataset.images.isEmpty && dataset.issues.isEmpty && dataset.missing.isEmpty)
    }

    @Test func oversizedFileIsRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let json = try folder.write("dataset.json", Self.wellFormed)
        #expect {
            try CaptionDataset.load(json, options: DatasetLoadOptions(maxJSONBytes: 10))
        } throws: { error in
            if case DatasetError.tooLarge = error { true } else { false }
        }
    }

    @Test func randomTruncationsAndByteFlipsNeverCrash() throws {
        // Seeded, repeatable corruption of a valid file: every outcome is a data set or a typed error.
        let bytes = Array(Self.wellFormed.utf8)
        var generator = SplitMix64(seed: 42)
        let file = URL(fileURLWithPath: "/virtual/dataset.json")
        let parser = CaptionJSONParser(file: file, imageRoot: URL(fileURLWithPath: "/virtual"), oversizedCaptionBytes: 100)
        for _ in 0..<300 {
            var corrupted = bytes
            if generator.next() % 2 == 0 {
                corrupted = Array(corrupted.prefix(Int(generator.next() % UInt64(bytes.count))))
            } else {
                for _ in 0..<3 {
                    let i = Int(generator.next() % UInt64(bytes.count))
                    corrupted[i] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            do {
                let result = try parser.parse(Data(corrupted))
                #expect(result.images.indices.allSatisfy { result.images[$0].id == $0 })
            } catch is DatasetError {
                // A typed error is the expected outcome for most corruptions.
            }
        }
    }
}
