import AerieTestSupport
import Foundation
import Testing
@testable import AerieDatasets

/// Detection and loading of class-folder and plain-folder data sets.
@Suite struct FolderDatasetTests {
    @Test func classFoldersGiveLabels() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for path in ["forest/1.png", "forest/2.JPG", "river/a.tif", "river/deep/b.jpeg", "river/notes.txt", ".hidden/x.png"] {
            try folder.write(path, "x")
        }
        #expect(try CaptionDataset.detect(folder.url).kind == .classFolders)
        let dataset = try CaptionDataset.load(folder.url)
        #expect(dataset.kind == .classFolders)
        #expect(dataset.images.map(\.filename) == ["forest/1.png", "forest/2.JPG", "river/a.tif", "river/deep/b.jpeg"])
        #expect(dataset.images.map(\.label) == ["forest", "forest", "river", "river"])
        #expect(dataset.images.allSatisfy { $0.sentences.isEmpty && $0.split == nil })
        #expect(dataset.labelCounts.map(\.label) == ["forest", "river"])
        #expect(dataset.missing.isEmpty)
    }

    @Test func plainFolderIsRecursiveWithoutLabels() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for path in ["top.png", "2024/a.jpg", "2024/05/b.tiff", "readme.md"] {
            try folder.write(path, "x")
        }
        #expect(try CaptionDataset.detect(folder.url).kind == .imageFolder)
        let dataset = try CaptionDataset.load(folder.url)
        #expect(dataset.images.map(\.filename) == ["2024/05/b.tiff", "2024/a.jpg", "top.png"])
        #expect(dataset.images.allSatisfy { $0.label == nil })
        #expect(FileManager.default.fileExists(atPath: dataset.images[0].url.path))
    }

    @Test func oneSubfolderIsAPlainFolder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("only/a.png", "x")
        #expect(try CaptionDataset.detect(folder.url).kind == .imageFolder)
    }

    @Test func folderWithCaptionFileIsCaptionJSON() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("dataset_x.json", CaptionJSONTests.wellFormed)
        try folder.write("images/a.png", "x")
        let detected = try CaptionDataset.detect(folder.url)
        #expect(detected.kind == .captionJSON && detected.file.lastPathComponent == "dataset_x.json")
        let dataset = try CaptionDataset.load(folder.url)
        #expect(dataset.imageRoot.lastPathComponent == "images")
        #expect(dataset.missing == [1, 2])

        try folder.write("dataset_y.json", "{}")
        #expect(throws: DatasetError.self) { try CaptionDataset.detect(folder.url) }
    }

    @Test func emptyFolderAndMissingPathAreErrors() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect { try CaptionDataset.load(folder.url) } throws: { error in
            if case DatasetError.notADataset = error { true } else { false }
        }
        let nowhere = folder.url.appendingPathComponent("nowhere")
        #expect(throws: DatasetError.notFound(path: nowhere.path)) { try CaptionDataset.load(nowhere) }
        let text = try folder.write("notes.txt", "hello")
        #expect { try CaptionDataset.load(text) } throws: { error in
            if case DatasetError.notADataset = error { true } else { false }
        }
    }

    @Test func symbolicLinkLoopsEndWithAnIssue() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("a/one.png", "x")
        try FileManager.default.createSymbolicLink(at: folder.url.appendingPathComponent("a/loop"), withDestinationURL: folder.url)
        let dataset = try CaptionDataset.load(folder.url)
        #expect(dataset.kind == .imageFolder)
        #expect(dataset.images.map(\.filename) == ["a/one.png"])
        #expect(dataset.issues.contains { if case .unreadable = $0.problem { true } else { false } })
    }
}
