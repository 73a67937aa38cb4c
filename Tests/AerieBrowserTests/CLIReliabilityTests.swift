import AerieTestSupport
import Foundation
import Testing

/// Issue 12 ("Nothing lost, nothing crashes, nothing written where it wasn't asked"), as the
/// built `aerie` binary behaves: output paths, failed and closed streams, errors on the terminal,
/// option ranges. Each runs the debug binary under `sh -c`, for the shell's redirections.
@Suite struct CLIReliabilityTests {
    /// Runs `script` with `sh -c` in `directory`; `$A` is the aerie binary.
    static func shell(_ script: String, in directory: URL) throws -> Tmux.Output {
        try Tmux.runPlain(["/bin/sh", "-c", "cd '\(directory.path)' && A='\(Tmux.binary)' && " + script], stdin: FileHandle.nullDevice)
    }

    /// A folder holding a label file `L.sqlite` with two labels for "planes" (imported from
    /// qrels with CRLF line endings, as Windows editors write them).
    static func labelledFolder() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        try Data("1 0 a.jpg 2\r\n1 0 b.jpg 0\r\n".utf8).write(to: folder.url.appendingPathComponent("q.txt"))
        try Data("1\tplanes\r\n".utf8).write(to: folder.url.appendingPathComponent("q.txt.topics"))
        let imported = try shell("$A labels import --labels L.sqlite q.txt", in: folder.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        return folder
    }

    // Item 1: output paths are written through links and special files, not replaced.
    @Test func labelsExportWritesThroughALinkAndAFIFO() throws {
        let folder = try Self.labelledFolder()
        let result = try Self.shell("""
            echo old > target.q && ln -s target.q link.q && mkfifo fifo.q && \
            { cat fifo.q > from-fifo.txt & } && \
            $A labels export --labels L.sqlite -o link.q --topics fifo.q && wait
            """, in: folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        let link = try FileManager.default.attributesOfItem(atPath: folder.url.appendingPathComponent("link.q").path)
        #expect(link[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(try String(contentsOf: folder.url.appendingPathComponent("target.q"), encoding: .utf8) == "1 0 a.jpg 2\n1 0 b.jpg 0\n")
        let fifo = try FileManager.default.attributesOfItem(atPath: folder.url.appendingPathComponent("fifo.q").path)
        #expect(fifo[.type] as? FileAttributeType != .typeRegular)
        #expect(try String(contentsOf: folder.url.appendingPathComponent("from-fifo.txt"), encoding: .utf8) == "1\tplanes\n")
    }

    // Item 1: a full device is an error naming it, and stays a device.
    @Test func labelsExportToAFullDeviceIsAnError() throws {
        let folder = try Self.labelledFolder()
        let result = try Self.shell("$A labels export --labels L.sqlite -o /dev/full", in: folder.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("disk full: cannot write /dev/full"))
        let device = try FileManager.default.attributesOfItem(atPath: "/dev/full")
        #expect(device[.type] as? FileAttributeType == .typeCharacterSpecial)
    }

    // Item 4: without -o the qrels go to standard output and no topics file appears.
    @Test func labelsExportWithoutOutputWritesNoFile() throws {
        let folder = try Self.labelledFolder()
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        let result = try Self.shell("$A labels export --labels L.sqlite", in: folder.url)
        #expect(result.status == 0)
        #expect(result.stdout == "1 0 a.jpg 2\n1 0 b.jpg 0\n")
        #expect(result.stderr.contains("--topics"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == before)
    }

    // Items 6 and 7: a failed or closed standard output is an error; a failed standard error
    // is ignored; neither crashes.
    @Test func failedStandardStreams() throws {
        let folder = try Self.labelledFolder()
        let full = try Self.shell("$A labels export --labels L.sqlite > /dev/full", in: folder.url)
        #expect(full.status == 1)
        #expect(full.stderr == "aerie: disk full: cannot write standard output\n")
        let closed = try Self.shell("$A labels export --labels L.sqlite >&-", in: folder.url)
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("standard output"))
        let listClosed = try Self.shell("$A labels list --labels L.sqlite >&-", in: folder.url)
        #expect(listClosed.status == 1)
        for redirect in ["2>/dev/full", "2>&-"] {
            let quiet = try Self.shell("$A labels export --labels L.sqlite \(redirect)", in: folder.url)
            #expect(quiet.status == 0, "\(redirect)")
            #expect(quiet.stdout == "1 0 a.jpg 2\n1 0 b.jpg 0\n", "\(redirect)")
        }
    }

    // Item 7: a reader that has gone ends the program quietly (status 141, as SIGPIPE would).
    @Test func aClosedPipeIsAQuietExit() throws {
        let folder = try Self.labelledFolder()
        let result = try Self.shell("(sleep 0.3; $A labels export --labels L.sqlite; echo \"status $?\" >&2) | true", in: folder.url)
        #expect(result.stderr == "status 141\n")
    }

    // Item 16: names that qrels cannot carry are refused, by name, and never reach the terminal raw.
    @Test func labelsExportRefusesControlCharactersInNames() throws {
        let folder = try TemporaryDirectory()
        try Data("1 0 a\u{1B}[2J\u{1B}]52;c;QUFB\u{07}.jpg 2\n".utf8).write(to: folder.url.appendingPathComponent("q.txt"))
        try Data("1\tplanes\n".utf8).write(to: folder.url.appendingPathComponent("q.txt.topics"))
        #expect(try Self.shell("$A labels import --labels L.sqlite q.txt", in: folder.url).status == 0)
        let result = try Self.shell("$A labels export --labels L.sqlite", in: folder.url)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("a\\u{1B}[2J\\u{1B}]52;c;QUFB\\u{7}.jpg"))
        #expect(!result.stderr.contains("\u{1B}"))
    }

    // Item 16: on a terminal the names are sanitised; in a pipe they stay exact.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func labelsExportSanitisesOnlyOnATerminal() throws {
        let folder = try TemporaryDirectory()
        try Data("1 0 x\u{202E}gpj.png 2\n".utf8).write(to: folder.url.appendingPathComponent("q.txt"))
        try Data("1\tplanes\n".utf8).write(to: folder.url.appendingPathComponent("q.txt.topics"))
        #expect(try Self.shell("$A labels import --labels L.sqlite q.txt", in: folder.url).status == 0)
        let piped = try Self.shell("$A labels export --labels L.sqlite", in: folder.url)
        #expect(piped.stdout == "1 0 x\u{202E}gpj.png 2\n")
        let terminal = try Self.shell("script -qec \"$A labels export --labels L.sqlite\" /dev/null", in: folder.url)
        #expect(terminal.stdout.contains("1 0 x\\u{202E}gpj.png 2"), "\(terminal.stdout)")
        #expect(!terminal.stdout.contains("\u{202E}"))
    }

    // Item 17: help and version still go to standard output with status 0.
    @Test func helpIsStillHelp() throws {
        let folder = try TemporaryDirectory()
        for arguments in ["--help", "search --help", "labels export --help"] {
            let result = try Self.shell("$A \(arguments)", in: folder.url)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stdout.hasPrefix("OVERVIEW: "), "\(arguments)")
        }
        #expect(try Self.shell("$A --version", in: folder.url).stdout == "0.1.0\n")
    }

    // Item 17: an error quoting a path (or file content) is sanitised on standard error.
    @Test func errorMessagesAreSanitised() throws {
        let folder = try TemporaryDirectory()
        let result = try Self.shell("$A search --index \"$(printf 'x\\033]52;c;QUFB\\007y')\" cars", in: folder.url)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("aerie: "))
        #expect(result.stderr.contains("\\u{1B}]52;c;QUFB\\u{7}y"))
        #expect(!result.stderr.contains("\u{1B}") && !result.stderr.contains("\u{07}"))
    }

    // Item 20: --image must name an image file.
    @Test func searchImageMustBeAFile() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("x.png"), withIntermediateDirectories: true)
        for image in ["/nonexistent", "x.png"] {
            let result = try Self.shell("$A search --index ix --image \(image)", in: folder.url)
            #expect(result.status == 1)
            #expect(result.stderr == "aerie: no image file at \(image) (a query term that looks like a path must name an image file)\n")
        }
    }

    // Item 22: a model that fails verification fails the command; a failed installer says why.
    @Test func modelsVerifyAndInstallFailures() throws {
        let folder = try TemporaryDirectory()
        let model = folder.url.appendingPathComponent("store/m")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("tampered".utf8).write(to: model.appendingPathComponent("model.safetensors"))
        try Data("""
            {"format": "aerie-model-card", "version": 1, "name": "m",
             "source": {"package": "p", "version": "1", "wheel": "p.whl", "wheel_sha256": "00", "member": "m", "format": "safetensors"},
             "weights_sha256": "\(String(repeating: "0", count: 64))", "size": 8, "licence": "MIT", "architecture": {}}
            """.utf8).write(to: model.appendingPathComponent("card.json"))
        let verify = try Self.shell("$A models list --models store --verify", in: folder.url)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("MISMATCH"))
        #expect(verify.stderr.contains("m does not match its card"))
        let install = try Self.shell("$A models install --models store --python /bin/false", in: folder.url)
        #expect(install.status == 1)
        #expect(install.stderr == "aerie: the model installer (python /bin/false) failed with exit status 1; no model was changed\n")
    }

    // Item 23: negative and out-of-range numbers get the option's range, however written.
    @Test func numericOptionsStateTheirRange() throws {
        let folder = try TemporaryDirectory()
        let cases: [(String, String)] = [
            ("search --k -1 cars", "--k must be between 1 and 100000, got -1"),
            ("search --k=-1 cars", "--k must be between 1 and 100000, got -1"),
            ("search --beta 1e308 cars", "--beta must be between 0.001 and 1000.0, got 1e+308"),
            ("search --csls-k 0 cars", "--csls-k must be between 1 and 1000, got 0"),
            ("neighbors --k 0 x", "--k must be between 1 and 100000, got 0"),
            ("eval d --k -3", "--k must be between 1 and 100000, got -3"),
            ("labels eval --depth 5", "--depth must be between 10 and 1000000, got 5"),
            ("browse --limit -2", "--limit must be between 1 and 100000, got -2"),
            ("browse --debounce 9000", "--debounce must be between 0 and 5000, got 9000"),
        ]
        for (arguments, message) in cases {
            let result = try Self.shell("$A \(arguments)", in: folder.url)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.hasPrefix("Error: \(message)\n"), "\(arguments): \(result.stderr)")
        }
    }

    // Item 24: reading a label file that is not there is an error, and creates nothing.
    @Test func readingAMissingLabelFileCreatesNothing() throws {
        let folder = try TemporaryDirectory()
        for command in ["list", "export"] {
            let result = try Self.shell("$A labels \(command) --labels sub/missing.sqlite", in: folder.url)
            #expect(result.status == 1)
            #expect(result.stderr == "aerie: no label file at sub/missing.sqlite\n")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
    }
}
