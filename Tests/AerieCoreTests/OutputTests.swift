import AerieCore
import AerieTestSupport
import Foundation
import Testing

/// Issue 12, items 1 and 6: the one way Aerie writes a file the user named, and standard output.
@Suite struct OutputTests {
    func contents(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test func aRegularFileIsReplacedAndKeepsItsMode() throws {
        let folder = try TemporaryDirectory()
        let file = folder.url.appendingPathComponent("out.txt")
        try OutputFile.write("first", to: file.path)
        #expect(try contents(file) == "first")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        try OutputFile.write("second", to: file.path)
        #expect(try contents(file) == "second")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect(attributes[.posixPermissions] as? Int == 0o640)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["out.txt"])
    }

    @Test func aSymbolicLinkIsWrittenThrough() throws {
        let folder = try TemporaryDirectory()
        let target = folder.url.appendingPathComponent("target.npy")
        let link = folder.url.appendingPathComponent("link.npy")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "target.npy")
        try OutputFile.write("new", to: link.path)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "target.npy")
        #expect(try contents(target) == "new")
        // A dangling link gets its target created, as `cp` and shells do.
        let dangling = folder.url.appendingPathComponent("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "made.txt")
        try OutputFile.write("made", to: dangling.path)
        #expect(try contents(folder.url.appendingPathComponent("made.txt")) == "made")
    }

    @Test func aFIFOIsWrittenNotReplaced() throws {
        let folder = try TemporaryDirectory()
        let fifo = folder.url.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let received = Locked<Data?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received.set(FileHandle(forReadingAtPath: fifo.path)?.readDataToEndOfFile())
            done.signal()
        }
        try OutputFile.write("through the pipe", to: fifo.path)
        done.wait()
        #expect(received.get().map { String(decoding: $0, as: UTF8.self) } == "through the pipe")
        let attributes = try FileManager.default.attributesOfItem(atPath: fifo.path)
        #expect(attributes[.type] as? FileAttributeType != .typeRegular)
    }

    @Test func aFullDeviceIsDiskFullAndStaysADevice() throws {
        #expect(throws: OutputError.diskFull(path: "/dev/full")) { try OutputFile.write("x", to: "/dev/full") }
        let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/full")
        #expect(attributes[.type] as? FileAttributeType == .typeCharacterSpecial)
        #expect(OutputError.diskFull(path: "/dev/full").description == "disk full: cannot write /dev/full")
    }

    @Test func aMissingFolderIsAnErrorNamingThePath() throws {
        let folder = try TemporaryDirectory()
        let path = folder.url.appendingPathComponent("no/such/out.txt").path
        #expect(throws: OutputError.self) { try OutputFile.write("x", to: path) }
        do { try OutputFile.write("x", to: path) } catch { #expect(error.description.contains(path)) }
    }

    @Test func standardStreamReportsAFullDeviceAndABrokenPipe() throws {
        let fd = open("/dev/full", O_WRONLY)
        defer { close(fd) }
        #expect(throws: OutputError.diskFull(path: "result")) { try StandardStream(descriptor: fd, name: "result").write("x\n") }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        #expect(throws: OutputError.brokenPipe(path: "pipe")) { try StandardStream(descriptor: ends[1], name: "pipe").write("x\n") }
        #expect(throws: OutputError.closed(path: "closed")) { try StandardStream(descriptor: 999, name: "closed").write("x") }
    }
}
