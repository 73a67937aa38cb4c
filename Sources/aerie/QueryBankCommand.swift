import AerieJoint
import AerieRetrieval
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie query-bank DATASET --head DIR`: adds reference queries to a head trained without them.
struct QueryBankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query-bank",
        abstract: "Add a query bank to a joint head, so --hubness works on indexes without captions.",
        discussion: """
            Hubness corrections (--hubness csls|isoftmax) learn each image's offset from reference \
            queries. An index of a caption data set has its own captions; a folder of images has \
            none, and a head's query bank stands in for them: the joint vectors of distinct \
            captions of the head's training split. `aerie train` writes one (--query-bank N); \
            this command adds one to a head trained before that.
            """
    )

    @Argument(help: "The caption data set the head was trained on.")
    var dataset: String
    @Option(help: "The head directory.")
    var head: String
    @Option(name: .customLong("images"), help: "The image root of a caption JSON (default: imgs/ or images/ beside it).")
    var images: String?
    @Option(help: "Reference queries (distinct captions, spread over the split).")
    var count = QueryBankMaker.defaultCount
    @Option(help: "The split the captions come from.")
    var split = "train"
    @Option(help: "Model folder (default: $AERIE_MODELS or the user cache).")
    var models: String?
    @Option(help: "Feature cache folder (default: $XDG_CACHE_HOME/aerie/features).")
    var cache: String?

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000, got \(count)") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: head)
        let request = TrainingSet.Request(
            dataset: URL(fileURLWithPath: dataset), imageRoot: images.map { URL(fileURLWithPath: $0) }, backbones: [],
            views: [.center], trainSplit: split, validationSplit: split, trainSubset: 0, models: models,
            featureCache: cache.map { URL(fileURLWithPath: $0) } ?? DefaultLocations.featureCache(), maskSameClass: false)
        let made = try QueryBankMaker.make(head: directory, request: request, count: count)
        try QueryBankMaker.attach(made.bank, to: directory, source: made.source)
        printError("query bank: \(made.source), written to \(TerminalText.sanitize(directory.appendingPathComponent(QueryBank.fileName).path))")
    }
}
