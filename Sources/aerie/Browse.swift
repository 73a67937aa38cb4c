import AerieBrowser
import AerieCurses
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie browse`: the full-screen browser.
struct Browse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search images by caption in a full-screen terminal browser; label relevance.",
        discussion: """
            Type a caption; the best-matching images appear as you type. Enter or Tab moves to \
            the results: Enter opens an image's captions and neighbours, r/n/0-3 label it for \
            the query (saved at once), f re-ranks with the labels (Rocchio), g shows a grid, \
            p cycles the preview mode, ? lists every key, q quits. Queries may combine terms: \
            "parking lot" - cars + ./img.jpg.
            """
    )

    @Argument(help: ArgumentHelp("The data set to browse (indexed first when it has no index yet); default: the bundled corpus, assets/corpus.", valueName: "dataset"))
    var dataset: String?

    @OptionGroup var options: IndexModelOptions

    @OptionGroup var labels: LabelStoreOption

    @Option(help: "Start with this query.")
    var query: String = ""

    @Option(help: ArgumentHelp("Preview mode: auto, sixel, symbols or ascii.", valueName: "mode"))
    var preview: String = "auto"

    @Option(help: "Rocchio weight of the query.") var alpha: Double = 1.0
    @Option(help: "Rocchio weight of relevant images.") var beta: Double = 0.75
    @Option(help: "Rocchio weight of non-relevant images.") var gamma: Double = 0.15

    @Option(help: ArgumentHelp("Milliseconds of typing pause before a search.", valueName: "ms"))
    var debounce: Int = 120

    @Option(help: "Results per search.") var limit: Int = 200

    func validate() throws {
        guard PreviewMode(rawValue: preview) != nil else {
            throw ValidationError("--preview must be one of auto, sixel, symbols, ascii")
        }
        guard debounce >= 0, debounce <= 5000 else { throw ValidationError("--debounce must be 0...5000 ms") }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        // Fail fast, before any indexing, when there is no terminal to browse in.
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            let stream = isatty(STDIN_FILENO) == 1 ? "output" : "input"
            Browse.printError("aerie: " + CursesError.notATerminal(stream: stream).description)
            throw ExitCode(2)
        }
        let environment = ProcessInfo.processInfo.environment
        let capabilities = TerminalQuery.detect(environment: environment)
        let requested = PreviewMode(rawValue: preview) ?? .auto
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let store = try labels.open()
        let previewer = BrowsePreviewer(capabilities: capabilities)
        // The index opens before the first frame (indexing first, with progress, when there is
        // none yet); the models load behind the first frame (see DeferredBackend).
        let backend: DeferredBackend
        do {
            let opened = try BrowseCorpus.openIndex(dataset: dataset, options: options) { line in
                Browse.printError(TerminalText.sanitize(line))
            }
            let options = self.options
            backend = DeferredBackend(info: opened.corpusInfo) {
                try BrowseCorpus.loadModels(for: opened, options: options, previewer: previewer)
            }
        } catch {
            Browse.printError("aerie: " + TerminalText.sanitize(String(describing: error)))
            throw ExitCode(1)
        }
        let config = BrowserConfig(
            debounceMilliseconds: debounce, resultLimit: limit,
            rocchio: RocchioWeights(alpha: alpha, beta: beta, gamma: gamma),
            sixelAvailable: capabilities.sixel, noColor: noColor)
        let runtime = BrowserRuntime(
            backend: backend, labels: store, config: config,
            previewMode: BrowsePreviewer.initialMode(capabilities, requested: requested),
            initialQuery: query, notice: DeferredBackend.loadingNotice)
        let post = runtime.poster
        backend.whenLoaded { post(.noticeExpired(DeferredBackend.loadingNotice)) }
        do {
            try runtime.run()
            runtime.flushLabelWrites()
        } catch let error as CursesError {
            runtime.flushLabelWrites()
            Browse.printError("aerie: " + error.description)
            throw ExitCode(error.exitCode)
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension CursesError {
    /// 2 for "not a terminal", 3 for an unusable terminal type.
    var exitCode: Int32 {
        switch self {
        case .notATerminal: return 2
        case .unknownTerminal, .cannotAddressCursor: return 3
        }
    }
}
