import AerieBrowser
import AerieRetrieval
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
        try checkRange("debounce", debounce, 0...5000)
        try checkRange("limit", limit, 1...100_000)
        try checkRange("alpha", alpha, 0...100)
        try checkRange("beta", beta, 0...100)
        try checkRange("gamma", gamma, 0...100)
    }

    func run() throws {
        // Fail fast, before any indexing, when there is no terminal to browse in.
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            let stream = isatty(STDIN_FILENO) == 1 ? "output" : "input"
            printError("aerie: " + CursesError.notATerminal(stream: stream).description)
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
            let session = try Self.openSession(dataset: dataset, options: options)
            let imageRoot = try session.configuration.dataset.map { _ in try session.configuration.loadDataset().imageRoot }
            backend = DeferredBackend(info: SessionBackend.corpusInfo(session.index)) {
                _ = try session.encoders(needText: true)
                return SessionBackend(session: session, imageRoot: imageRoot, previewer: previewer)
            }
        } catch {
            printError("aerie: " + TerminalText.sanitize(String(describing: error)))
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
            printError("aerie: " + error.description)
            throw ExitCode(error.exitCode)
        }
    }

    /// The session `aerie browse` (and `aerie labels eval`) searches: the named data set's index,
    /// indexed first when it has no complete index yet (with `aerie index`'s progress); with
    /// neither a data set nor `--index`, the bundled corpus (`assets/corpus`), which carries its
    /// own head.
    static func openSession(dataset named: String?, options: IndexModelOptions) throws -> RetrievalSession {
        var dataset = named
        if dataset == nil, options.index == nil {
            dataset = try BundledAssets.corpusDirectory().path
        }
        guard dataset != nil || options.index != nil else {
            throw ValidationError("name a data set to browse (or an index with --index DIR)")
        }
        let configuration = options.configuration(dataset: dataset)
        if let dataset, !Indexing.hasCompleteIndex(configuration) {
            printError(TerminalText.sanitize("aerie: \(named ?? "the bundled corpus (\(dataset))") has no index yet; indexing it first"))
            try Index.build(Indexing(configuration))
        }
        return try usingLibrary { try RetrievalSession(configuration) }
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
