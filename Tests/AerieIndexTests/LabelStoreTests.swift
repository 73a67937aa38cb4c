import AerieCore
import AerieEvaluation
import AerieIndex
import Foundation
import Testing

@Suite struct LabelStoreTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("aerie-labels-\(UUID().uuidString)/labels.sqlite").path
    }

    @Test func labelsSurviveReopeningAndUpdateInPlace() throws {
        let path = Self.temporaryPath()
        do {
            let store = try LabelStore(path: path)
            try store.apply(LabelChange(key: LabelKey(query: "planes", imageID: "a"), grade: 1))
            try store.apply(LabelChange(key: LabelKey(query: "planes", imageID: "b"), grade: 0))
            try store.apply(LabelChange(key: LabelKey(query: "beach", imageID: "c"), grade: 3))
            try store.apply(LabelChange(key: LabelKey(query: "planes", imageID: "a"), grade: 2))
            try store.apply(LabelChange(key: LabelKey(query: "planes", imageID: "b"), grade: nil))
            try store.appendHistory("planes")
            try store.appendHistory("planes")
            try store.appendHistory("beach")
            try store.appendHistory("planes")
        }
        let reopened = try LabelStore(path: path)
        #expect(try reopened.allLabels() == [
            Label(query: "planes", imageID: "a", grade: 2),
            Label(query: "beach", imageID: "c", grade: 3),
        ])
        #expect(try reopened.history() == ["beach", "planes"])
        #expect(try reopened.topics().map(\.query) == ["planes", "beach"])
    }

    /// Two browsers on one label file (issue 12, item 3): two stores, opened and written at once
    /// from two threads, each label also read back while the other writes. Without WAL and a
    /// busy timeout about a third of such writes failed with "database is locked".
    @Test func twoStoresOnOneFileWriteConcurrentlyAndLoseNothing() throws {
        let path = Self.temporaryPath()
        let perWriter = 40
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        for writer in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let store = try LabelStore(path: path)
                    for i in 0..<perWriter {
                        try store.apply(LabelChange(key: LabelKey(query: "q\(i % 3)", imageID: "w\(writer)_\(i)"), grade: i % 4))
                        try store.appendHistory("writer \(writer) \(i)")
                        _ = try store.allLabels()
                    }
                } catch {
                    failures.update { $0.append(String(describing: error)) }
                }
            }
        }
        group.wait()
        #expect(failures.get() == [])
        let labels = try LabelStore(existingAt: path).allLabels()
        #expect(labels.count == 2 * perWriter)
        for writer in 0..<2 {
            for i in 0..<perWriter {
                #expect(labels.contains(Label(query: "q\(i % 3)", imageID: "w\(writer)_\(i)", grade: i % 4)))
            }
        }
    }

    @Test func theStoreUsesAWriteAheadLog() throws {
        let path = Self.temporaryPath()
        let store = try LabelStore(path: path)
        try store.apply(LabelChange(key: LabelKey(query: "planes", imageID: "a"), grade: 1))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        // The header's read and write versions are 2 in WAL mode.
        let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20)
        #expect(Array(header.suffix(2)) == [2, 2])
    }

    @Test func aForeignSQLiteFileIsRejected() throws {
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let url = URL(fileURLWithPath: path)
        try Data("not a database at all, just text".utf8).write(to: url)
        #expect(throws: LabelStoreError.self) { try LabelStore(path: path) }
    }

    @Test func qrelsRoundTrip() throws {
        let store = try LabelStore()
        try store.save([
            Label(query: "planes parked", imageID: "airport_1.jpg", grade: 2),
            Label(query: "planes parked", imageID: "beach_1.jpg", grade: 0),
            Label(query: "tab\there", imageID: "x", grade: 1),
            Label(query: "tab\there", imageID: "dir with space/100%.jpg", grade: 3),
        ])
        let (qrels, topics) = try Qrels.export(labels: try store.allLabels(), topics: try store.topics())
        #expect(qrels == "1 0 airport_1.jpg 2\n1 0 beach_1.jpg 0\n2 0 dir%20with%20space/100%25.jpg 3\n2 0 x 1\n")
        #expect(topics == "1\tplanes parked\n2\ttab\\there\n")
        let parsed = try Qrels.parse(qrels: qrels, qrelsName: "q", topics: topics, topicsName: "t")
        #expect(parsed == (try store.allLabels()))
    }

    /// Issue 12, item 24: qrels and topics with CRLF line endings read as with LF.
    @Test func crlfQrelsAreAccepted() throws {
        let parsed = try Qrels.parse(qrels: "1 0 a.jpg 2\r\n1 0 b.jpg 0\r\n", qrelsName: "q", topics: "1\tplanes\r\n", topicsName: "t")
        #expect(parsed == [Label(query: "planes", imageID: "a.jpg", grade: 2), Label(query: "planes", imageID: "b.jpg", grade: 0)])
    }

    /// Issue 12, item 16: a name the whitespace-separated qrels cannot carry is refused by name.
    @Test func exportRefusesNamesQrelsCannotCarry() throws {
        for name in ["", "a\u{1B}[2J.jpg", "bell\u{07}", "nbsp\u{A0}x", "crlf\r\nx", "c1\u{9B}x"] {
            let label = Label(query: "q", imageID: name, grade: 1)
            #expect(throws: QrelsError.uncarriableName(imageID: name, query: "q")) {
                try Qrels.export(labels: [label], topics: [(id: 1, query: "q")])
            }
        }
        // Names are otherwise written exactly (no sanitising in files).
        let exact = try Qrels.export(labels: [Label(query: "q", imageID: "é/\u{202E}x.jpg", grade: 1)], topics: [(id: 1, query: "q")])
        #expect(exact.qrels == "1 0 é/\u{202E}x.jpg 1\n")
    }

    /// Issue 12, item 24: opening a label file to read it never creates it (or its folder).
    @Test func openingAMissingFileToReadCreatesNothing() throws {
        let path = Self.temporaryPath()
        #expect(throws: LabelStoreError.noLabelFile(path: path)) { try LabelStore(existingAt: path) }
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
        _ = try LabelStore(path: path)
        #expect(try LabelStore(existingAt: path).allLabels().isEmpty)
    }

    @Test func malformedQrelsNameFileAndLine() {
        #expect(throws: QrelsError.malformed(file: "q.txt", line: 2, reason: "relevance must be 0...3, got 7")) {
            try Qrels.parse(qrels: "1 0 a 1\n1 0 b 7\n", qrelsName: "q.txt", topics: "1\tx\n", topicsName: "t.tsv")
        }
        #expect(throws: QrelsError.self) {
            try Qrels.parse(qrels: "9 0 a 1\n", qrelsName: "q.txt", topics: "1\tx\n", topicsName: "t.tsv")
        }
        #expect(throws: QrelsError.self) {
            try Qrels.parse(qrels: "1 0 a\n", qrelsName: "q.txt", topics: "1\tx\n", topicsName: "t.tsv")
        }
    }
}
