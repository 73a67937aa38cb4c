import AerieIndex
import AerieRetrieval
import AerieTerminal
import ArgumentParser
import Foundation

/// Options shared by `index`, `search`, `neighbors`, `eval`, `browse` and `labels eval`: where the
/// data set, the index, the models and the joint head are. They only describe a
/// ``RetrievalConfiguration``; the library resolves and loads.
struct IndexModelOptions: ParsableArguments {
    @Option(name: .customLong("images"), help: "Image root of a caption JSON (default: imgs/ or images/ beside it).")
    var imageRoot: String?
    @Option(help: "Index directory (default: a per-data-set folder under ${XDG_DATA_HOME:-~/.local/share}/aerie/indexes).")
    var index: String?
    @Option(help: "Model store directory (default: AERIE_MODELS or the XDG cache).")
    var models: String?
    @Option(help: "Joint head directory (default: the data set's own head/, else the current head of `aerie train`, else the shipped default).")
    var head: String?
    @Flag(help: "Use no joint head: image vectors are the image encoder's features (image→image search only).")
    var noHead = false
    @Option(help: "Image encoder when there is no head (efficientnet-lite0, efficientnet-lite2).")
    var model: String = "efficientnet-lite0"

    /// The configuration for `dataset` (a path as given on the command line, or nil).
    func configuration(dataset: String?) -> RetrievalConfiguration {
        RetrievalConfiguration(
            dataset: dataset.map { URL(fileURLWithPath: $0) }, imageRoot: imageRoot.map { URL(fileURLWithPath: $0) },
            index: index.map { URL(fileURLWithPath: $0) }, models: models, head: head.map { URL(fileURLWithPath: $0) },
            noHead: noHead, imageModel: model)
    }
}

/// Runs a library call, turning the library's usage mistakes into ArgumentParser's validation
/// errors (usage and exit code 64), as the options' own checks are.
func usingLibrary<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RetrievalError {
        switch error {
        case .noIndexNamed, .textNeedsHead, .noDatasetNamed: throw ValidationError(error.description)
        case .emptySplit, .unknownImage, .nonFiniteQuery, .unknownView: throw error
        }
    }
}

/// Set by SIGINT; the indexing progress callback turns it into ``IndexError/cancelled``.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptRequested = 1 }
}

/// One printed or JSON result (the JSON fields are the command's output format).
struct SearchResultLine: Codable {
    var rank: Int
    var score: Float
    var kind: String
    var id: Int64
    var path: String
    var label: String?
    var split: String?
    var caption: String?

    init(_ item: RankedItem) {
        self.rank = item.rank
        self.score = item.score
        self.kind = item.kind.rawValue
        self.id = item.id
        self.path = item.path
        self.label = item.label
        self.split = item.split
        self.caption = item.caption
    }
}

/// Options shared by `search` and `neighbors`: which index, how many results, which distance,
/// and the output form.
struct RankingOptions: ParsableArguments {
    @Option(name: .customLong("dataset"), help: "The data set whose index to search.")
    var dataset: String?
    @Option(help: "Results to show (1 to 100000).")
    var k: Int = 10
    @Option(help: "cosine, euclidean, cityblock or hamming.")
    var metric: Metric = .cosine
    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        try checkRange("k", k, 1...100_000)
    }

    /// A session over the index named by the data set and `options` (`--index` wins).
    func openSession(_ options: IndexModelOptions) throws -> RetrievalSession {
        try usingLibrary { try RetrievalSession(options.configuration(dataset: dataset)) }
    }

    /// Prints the ranked items as a table or JSON.
    ///
    /// - Parameter scoreName: the score column's title when it is not the metric's (a hubness
    ///   correction's name).
    func print(_ items: [RankedItem], scoreName: String? = nil) throws {
        try printResults(items.map(SearchResultLine.init), json: json, metric: metric, scoreName: scoreName)
    }
}

func printResults(_ lines: [SearchResultLine], json: Bool, metric: Metric, scoreName: String? = nil) throws {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try printLine(String(decoding: try encoder.encode(lines), as: UTF8.self))
        return
    }
    try printLine("rank  \((scoreName ?? metric.rawValue).padding(toLength: 9, withPad: " ", startingAt: 0))  id      image / caption")
    for line in lines {
        let score = String(format: metric == .hamming ? "%9.0f" : "%9.4f", line.score)
        let what = line.caption.map { "\"\(TerminalText.sanitize($0))\"  (\(TerminalText.sanitize(line.path)))" }
            ?? TerminalText.sanitize(line.path) + (line.label.map { "  [\(TerminalText.sanitize($0))]" } ?? "")
        try printLine(String(format: "%4d", line.rank) + "  " + score + "  " + String(line.id).padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + what)
    }
}

extension Metric: ExpressibleByArgument {}
