import AerieEvaluation
import AerieCore
import AerieJoint
import AerieTestSupport
import Foundation
import GRDB
import Testing
@testable import AerieIndex

@Suite struct IndexStoreTests {
    struct Fixture {
        let data: TemporaryDirectory
        let store: TemporaryDirectory
        var set: TestDataset
        let imageEncoder = TestImageEncoder()
        let textEncoder = TestTextEncoder()
        var location: IndexLocation { IndexLocation(directory: store.url.appendingPathComponent("idx")) }

        init(count: Int = 24) throws {
            data = try TemporaryDirectory()
            store = try TemporaryDirectory()
            set = try TestDataset(root: data.url, count: count)
        }

        func builder(type: VectorType = .float32, head: TestHead? = TestHead(), batch: Int = 5) -> IndexBuilder {
            IndexBuilder(location: location, imageEncoder: imageEncoder, textEncoder: textEncoder,
                         head: head.map { JointHead(projection: $0, identity: "test-head-\($0.sharpen)") },
                         decode: TestImageFile.decode, vectorType: type, batchSize: batch, threads: 2)
        }
    }

    @Test(arguments: [VectorType.float32, .float16])
    func buildsAndSearchesTextToImage(type: VectorType) throws {
        let f = try Fixture()
        let summary = try f.builder(type: type).update(f.set.dataset)
        #expect(summary.imagesEncoded == 24)
        #expect(summary.vectorsRebuilt)
        let index = try SearchIndex(location: f.location)
        #expect(index.images.count == 24)
        #expect(index.captions.count == 72)
        #expect(index.imageVectors.type == type)
        // "blue" text → the four blue images (colour index 2) first.
        let query = try TestHead().projectTexts(f.textEncoder.encode(["blue"])).data
        let hits = try index.search(query, target: .images, k: 4)
        #expect(Set(hits.map { index.images[$0.id].label }) == ["blue"])
        // Every image's captions are linked back to it.
        for image in index.images { #expect(image.captionRows.allSatisfy { index.captions[$0].imageRow == image.row }) }
        // Hamming on the binary codes works too.
        let binaryHits = try index.search(query, target: .images, k: 1, metric: .hamming)
        #expect(binaryHits.count == 1)
        // Stored features are the encoder's.
        let feature = try index.imageFeature(row: 0)
        #expect(feature.count == 6)
    }

    @Test func incrementalReindexEncodesOnlyWhatChanged() throws {
        var f = try Fixture()
        try f.builder().update(f.set.dataset)
        #expect(f.imageEncoder.counter.count == 24)
        let textCalls = f.textEncoder.counter.count

        // Nothing changed: nothing encoded, vectors kept.
        let again = try f.builder().update(f.set.dataset)
        #expect(f.imageEncoder.counter.count == 24)
        #expect(f.textEncoder.counter.count == textCalls)
        #expect(!again.vectorsRebuilt)

        // Touch one file (same content), change another's content, delete a third, add a fourth.
        let touched = f.data.url.appendingPathComponent(f.set.entries[1].file)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: touched.path)
        f.set.entries[2].colour = 5
        try f.set.write(f.set.entries[2])
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)],
                                              ofItemAtPath: f.data.url.appendingPathComponent(f.set.entries[2].file).path)
        try FileManager.default.removeItem(at: f.data.url.appendingPathComponent(f.set.entries[3].file))
        f.set.entries.remove(at: 3)
        f.set.entries.append((file: "new.png", colour: 0, split: "train", captions: ["a red new field"]))
        try f.set.write(f.set.entries.last!)
        let summary = try f.builder().update(f.set.dataset)
        #expect(summary.imagesEncoded == 2)        // the changed one and the new one
        #expect(summary.imagesRemoved == 1)
        #expect(summary.captionsEncoded == 1)      // only "a red new field" is a new text
        #expect(f.imageEncoder.counter.count == 26)
        let index = try SearchIndex(location: f.location)
        #expect(index.images.count == 24)
        #expect(index.image(matching: f.set.entries[3 - 1].file)?.label == "black")
        #expect(index.image(matching: "img3.png") == nil)
        // The same as an index built from scratch.
        let fresh = try Fixture(count: 0)
        let scratch = IndexBuilder(location: fresh.location, imageEncoder: TestImageEncoder(), textEncoder: TestTextEncoder(),
                                   head: JointHead(projection: TestHead(), identity: "test-head-1.0"),
                                   decode: TestImageFile.decode, batchSize: 7)
        try scratch.update(f.set.dataset)
        let reference = try SearchIndex(location: fresh.location)
        #expect(Set(reference.images.map(\.path)) == Set(index.images.map(\.path)))
        let query = try TestHead().projectTexts(f.textEncoder.encode(["black"])).data
        let a = try index.search(query, target: .images, k: 5).map { index.images[$0.id].path }
        let b = try reference.search(query, target: .images, k: 5).map { reference.images[$0.id].path }
        #expect(Set(a) == Set(b))
    }

    @Test func interruptedIndexingResumes() throws {
        let f = try Fixture()
        var batches = 0
        #expect(throws: IndexError.cancelled) {
            try f.builder().update(f.set.dataset) { progress in
                if progress.phase == .images && progress.done > 0 { batches += 1 }
                if batches == 2 { throw IndexError.cancelled }
            }
        }
        // Interrupted: the index refuses to be searched rather than give partial results.
        #expect(throws: IndexError.incomplete(directory: f.location.directory.path)) { try SearchIndex(location: f.location) }
        #expect(f.imageEncoder.counter.count == 10)
        let summary = try f.builder().update(f.set.dataset)
        #expect(summary.imagesEncoded == 14)       // only the rest
        #expect(try SearchIndex(location: f.location).images.count == 24)
    }

    @Test func undecodableImagesAreReportedNotFatal() throws {
        let f = try Fixture(count: 6)
        try Data("garbage".utf8).write(to: f.data.url.appendingPathComponent("img4.png"))
        let summary = try f.builder().update(f.set.dataset)
        #expect(summary.imagesFailed == ["img4.png"])
        #expect(try SearchIndex(location: f.location).images.count == 5)
    }

    @Test func duplicateFileNamesAreIndexedOnce() throws {
        var f = try Fixture(count: 4)
        f.set.entries.append(f.set.entries[0])
        let summary = try f.builder().update(f.set.dataset)
        #expect(summary.imagesEncoded == 4)
        #expect(try SearchIndex(location: f.location).images.count == 4)
    }

    @Test func corruptionGivesClearErrors() throws {
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        let index = try SearchIndex(location: f.location)
        let file = f.location.vectorFile("images", .float32, generation: index.generation)
        let other = f.location.vectorFile("captions", .float32, generation: index.generation)
        let original = try Data(contentsOf: file)
        let otherOriginal = try Data(contentsOf: other)
        func restore() throws {
            try original.write(to: file)
            try otherOriginal.write(to: other)
        }

        // Truncated.
        try original.prefix(original.count - 10).write(to: file)
        #expect(throws: IndexError.sizeMismatch(path: file.path, expected: original.count, actual: original.count - 10)) {
            try SearchIndex(location: f.location)
        }
        // A flipped payload byte.
        var flipped = original
        flipped[VectorFile.headerBytes + 17] ^= 0x40
        try flipped.write(to: file)
        #expect(performing: { try SearchIndex(location: f.location) }, throws: { error in
            if case .payloadCorrupt(let path, _, _) = error as? IndexError { return path == file.path }
            return false
        })
        // A flipped header byte.
        flipped = original
        flipped[30] ^= 0x01
        try flipped.write(to: file)
        #expect(throws: IndexError.headerCorrupt(path: file.path)) { try SearchIndex(location: f.location) }
        // Bad magic.
        flipped = original
        flipped[0] = 0
        try flipped.write(to: file)
        #expect(throws: IndexError.notAVectorFile(path: file.path)) { try SearchIndex(location: f.location) }
        // Swapped files: intact, but not the ones the database recorded.
        try otherOriginal.write(to: file)
        try original.write(to: other)
        #expect(performing: { try SearchIndex(location: f.location) }, throws: { error in
            if case .vectorFileMismatch(let path, _, _, _) = error as? IndexError { return path == file.path }
            return false
        })
        // Missing.
        try restore()
        try FileManager.default.removeItem(at: file)
        #expect(throws: IndexError.vectorFileMissing(path: file.path)) { try SearchIndex(location: f.location) }
        // Re-indexing repairs it.
        try f.builder().update(f.set.dataset)
        #expect(try SearchIndex(location: f.location).images.count == 24)
    }

    @Test func anotherIndexsFileIsRejected() throws {
        // Same data, another head: files of the same shape whose identity differs.
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        let g = try Fixture()
        try g.builder(head: TestHead(sharpen: 2)).update(g.set.dataset)
        let mine = try SearchIndex(location: f.location)
        let theirs = try SearchIndex(location: g.location)
        let file = f.location.vectorFile("images", .float32, generation: mine.generation)
        try Data(contentsOf: g.location.vectorFile("images", .float32, generation: theirs.generation)).write(to: file)
        #expect(performing: { try SearchIndex(location: f.location) }, throws: { error in
            if case .vectorFileMismatch(_, let field, _, _) = error as? IndexError { return field == "identity" }
            return false
        })
        // And asking for another model than the index's is refused.
        #expect(performing: { try theirs.requireSpace(f.builder().space) }, throws: { error in
            if case .modelMismatch = error as? IndexError { return true }
            return false
        })
    }

    @Test func newHeadReprojectsWithoutEncoding() throws {
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        let imageCalls = f.imageEncoder.counter.count, textCalls = f.textEncoder.counter.count
        let before = try SearchIndex(location: f.location)
        let generation = try f.builder(head: TestHead(sharpen: 3)).reproject()
        #expect(f.imageEncoder.counter.count == imageCalls)
        #expect(f.textEncoder.counter.count == textCalls)
        let after = try SearchIndex(location: f.location)
        #expect(after.generation == generation && generation == before.generation + 1)
        #expect(after.space.head == "test-head-3.0")
    }

    /// Issue 12, item 24: a database that cannot be written is one line naming the index, not
    /// SQLite's multi-line description with the statement.
    @Test func anUnwritableDatabaseIsOneClearLine() throws {
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        // Another process holds the database (root ignores file permissions, a lock it cannot).
        let other = try DatabaseQueue(path: f.location.database.path)
        try other.inDatabase { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            defer { try? db.execute(sql: "ROLLBACK") }
            var changed = f.set
            changed.entries.removeLast()
            #expect(throws: IndexError.cannotWrite(directory: f.location.directory.path,
                                                   reason: "the database is in use by another process")) {
                try f.builder().update(changed.dataset)
            }
        }
        let readOnly = DatabaseError(resultCode: .SQLITE_READONLY, message: "attempt to write a readonly database",
                                     sql: "UPDATE images SET position = ?,\n split = ? WHERE id = ?")
        #expect(SQLiteFailure.reason(readOnly) == "read-only")
        let error = IndexError.cannotWrite(directory: "/data/ix", reason: SQLiteFailure.reason(readOnly))
        #expect(error.description == "cannot write the index at /data/ix: read-only")
    }

    @Test func defaultLocationIsOutsideTheDataset() {
        let location = IndexLocation.defaultLocation(forDataset: URL(fileURLWithPath: "/data/rsicd/dataset.json"),
                                                     environment: ["XDG_DATA_HOME": "/home/u/.data"])
        #expect(location.directory.path.hasPrefix("/home/u/.data/aerie/indexes/dataset-"))
        let other = IndexLocation.defaultLocation(forDataset: URL(fileURLWithPath: "/data/ucm/dataset.json"),
                                                  environment: ["XDG_DATA_HOME": "/home/u/.data"])
        #expect(other != location)
    }

    @Test func crc32KnownAnswer() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let long = (0..<1000).map { UInt8($0 % 251) }
        var incremental = CRC32()
        long.withUnsafeBytes { incremental.update(UnsafeRawBufferPointer(rebasing: $0[0..<333])); incremental.update(UnsafeRawBufferPointer(rebasing: $0[333...])) }
        #expect(incremental.value == CRC32.checksum(long))
    }

    /// Search with a hubness correction ranks exactly as the correction applied to the full
    /// image × caption similarity matrix does.
    @Test(arguments: [HubnessCorrection.csls(k: 4), .invertedSoftmax(beta: 5)])
    func hubnessCorrectedSearchMatchesTheFullMatrix(correction: HubnessCorrection) throws {
        let f = try Fixture()
        _ = try f.builder().update(f.set.dataset)
        let index = try SearchIndex(location: f.location)
        let prepared = try index.prepareHubness(correction, target: .images)
        #expect(prepared.referenceCount == index.captions.count)
        let query = try TestHead().projectTexts(f.textEncoder.encode(["blue green"])).data
        let hits = try index.search(query, k: 6, hubness: prepared)

        let d = index.space.dimension
        let images = L2.normalized(index.images.flatMap { index.imageVectors.row($0.row) }, dimension: d)
        let captions = L2.normalized(index.captions.flatMap { index.captionVectors?.row($0.row) ?? [] }, dimension: d)
        // images × captions
        let scores = RetrievalEvaluation.similarity(captions: images, images: captions, dimension: d)
        let (scale, offsets) = correction.offsets(galleryRows: scores, galleryCount: index.images.count,
                                                  queryCount: index.captions.count)
        let q = L2.normalized(query, dimension: d)
        var corrected: [Float] = []
        for i in 0..<index.images.count {
            var dot: Float = 0
            for j in 0..<d { dot += images[i * d + j] * q[j] }
            corrected.append(scale * dot - offsets[i])
        }
        let expected: [Int] = corrected.indices.sorted { a, b in
            corrected[a] != corrected[b] ? corrected[a] > corrected[b] : a < b
        }
        #expect(hits.map { $0.id } == Array(expected.prefix(6)))
        for hit in hits { #expect(abs(hit.score - corrected[hit.id]) < 1e-4) }

        // Image→text: captions are the gallery, the index's images the references.
        let toCaptions = try index.prepareHubness(correction, target: .captions)
        #expect(toCaptions.offsets.count == index.captions.count)
        #expect(try index.search(index.imageVectors.row(0), k: 3, hubness: toCaptions).count == 3)
    }

    @Test func hubnessNeedsCaptionVectors() throws {
        let f = try Fixture()
        _ = try f.builder(head: nil).update(f.set.dataset)
        let index = try SearchIndex(location: f.location)
        #expect(throws: IndexError.self) { try index.prepareHubness(.csls(k: 3), target: .images) }
    }
}
