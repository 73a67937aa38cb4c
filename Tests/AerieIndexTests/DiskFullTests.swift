import AerieCore
import AerieTestSupport
import Foundation
import GRDB
import Testing
@testable import AerieIndex
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, item 5: the disk fills while the vectors of a new generation are written. The error
/// is `diskFull` naming the folder, the previous generation stays searchable, and a rerun after
/// space returns succeeds.
@Suite struct DiskFullTests {
    typealias Fixture = IndexStoreTests.Fixture

    /// Bytes written before the simulated full disk: in the first file's header, in its payload,
    /// in the binary codes, in the caption vectors.
    static let budgets = [0, 4200, 6000, 11000]

    @Test(arguments: budgets)
    func aFullDiskDuringReprojectKeepsThePreviousGeneration(budget: Int) throws {
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        var failing = f.builder(head: TestHead(sharpen: 3))
        failing.vectorWriteBudget = budget
        #expect(throws: IndexError.diskFull(directory: f.location.directory.path)) { try failing.reproject() }
        try expectSearchable(f, generation: 1, head: "test-head-1.0", type: .float32)

        let generation = try f.builder(head: TestHead(sharpen: 3)).reproject()
        #expect(generation == 2)
        try expectSearchable(f, generation: 2, head: "test-head-3.0", type: .float32)
    }

    @Test(arguments: budgets)
    func aFullDiskDuringUpdateKeepsThePreviousGeneration(budget: Int) throws {
        let f = try Fixture()
        try f.builder().update(f.set.dataset)
        let imageCalls = f.imageEncoder.counter.count
        var failing = f.builder(type: .float16)
        failing.vectorWriteBudget = budget
        #expect(throws: IndexError.diskFull(directory: f.location.directory.path)) { try failing.update(f.set.dataset) }
        try expectSearchable(f, generation: 1, head: "test-head-1.0", type: .float32)

        let summary = try f.builder(type: .float16).update(f.set.dataset)
        #expect(summary.vectorsRebuilt && summary.generation == 2 && summary.imagesEncoded == 0)
        #expect(f.imageEncoder.counter.count == imageCalls)
        try expectSearchable(f, generation: 2, head: "test-head-1.0", type: .float16)
    }

    /// When the data set changed the old vectors no longer describe the database: the index is
    /// incomplete (never silently stale) until a rerun, which needs no re-encoding.
    @Test func aFullDiskAfterTheDataSetChangedIsResumed() throws {
        var f = try Fixture()
        try f.builder().update(f.set.dataset)
        f.set.entries.removeLast()
        var failing = f.builder()
        failing.vectorWriteBudget = 6000
        #expect(throws: IndexError.diskFull(directory: f.location.directory.path)) { try failing.update(f.set.dataset) }
        #expect(throws: IndexError.incomplete(directory: f.location.directory.path)) { try SearchIndex(location: f.location) }
        #expect(vectorFiles(f).allSatisfy { $0.contains(".g1.") })

        let summary = try f.builder().update(f.set.dataset)
        #expect(summary.generation == 2 && summary.imagesEncoded == 0)
        #expect(try SearchIndex(location: f.location).images.count == 23)
    }

    /// ENOSPC from write(2), SQLite's SQLITE_FULL (13) and Foundation's out-of-space are one error.
    @Test func everyDiskFullIsOneError() {
        let directory = URL(fileURLWithPath: "/data/ix")
        let full: [any Error] = [
            DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full", sql: "INSERT INTO meta (key, value)\nVALUES (?, ?)"),
            OutputError.diskFull(path: "/data/ix/images.g2.fp32.vec"),
            CocoaError(.fileWriteOutOfSpace),
            POSIXError(.ENOSPC),
        ]
        for error in full { #expect(IndexError.writeFailure(error, directory: directory) == .diskFull(directory: "/data/ix")) }
        #expect(IndexError.diskFull(directory: "/data/ix").description
            == "disk full: cannot write the index at /data/ix; free some space and re-run `aerie index`")
        #expect(IndexError.writeFailure(OutputError.readOnly(path: "/data/ix/x.vec"), directory: directory)
            == .cannotWrite(directory: "/data/ix", reason: "read-only"))
    }

    /// The reproduction of the issue on a real 3 MB tmpfs, filled up.
    @Test(.enabled(if: Tmpfs.canMount, "skipped: mounting a tmpfs needs root and mount(2) in this environment"))
    func aRealFullTmpfs() throws {
        let f = try Fixture()
        let directory = f.location.directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tmpfs = try Tmpfs(at: directory, megabytes: 3)
        defer { tmpfs.unmount() }
        try f.builder().update(f.set.dataset)
        let filler = directory.appendingPathComponent("filler")
        Tmpfs.fill(filler)

        #expect(throws: IndexError.diskFull(directory: directory.path)) { try f.builder(head: TestHead(sharpen: 3)).reproject() }
        #expect(throws: IndexError.diskFull(directory: directory.path)) { try f.builder(type: .float16).update(f.set.dataset) }
        try expectSearchable(f, generation: 1, head: "test-head-1.0", type: .float32)

        try FileManager.default.removeItem(at: filler)
        #expect(try f.builder(head: TestHead(sharpen: 3)).reproject() == 2)
        try expectSearchable(f, generation: 2, head: "test-head-3.0", type: .float32)
    }

    /// The index opens at `generation`, searches ("blue" finds the blue images), and holds the
    /// vector files of that generation only: no partial or temporary files.
    private func expectSearchable(_ f: Fixture, generation: UInt64, head: String, type: VectorType,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let index = try SearchIndex(location: f.location)
        #expect(index.generation == generation, sourceLocation: sourceLocation)
        #expect(index.space.head == head, sourceLocation: sourceLocation)
        #expect(index.imageVectors.type == type, sourceLocation: sourceLocation)
        let query = try TestHead().projectTexts(f.textEncoder.encode(["blue"])).data
        let hits = try index.search(query, target: .images, k: 4)
        #expect(Set(hits.map { index.images[$0.id].label }) == ["blue"], sourceLocation: sourceLocation)
        let files = vectorFiles(f)
        #expect(files.count == 4 && files.allSatisfy { $0.contains(".g\(generation).") && !$0.hasPrefix(".") },
                "\(files)", sourceLocation: sourceLocation)
    }

    /// Vector files, temporary ones included, in the index folder.
    private func vectorFiles(_ f: Fixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: f.location.directory.path)) ?? []).filter { $0.contains(".vec") }.sorted()
    }
}

/// A tmpfs mounted for one test (root only).
private struct Tmpfs {
    struct MountFailed: Error { let errno: Int32 }
    let url: URL

    init(at url: URL, megabytes: Int) throws {
        let result = "size=\(megabytes)m".withCString { mount("tmpfs", url.path, "tmpfs", 0, $0) }
        guard result == 0 else { throw MountFailed(errno: errno) }
        self.url = url
    }

    func unmount() { _ = umount(url.path) }

    /// Whether a tmpfs can be mounted here (root, and mount(2) allowed).
    static let canMount: Bool = {
        guard let probe = try? TemporaryDirectory(prefix: "aerie-tmpfs-probe"), let tmpfs = try? Tmpfs(at: probe.url, megabytes: 1) else {
            return false
        }
        tmpfs.unmount()
        return true
    }()

    /// Writes zeros to `url` until the file system is full.
    static func fill(_ url: URL) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ FileDescriptorIO.writeAll(fd, $0) }) == nil {}
    }
}
