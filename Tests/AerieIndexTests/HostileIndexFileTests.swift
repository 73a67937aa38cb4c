import AerieCore
import AerieImage
import AerieModels
import AerieTensor
import AerieTestSupport
import Foundation
import Testing
@testable import AerieIndex

/// Crafted and special files in an index folder give clear errors, never a trap or a hang
/// (issue 12, items 8 and 14).
@Suite struct HostileIndexFileTests {
    /// A valid header for `count` rows of `dimension`, fields overridden, CRC fixed.
    func craftedHeader(dimension: UInt64, count: UInt64, payloadBytes: UInt64) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: VectorFile.headerBytes)
        head.replaceSubrange(0..<8, with: VectorFile.magic)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { head.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(VectorFile.version, at: 8)
        put(VectorType.float32.rawValue, at: 12)
        put(dimension, at: 16)
        put(count, at: 24)
        put(UInt64(1), at: 32)
        put(payloadBytes, at: 40)
        put(CRC32.checksum([UInt8]()), at: 48)
        put(UInt32(0), at: 52)
        put(CRC32.checksum(Array(head[0..<4092])), at: 4092)
        return head
    }

    @Test func headerWhoseSizeOverflowsIsRefused() throws {
        let directory = try TemporaryDirectory()
        let dimension = (1 << 24) - 1, count = (1 << 40) - 1
        let file = try directory.write("images.g1.fp32.vec",
                                       Data(craftedHeader(dimension: UInt64(dimension), count: UInt64(count), payloadBytes: 64) + [UInt8](repeating: 0, count: 64)))
        #expect(throws: IndexError.impossibleShape(path: file.path, dimension: dimension, count: count, fileBytes: VectorFile.headerBytes + 64)) {
            try VectorFile.open(file)
        }
        // A payload size beyond Int.max is refused as damaged, not converted with a trap.
        let huge = try directory.write("huge.vec", Data(craftedHeader(dimension: 4, count: 2, payloadBytes: UInt64.max)))
        #expect(throws: IndexError.headerCorrupt(path: huge.path)) { try VectorFile.open(huge) }
        // A plausible shape whose payload is not in the file.
        let short = try directory.write("short.vec", Data(craftedHeader(dimension: 4, count: 1000, payloadBytes: 16_000)))
        #expect(throws: IndexError.sizeMismatch(path: short.path, expected: VectorFile.headerBytes + 16_000, actual: VectorFile.headerBytes)) {
            try VectorFile.open(short)
        }
    }

    /// A FIFO in place of an index file used to block the reader forever.
    @Test(.timeLimit(.minutes(1))) func fifosAreRefusedNotOpened() throws {
        let directory = try TemporaryDirectory()
        let vector = directory.url.appendingPathComponent("images.g1.fp32.vec").path
        #expect(mkfifo(vector, 0o600) == 0)
        #expect(throws: IndexError.notARegularFile(path: vector, kind: "a FIFO (named pipe)")) {
            try VectorFile.open(URL(fileURLWithPath: vector))
        }
        let location = IndexLocation(directory: directory.url)
        #expect(mkfifo(location.database.path, 0o600) == 0)
        #expect(throws: IndexError.notARegularFile(path: location.database.path, kind: "a FIFO (named pipe)")) {
            try SearchIndex(location: location)
        }
        let labels = directory.url.appendingPathComponent("labels.sqlite").path
        #expect(mkfifo(labels, 0o600) == 0)
        #expect(performing: { try LabelStore(path: labels) }, throws: { error in
            if case .cannotOpen(let path, let reason) = error as? LabelStoreError { return path == labels && reason.contains("FIFO") }
            return false
        })
        // A directory is refused the same way.
        let folder = try directory.write("dir/index.sqlite/x", "x").deletingLastPathComponent().path
        #expect(throws: IndexError.notARegularFile(path: folder, kind: "a directory")) {
            try SearchIndex(location: IndexLocation(directory: URL(fileURLWithPath: folder).deletingLastPathComponent()))
        }
    }

    /// Two writers on one index: the second is told who holds it, not "database is locked".
    @Test func secondWriterIsToldWhoHoldsTheIndex() throws {
        let f = try IndexStoreTests.Fixture()
        try FileManager.default.createDirectory(at: f.location.directory, withIntermediateDirectories: true)
        let held = try IndexLock.acquire(f.location)
        #expect(throws: IndexError.locked(directory: f.location.directory.path, holder: "pid \(getpid())")) {
            try f.builder().update(f.set.dataset)
        }
        #expect(throws: IndexError.locked(directory: f.location.directory.path, holder: "pid \(getpid())")) {
            try f.builder().reproject()
        }
        held.release()
        // Released (as the kernel does when the holder exits): the next run proceeds.
        try f.builder().update(f.set.dataset)
        #expect(try SearchIndex(location: f.location).images.count == 24)
    }

    /// An image encoder whose weights are damaged: NaN for every image.
    struct NaNImageEncoder: ImageEncoding {
        var identity = TestImageEncoder().identity
        func encode(_ images: [RGBAImage]) throws -> Tensor {
            Tensor(shape: [images.count, identity.dimension], data: [Float](repeating: .nan, count: images.count * identity.dimension))
        }
    }

    /// NaN features or vectors never enter an index (they used to give empty results, exit 0).
    @Test func nonFiniteOutputsAreRefused() throws {
        let f = try IndexStoreTests.Fixture(count: 4)
        let nanEncoder = IndexBuilder(location: f.location, imageEncoder: NaNImageEncoder(), textEncoder: f.textEncoder,
                                      head: JointHead(projection: TestHead(), identity: "h"), decode: TestImageFile.decode, threads: 1)
        #expect(performing: { try nanEncoder.update(f.set.dataset) }, throws: { error in
            if case .nonFiniteOutput(let encoder, _) = error as? IndexError { return encoder == "test-image" }
            return false
        })
        let g = try IndexStoreTests.Fixture(count: 4)
        #expect(performing: { try g.builder(head: TestHead(sharpen: .nan)).update(g.set.dataset) }, throws: { error in
            if case .nonFiniteOutput(_, let item) = error as? IndexError { return item == "image vectors" }
            return false
        })
        #expect(throws: IndexError.incomplete(directory: g.location.directory.path)) { try SearchIndex(location: g.location) }
    }
}
