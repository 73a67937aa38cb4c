import AerieCore
import AerieEvaluation
import AerieIndex
import AerieRetrieval
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie labels`: the relevance labels made in `aerie browse`.
struct Labels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export, import and list the relevance labels made in the browser.",
        discussion: """
            Labels are (query, image, grade) triples, grade 0 (not relevant) to 3, kept in a \
            SQLite file: --labels PATH, else $AERIE_LABELS, else \
            $XDG_DATA_HOME/aerie/labels.sqlite, else ~/.local/share/aerie/labels.sqlite. \
            They are exported as TREC qrels (`topic 0 docno relevance`) with a topics file \
            (`topic<TAB>query`), which trec_eval reads. Export writes the qrels to standard \
            output unless -o names a file, and the topics only to a file you name: --topics \
            FILE, or <output>.topics beside -o.
            """,
        subcommands: [LabelsExport.self, LabelsImport.self, LabelsList.self, LabelsEval.self, LabelsWriteProbe.self]
    )
}

/// The `--labels` option shared by the label commands and `aerie browse`.
struct LabelStoreOption: ParsableArguments {
    @Option(name: .customLong("labels"), help: ArgumentHelp("The label file (SQLite).", valueName: "path"))
    var path: String?

    var resolvedPath: String { path ?? LabelStore.defaultPath(environment: ProcessInfo.processInfo.environment) }

    /// Opens the label file, creating it when it does not exist (the browser, import).
    func open() throws -> LabelStore {
        do {
            return try LabelStore(path: resolvedPath)
        } catch {
            throw labelFailure(error)
        }
    }

    /// Opens an existing label file to read it (list, export, eval): a missing file is an
    /// error, never created.
    func openExisting() throws -> LabelStore {
        do {
            return try LabelStore(existingAt: resolvedPath)
        } catch {
            throw labelFailure(error)
        }
    }
}

/// Prints an error (sanitized) and returns exit code 1.
func labelFailure(_ error: any Error) -> ExitCode {
    printError("aerie: " + TerminalText.sanitize(String(describing: error)))
    return ExitCode(1)
}

struct LabelsExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the labels as TREC qrels (and, when asked, a topics file).",
        discussion: """
            The qrels go to standard output, or to the file -o names. The topics (the queries \
            the qrels' topic numbers stand for, which `aerie labels import` needs) are written \
            only to a file you name: --topics FILE, or <output>.topics when -o is given.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case qrels }

    @OptionGroup var store: LabelStoreOption
    @Option(help: "Output format.") var format: Format = .qrels
    @Option(name: .shortAndLong, help: ArgumentHelp("The qrels file to write (default: standard output).", valueName: "file"))
    var output: String?
    @Option(help: ArgumentHelp("The topics file to write (default: <output>.topics with -o; none without).", valueName: "file"))
    var topics: String?

    func run() throws {
        let labels = try store.openExisting()
        let exported: (qrels: String, topics: String)
        do {
            exported = try Qrels.export(labels: try labels.allLabels(), topics: try labels.topics())
        } catch {
            throw labelFailure(error)
        }
        // Only paths the user named: -o, --topics, or the topics beside -o.
        let topicsPath = topics ?? output.map { $0 + ".topics" }
        if let output {
            try OutputFile.write(exported.qrels, to: output)
        } else if isatty(STDOUT_FILENO) == 1 {
            // On a terminal the names are shown, not carried: neutralise what could drive it.
            for line in exported.qrels.split(separator: "\n") { try printLine(TerminalText.sanitize(String(line))) }
        } else {
            try StandardStream.standardOutput.write(exported.qrels)
        }
        if let topicsPath { try OutputFile.write(exported.topics, to: topicsPath) }
        let count = exported.qrels.split(separator: "\n").count
        printError("aerie: \(count) labels" + (topicsPath.map { "; topics in \(TerminalText.sanitize($0))" }
            ?? "; topics not written (name a file with --topics)"))
    }
}

struct LabelsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read TREC qrels and their topics file into the label store (existing labels are updated)."
    )

    @OptionGroup var store: LabelStoreOption
    @Argument(help: ArgumentHelp("The qrels file.", valueName: "qrels")) var qrels: String
    @Option(help: ArgumentHelp("The topics file (default: <qrels>.topics).", valueName: "file")) var topics: String?

    func run() throws {
        let topicsPath = topics ?? qrels + ".topics"
        let labels: [Label]
        do {
            let qrelsText = try String(contentsOfFile: qrels, encoding: .utf8)
            let topicsText = try String(contentsOfFile: topicsPath, encoding: .utf8)
            labels = try Qrels.parse(qrels: qrelsText, qrelsName: qrels, topics: topicsText, topicsName: topicsPath)
        } catch {
            throw labelFailure(error)
        }
        do {
            try store.open().save(labels)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw labelFailure(error)
        }
        try printLine("imported \(labels.count) labels into \(TerminalText.sanitize(store.resolvedPath))")
    }
}

/// Hidden, for the kill -9 test (issue 12, item 2): writes labels one at a time through the
/// store the browser uses, printing `saved <image>` only after each write has returned, as the
/// browser marks a label saved only then. A test kills it at random moments and checks that
/// every label it reported is in the file.
struct LabelsWriteProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-probe",
        abstract: "Write labels one by one, reporting each once it is durable (for tests).",
        shouldDisplay: false
    )

    @OptionGroup var store: LabelStoreOption
    @Option(help: ArgumentHelp("How many labels to write (1…100000).", valueName: "n")) var count = 100
    @Option(help: ArgumentHelp("The query the labels belong to.", valueName: "text")) var query = "probe"

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000, got \(count)") }
    }

    func run() throws {
        let labels = try store.open()
        for i in 0..<count {
            let imageID = "image_\(i)"
            do {
                try labels.apply(LabelChange(key: LabelKey(query: query, imageID: imageID), grade: i % 4))
            } catch {
                throw labelFailure(error)
            }
            try printLine("saved \(imageID)")
        }
    }
}

struct LabelsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the labels: grade, image, query."
    )

    @OptionGroup var store: LabelStoreOption

    func run() throws {
        let labels: [Label]
        do {
            labels = try store.openExisting().allLabels()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw labelFailure(error)
        }
        for label in labels {
            try printLine("\(label.grade)\t\(TerminalText.sanitize(label.imageID))\t\(TerminalText.sanitize(label.query))")
        }
    }
}

struct LabelsEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the index on your labels: P@K, AP (MAP) and nDCG@K over the labelled queries.",
        discussion: """
            Each labelled query is searched again (plain, no feedback) and ranked against its \
            labels; unlabelled images count as not relevant, as in trec_eval. Queries without a \
            relevant label are skipped.
            """
    )

    @Argument(help: ArgumentHelp("The data set whose index to evaluate.", valueName: "dataset"))
    var dataset: String?
    @OptionGroup var options: IndexModelOptions
    @OptionGroup var store: LabelStoreOption
    @Option(help: "The cut-off K of P@K and nDCG@K.") var k: Int = 10
    @Option(help: "How deep each ranking goes (AP is computed over it).") var depth: Int = 1000

    func validate() throws {
        try checkRange("k", k, 1...100_000)
        try checkRange("depth", depth, k...1_000_000)
    }

    /// The ranking depth when `aerie eval --labels` asks.
    static let defaultDepth = 1000

    func run() throws {
        try Self.evaluate(dataset: dataset, options: options, labels: store, k: k, depth: depth)
    }

    /// Searches every labelled query again on the data set's index (indexing it first when it
    /// has none, as `aerie browse` does) and prints P@K, MAP and nDCG@K.
    static func evaluate(dataset: String?, options: IndexModelOptions, labels store: LabelStoreOption, k: Int, depth: Int) throws {
        let labels = try store.openExisting().allLabels()
        guard !labels.isEmpty else { throw labelFailure(LabelsEvalError.noLabels(store.resolvedPath)) }
        let session = try Browse.openSession(dataset: dataset, options: options)
        let rankings = try usingLibrary { try session.rankings(of: labels.map(\.query), depth: depth) }
        let summary = RelevanceMetrics.summarize(labels: labels, rankings: rankings, k: k)
        try printLine("labelled queries \(summary.topics) (skipped without a relevant label: \(summary.skipped)), labels \(labels.count)")
        try printLine(String(format: "P@%d %.4f   MAP %.4f   nDCG@%d %.4f", k, summary.precisionAtK, summary.meanAveragePrecision, k, summary.ndcgAtK))
    }
}

enum LabelsEvalError: Error, CustomStringConvertible {
    case noLabels(String)
    var description: String {
        switch self {
        case let .noLabels(path): return "no labels in \(path): label results in `aerie browse` first"
        }
    }
}
