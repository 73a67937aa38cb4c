import AerieIndex
import AerieEvaluation
import AerieRetrieval
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie eval`: text→image and image→text R@1/5/10 and mR on a split, from the index.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recall@K both ways and mR on a split, with the literature's protocol.",
        discussion: """
            Every caption of the split is a query. Text→image: a hit when the caption's own image \
            is in the top K of the split's images. Image→text: a hit when any of the image's \
            captions is in the top K of the split's captions. Equal scores (RSICD repeats caption \
            texts across images, and identical texts score identically) are broken uniformly at \
            random, in expectation, as the literature's sort does on average; --ties pessimistic \
            or optimistic gives the bounds. --hubness csls or isoftmax corrects the scores of \
            each direction for hubs, learning from the split's queries of that direction (as \
            the literature measures these corrections).
            """
    )

    @Argument(help: "The data set (its index must exist: run `aerie index` first).")
    var dataset: String
    @OptionGroup var options: IndexModelOptions
    @Option(help: "Split to evaluate.")
    var split: String = "test"
    @Option(help: "How ties with the true match rank: expected, pessimistic or optimistic.")
    var ties: TieRule = .expected
    @Option(name: .customLong("labels"), help: ArgumentHelp(
        "Score the index on relevance labels made in the browser instead: P@K, AP (MAP) and nDCG@K "
            + "(as `aerie labels eval`). Give the label file, or `default` for the browser's own.",
        valueName: "path"))
    var labelFile: String?
    @Option(help: "The cut-off K of P@K and nDCG@K, with --labels (1 to 100000).")
    var k: Int = 10
    @OptionGroup var hubness: HubnessOptions
    @Flag(help: "Show recall per class label.")
    var perClass = false
    @Flag(help: "Scene-type retrieval instead: each class label of the split typed as a text query over the split's images; AP and images of the class in the top 10, per class and their mean (--split all: every image, as for class folders).")
    var classNames = false
    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        try checkRange("k", k, 1...100_000)
    }

    func run() throws {
        if let labelFile {
            var store = LabelStoreOption()
            store.path = labelFile == "default" ? nil : labelFile
            try LabelsEval.evaluate(dataset: dataset, options: options, labels: store, k: k, depth: LabelsEval.defaultDepth)
            return
        }
        let session = try usingLibrary { try RetrievalSession(options.configuration(dataset: dataset)) }
        let correction = hubness.correction
        if classNames {
            try printClassNames(try usingLibrary { try session.classNameRetrieval(split: split, hubness: correction) })
            return
        }
        let report = try usingLibrary { try session.evaluate(split: split, ties: ties, hubness: correction) }
        let images = session.index.images.filter { $0.split == split }
        let imageRows = Set(images.map(\.row))
        let captions = session.index.captions.filter { imageRows.contains($0.imageRow) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        try printLine("split \(TerminalText.sanitize(split)): \(images.count) images, \(captions.count) captions; "
              + "space: \(TerminalText.sanitize(session.index.space.description)); ties \(report.tieRule.rawValue); "
              + "hubness \(correction.name)")
        try printLine("                  text→image            image→text")
        try printLine("                  R@1    R@5    R@10    R@1    R@5    R@10    mR")
        func row(_ name: String, _ t: RecallTable) -> String {
            let cells = (t.textToImage + t.imageToText).map { String(format: "%6.2f", $0) }
            return name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + cells[0..<3].joined(separator: " ") + "  "
                + cells[3..<6].joined(separator: " ") + "  " + String(format: "%6.2f", t.meanRecall)
        }
        try printLine(row("all", report.overall))
        if perClass {
            for (label, table) in report.perClass { try printLine(row(TerminalText.sanitize(label), table)) }
        }
    }
}

extension Eval {
    /// The class-name table (or JSON): label, images, AP, class images in the top 10; then the mean.
    func printClassNames(_ results: [ClassNameResult]) throws {
        let meanAP = results.isEmpty ? 0 : results.reduce(0) { $0 + $1.averagePrecision } / Double(results.count)
        if json {
            struct Output: Encodable { var split: String; var meanAveragePrecision: Double; var classes: [ClassNameResult] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try printLine(String(decoding: try encoder.encode(Output(split: split, meanAveragePrecision: meanAP, classes: results)), as: UTF8.self))
            return
        }
        try printLine("class name as query        images      AP   in top 10")
        for r in results {
            try printLine(TerminalText.sanitize(r.label).padding(toLength: 24, withPad: " ", startingAt: 0)
                          + String(format: "  %6d  %6.4f  %6d", r.relevant, r.averagePrecision, r.relevantInTop10))
        }
        try printLine(String(format: "mean AP %.4f over %d classes; %d of %d top-10 places hold the class", meanAP, results.count,
                             results.reduce(0) { $0 + $1.relevantInTop10 }, results.reduce(0) { $0 + min(10, $1.relevant) }))
    }
}

extension TieRule: ExpressibleByArgument {}
