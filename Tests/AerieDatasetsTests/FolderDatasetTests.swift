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

    /// Folder mode used to follow a link to /etc and index an image outside the root.
    @Test func nothingOutsideTheRootIsIndexed() throws {
        let outside = try TemporaryDirectory()
        try outside.write("secret/leak.png", "x")
        try outside.write("lone.png", "x")
        let folder = try TemporaryDirectory()
        try folder.write("a/one.png", "x")
        try folder.write("b/two.png", "x")
        try FileManager.default.createSymbolicLink(at: folder.url.appendingPathComponent("a/elsewhere"),
                                                   withDestinationURL: outside.url.appendingPathComponent("secret"))
        try FileManager.default.createSymbolicLink(at: folder.url.appendingPathComponent("b/link.png"),
                                                   withDestinationURL: outside.url.appendingPathComponent("lone.png"))
        // A link that stays inside the root is followed.
        try FileManager.default.createSymbolicLink(at: folder.url.appendingPathComponent("b/alias.png"),
                                                   withDestinationURL: folder.url.appendingPathComponent("a/one.png"))
        for kind in [CaptionDataset.Kind.imageFolder, .classFolders] {
            let dataset = try CaptionDataset.load(folder.url, options: DatasetLoadOptions(kind: kind))
            #expect(dataset.images.map(\.filename) == ["a/one.png", "b/alias.png", "b/two.png"])
            let outsideIssues = dataset.issues.filter { if case .outsideRoot = $0.problem { true } else { false } }
            #expect(outsideIssues.count == 2)
        }

        // Caption JSON: the same rule for an entry whose file is a link out of the root.
        try folder.write("dataset.json", """
            {"images": [{"filename": "link.png", "filepath": "b", "sentences": ["x"]},
                        {"filename": "two.png", "filepath": "b", "sentences": ["y"]}]}
            """)
        let json = try CaptionDataset.load(folder.url.appendingPathComponent("dataset.json"),
                                           options: DatasetLoadOptions(imageRoot: folder.url))
        #expect(json.images.map(\.filename) == ["b/two.png"])
        #expect(json.issues.contains { if case .outsideRoot = $0.problem { $0.position?.index == 0 } else { false } })
    }

    /// Non-UTF-8 file and class-folder names used to vanish with "issues none".
    @Test func namesThatAreNotUTF8AreReported() throws {
        let folder = try TemporaryDirectory()
        try folder.write("a/one.png", "x")
        try folder.write("b/two.png", "x")
        let raw = Array(folder.url.appendingPathComponent("a").path.utf8) + [UInt8(ascii: "/"), 0x63, 0xFF, 0x2E, 0x70, 0x6E, 0x67]
        let fd = raw.withUnsafeBufferPointer { buffer in
            (buffer.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        let rawFolder = Array(folder.url.path.utf8) + [UInt8(ascii: "/"), 0x64, 0xFE]
        #expect((rawFolder.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { mkdir($0.baseAddress!, 0o755) } == 0)
        for kind in [CaptionDataset.Kind.imageFolder, .classFolders] {
            let dataset = try CaptionDataset.load(folder.url, options: DatasetLoadOptions(kind: kind))
            let names = dataset.issues.compactMap { issue -> String? in
                if case let .undecodableName(_, escaped) = issue.problem { return escaped } else { return nil }
            }
            #expect(Set(names) == ["c\\xFF.png", "d\\xFE"], "\(kind)")
        }
    }
}
