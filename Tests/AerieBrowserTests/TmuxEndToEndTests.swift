import AerieTestSupport
import Foundation
import Testing

/// End to end in a real terminal: the built `aerie` binary runs `aerie browse` inside tmux (on a
/// private tmux socket), keys are sent with send-keys and the screen read with capture-pane.
///
/// Needs tmux, the built binary (`swift build` puts it in .build/debug; AERIE_BINARY overrides)
/// and the shared sample corpus; skips with a message otherwise.
@Suite(.serialized, .enabled(if: Tmux.available, Tmux.skipMessage))
struct TmuxEndToEndTests {
    static let corpus = SharedData.url("samples/rsicd")
    /// Whether a real corpus can be browsed: the sample data and the installed models.
    static let corpusReady = corpus != nil && E2EFixture.modelsInstalled
    static let corpusMessage: Comment = "skipped: needs ../shared/data/samples/rsicd and the models (aerie models install)"

    @Test func notATerminalIsAClearErrorWithExitCode2() throws {
        let result = try Tmux.runPlain([Tmux.binary, "browse", "--labels", Tmux.temporaryLabels()], stdin: FileHandle.nullDevice)
        #expect(result.status == 2)
        #expect(result.stderr.contains("needs an interactive terminal"))
    }

    @Test(.enabled(if: corpusReady, corpusMessage))
    func typeAQueryAndReadTheRankedNames() throws {
        let tmux = try Tmux(width: 100, height: 30)
        defer { tmux.stop() }
        let labels = Tmux.temporaryLabels()
        try tmux.start(try browseArguments(labels: labels))
        try tmux.waitFor { $0.contains("images to search") }
        tmux.send(literal: "many buildings and green trees")
        let screen = try tmux.waitFor { $0.contains("results for") }
        let rows = screen.split(separator: "\n").filter { $0.range(of: #"^\s+\d+\s+-?\d\.\d{3}"#, options: .regularExpression) != nil }
        #expect(rows.count >= 5, "ranked rows on screen:\n\(screen)")
        #expect(rows.first?.contains(".jpg") == true)
        tmux.send(keys: "Tab", "q")
        try tmux.waitForExit()
    }

    @Test(.enabled(if: corpusReady, corpusMessage))
    func aLabelSurvivesKillDashNine() throws {
        let tmux = try Tmux(width: 100, height: 30)
        defer { tmux.stop() }
        let labels = Tmux.temporaryLabels()
        try tmux.start(try browseArguments(labels: labels))
        try tmux.waitFor { $0.contains("images to search") }
        tmux.send(literal: "buildings")
        try tmux.waitFor { $0.contains("results for “buildings”") }
        tmux.send(keys: "Tab", "r")
        let labelled = try tmux.waitFor { $0.contains("label saved") }
        let firstRow = labelled.split(separator: "\n").first { $0.contains("✓") }
        let name = try #require(firstRow?.split(separator: " ").first { $0.hasSuffix(".jpg") }.map(String.init))
        tmux.killApplication(signal: SIGKILL)
        try tmux.start(try browseArguments(labels: labels) + ["--query", "buildings"])
        let again = try tmux.waitFor { $0.contains("results for") && $0.contains("✓") }
        #expect(again.split(separator: "\n").contains { $0.contains("✓") && $0.contains(name) })
        let list = try Tmux.runPlain([Tmux.binary, "labels", "list", "--labels", labels], stdin: FileHandle.nullDevice)
        #expect(list.stdout.contains("1\t"))
        #expect(list.stdout.contains("buildings"))
    }

    @Test(.enabled(if: corpusReady, corpusMessage))
    func resizeStormsAndATinyWindow() throws {
        let tmux = try Tmux(width: 100, height: 30)
        defer { tmux.stop() }
        try tmux.start(try browseArguments(labels: Tmux.temporaryLabels()))
        try tmux.waitFor { $0.contains("images to search") }
        tmux.send(literal: "buildings")
        try tmux.waitFor { $0.contains("results for") }
        for (w, h) in [(60, 15), (150, 50), (20, 5), (80, 24), (61, 16), (200, 60), (40, 40), (90, 20)] {
            tmux.resize(width: w, height: h)
        }
        tmux.resize(width: 30, height: 8)
        try tmux.waitFor { $0.contains("Terminal too small") }
        tmux.resize(width: 100, height: 30)
        let screen = try tmux.waitFor { $0.hasPrefix("Search › buildings") }
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 30)
        #expect(lines[29].contains("images"), "status line on the last row:\n\(screen)")
        #expect(!screen.contains("Terminal too small"))
        tmux.send(keys: "C-c")
        try tmux.waitForExit()
    }

    @Test(.enabled(if: corpusReady, corpusMessage))
    func hostileFileNamesAndCaptionsCannotDriveTheTerminal() throws {
        let corpus = try E2EFixture.shared.get().corpus
        let directory = try HostileCorpus.make(from: corpus)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tmux = try Tmux(width: 120, height: 30)
        defer { tmux.stop() }
        let fixture = try E2EFixture.shared.get()
        try tmux.start(fixture.environment + [Tmux.binary, "browse", directory.path, "--head", fixture.head.path,
                                              "--index", directory.appendingPathComponent("index").path,
                                              "--labels", Tmux.temporaryLabels()])
        try tmux.waitFor(timeout: 120) { $0.contains("images to search") }
        let titleBefore = tmux.paneTitle()
        tmux.send(literal: "pwned")
        let screen = try tmux.waitFor { $0.contains("results for") && $0.contains("\\u{1B}") }
        #expect(tmux.paneTitle() == titleBefore, "an OSC title sequence got through")
        #expect(screen.hasPrefix("Search › pwned"), "the screen was not cleared or moved:\n\(screen)")
        tmux.send(keys: "Tab", "q")
        try tmux.waitForExit()
    }

    private func browseArguments(labels: String) throws -> [String] {
        let fixture = try E2EFixture.shared.get()
        return fixture.environment + [Tmux.binary, "browse", fixture.corpus.path, "--head", fixture.head.path,
                                      "--index", fixture.index.path, "--labels", labels]
    }
}

/// A copy of a sample data set whose file names and captions carry escape sequences.
enum HostileCorpus {
    static func make(from sample: URL) throws -> URL {
        let fm = FileManager.default
        let directory = fm.temporaryDirectory.appendingPathComponent("aerie-hostile-\(UUID().uuidString)")
        let images = directory.appendingPathComponent("imgs")
        try fm.createDirectory(at: images, withIntermediateDirectories: true)
        let source = sample.appendingPathComponent("imgs")
        let files = try fm.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".jpg") }.sorted().prefix(4)
        guard files.count == 4 else { throw FixtureFailure(step: "hostile corpus", output: "need 4 images in \(source.path)") }
        let hostileNames = [
            "pwned\u{1B}]0;PWNED\u{7}.jpg", "clear\u{1B}[2J\u{1B}[H.jpg", "bidi\u{202E}gpj.exe.jpg", "wide飛行機\u{9B}31m.jpg",
        ]
        var entries: [String] = []
        for (file, name) in zip(files, hostileNames) {
            try fm.copyItem(at: source.appendingPathComponent(file), to: images.appendingPathComponent(name))
            let escapedName = name.unicodeScalars.map { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) ? String(format: "\\u%04X", $0.value) : String($0) }.joined()
            entries.append("""
                {"filename": "\(escapedName)", "split": "train", "sentences": [{"raw": "pwned \\u001B]0;PWNED\\u0007 title \\u001B[31m red \\u001B[2J"}, {"raw": "planes beside a terminal"}]}
                """)
        }
        let json = "{\"images\": [\(entries.joined(separator: ","))]}"
        try Data(json.utf8).write(to: directory.appendingPathComponent("dataset.json"))
        return directory
    }
}

/// A tmux server on a private socket, running one program in one pane.
final class Tmux {
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["AERIE_BINARY"], !override.isEmpty { return override }
        return SharedData.repositoryRoot.appendingPathComponent(".build/debug/aerie").path
    }()
    static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let available = tmuxPath != nil && FileManager.default.isExecutableFile(atPath: binary)
    static let skipMessage: Comment = "skipped: needs tmux and the built aerie binary (swift build; or AERIE_BINARY)"

    let socket = "aerie-test-\(UUID().uuidString.prefix(8))"
    let width: Int
    let height: Int
    private var started = false

    init(width: Int, height: Int) throws {
        self.width = width
        self.height = height
    }

    static func temporaryLabels() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("aerie-e2e-\(UUID().uuidString)/labels.sqlite").path
    }

    /// Starts `arguments` in a fresh pane (a new session the first time, a respawn after).
    func start(_ arguments: [String]) throws {
        let command = "env TERM=xterm-256color LANG=C.UTF-8 " + arguments.map(Tmux.quote).joined(separator: " ")
            + " 2>" + Tmux.quote(FileManager.default.temporaryDirectory.appendingPathComponent("\(socket).stderr").path)
        if started {
            _ = tmux(["respawn-pane", "-k", "-t", "main", command])
        } else {
            _ = tmux(["new-session", "-d", "-s", "main", "-x", "\(width)", "-y", "\(height)", command])
            _ = tmux(["set-option", "-t", "main", "remain-on-exit", "on"])
            started = true
        }
    }

    func send(literal text: String) { _ = tmux(["send-keys", "-t", "main", "-l", text]) }
    func send(keys: String...) { for k in keys { _ = tmux(["send-keys", "-t", "main", k]) } }
    func resize(width: Int, height: Int) { _ = tmux(["resize-window", "-t", "main", "-x", "\(width)", "-y", "\(height)"]) }
    func capture() -> String { tmux(["capture-pane", "-p", "-t", "main"]) }
    func paneTitle() -> String { tmux(["display-message", "-p", "-t", "main", "#{pane_title}"]) }

    /// Sends `signal` to the program in the pane and everything it started (by pid: the pane's
    /// process and its descendants, found with pgrep).
    func killApplication(signal: Int32) {
        let pid = tmux(["display-message", "-p", "-t", "main", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let root = Int32(pid) else { return }
        var all: [Int32] = [root]
        var frontier: [Int32] = [root]
        while let next = frontier.popLast() {
            let children = (try? Tmux.runPlain(["/usr/bin/pgrep", "-P", "\(next)"], stdin: FileHandle.nullDevice).stdout) ?? ""
            for child in children.split(separator: "\n").compactMap({ Int32($0) }) {
                all.append(child)
                frontier.append(child)
            }
        }
        for p in all.reversed() { kill(p, signal) }
        Thread.sleep(forTimeInterval: 0.3)
    }

    @discardableResult
    func waitFor(timeout: TimeInterval = 120, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxTimeout(screen: screen)
    }

    func waitForExit(timeout: TimeInterval = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if tmux(["display-message", "-p", "-t", "main", "#{pane_dead}"]).hasPrefix("1") { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxTimeout(screen: capture())
    }

    func stop() { _ = tmux(["kill-server"]) }

    /// Runs one tmux client command through `system()`, which waits for that client alone: the
    /// server a `new-session` forks keeps the client's descriptors, which Foundation's Process
    /// would wait on.
    @discardableResult
    private func tmux(_ arguments: [String]) -> String {
        guard let path = Tmux.tmuxPath else { return "" }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-tmux-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let command = ([path, "-L", socket] + arguments).map(Tmux.quote).joined(separator: " ")
            + " </dev/null >" + Tmux.quote(output.path) + " 2>&1"
        _ = system(command)
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs a program to completion. Output goes through temporary files, not pipes: a tmux
    /// server forked by `new-session` keeps its client's descriptors, and a pipe would then
    /// never reach end-of-file.
    static func runPlain(_ arguments: [String], stdin: FileHandle) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-run-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let o = (try? Data(contentsOf: outURL)) ?? Data()
        let e = (try? Data(contentsOf: errURL)) ?? Data()
        return Output(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

struct TmuxTimeout: Error, CustomStringConvertible {
    var screen: String
    var description: String { "timed out waiting for the screen; last screen:\n\(screen)" }
}

/// A joint head trained on the sample corpus and its index, made once for the whole suite with
/// the built binary (`aerie train`, `aerie index`), in a temporary folder.
struct E2EFixture {
    let directory: URL
    let head: URL
    let index: URL
    /// The corpus browsed: eight images of the sample set with their captions.
    let corpus: URL
    /// `env`-style assignments that keep every aerie file of the tests in the temporary folder.
    let environment: [String]

    static let modelsDirectory: URL = {
        let env = ProcessInfo.processInfo.environment
        if let models = env["AERIE_MODELS"], !models.isEmpty { return URL(fileURLWithPath: models) }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache"
        return URL(fileURLWithPath: cache).appendingPathComponent("aerie/models")
    }()

    static let modelsInstalled = ["minilm", "efficientnet-lite0"].allSatisfy {
        FileManager.default.fileExists(atPath: modelsDirectory.appendingPathComponent("\($0)/model.safetensors").path)
    }

    static let shared: Result<E2EFixture, any Error> = Result { try E2EFixture() }

    private init() throws {
        guard let sample = TmuxEndToEndTests.corpus else { throw TmuxTimeout(screen: "no sample corpus") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aerie-e2e-\(UUID().uuidString)")
        head = directory.appendingPathComponent("head")
        index = directory.appendingPathComponent("index")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let assignments = [
            "XDG_DATA_HOME=\(directory.appendingPathComponent("data").path)",
            "XDG_CACHE_HOME=\(directory.appendingPathComponent("cache").path)",
            "AERIE_MODELS=\(E2EFixture.modelsDirectory.path)",
        ]
        environment = ["/usr/bin/env"] + assignments
        // A small copy of the sample corpus: debug builds encode images slowly.
        self.corpus = try MiniCorpus.make(from: sample, count: 8, in: directory.appendingPathComponent("corpus"))
        let corpus = self.corpus
        // The samples have one split: it both trains and selects (a test corpus, not a model).
        let train = try Tmux.runPlain(environment + [Tmux.binary, "train", corpus.path, "--val-split", "train",
                                                     "--epochs", "4", "--out", head.path], stdin: FileHandle.nullDevice)
        guard train.status == 0 else { throw FixtureFailure(step: "aerie train", output: train.stderr + train.stdout) }
        let indexed = try Tmux.runPlain(environment + [Tmux.binary, "index", corpus.path, "--head", head.path,
                                                       "--index", index.path], stdin: FileHandle.nullDevice)
        guard indexed.status == 0 else { throw FixtureFailure(step: "aerie index", output: indexed.stderr + indexed.stdout) }
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    var step: String
    var output: String
    var description: String { "\(step) failed:\n\(output)" }
}

/// The first `count` images of a caption data set (sorted by file name) with their captions,
/// copied into `directory` as `dataset.json` and `imgs/`.
enum MiniCorpus {
    static func make(from sample: URL, count: Int, in directory: URL) throws -> URL {
        let fm = FileManager.default
        let images = directory.appendingPathComponent("imgs")
        try fm.createDirectory(at: images, withIntermediateDirectories: true)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: sample.appendingPathComponent("dataset.json")))
        guard let root = json as? [String: Any], let all = root["images"] as? [[String: Any]] else {
            throw FixtureFailure(step: "mini corpus", output: "unexpected dataset.json shape")
        }
        let kept = all.filter { ($0["filename"] as? String) != nil }
            .sorted { ($0["filename"] as? String ?? "") < ($1["filename"] as? String ?? "") }
            .prefix(count)
        for entry in kept {
            let name = entry["filename"] as? String ?? ""
            try fm.copyItem(at: sample.appendingPathComponent("imgs").appendingPathComponent(name),
                            to: images.appendingPathComponent(name))
        }
        let data = try JSONSerialization.data(withJSONObject: ["images": Array(kept)])
        try data.write(to: directory.appendingPathComponent("dataset.json"))
        return directory
    }
}
