import AerieIndex
import AerieTerminal
import ArgumentParser
import Foundation

/// `aerie search`: text→image (and query arithmetic), or an outside image with `--image`.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search an index by caption, image, or both combined.",
        discussion: """
            Query arithmetic as in rclip: aerie search "2:parking lot" + ./img.jpg - "cars" \
            (weights before a colon; image files and texts mixed; - subtracts).
            """
    )

    @Argument(parsing: .allUnrecognized, help: "The query: text, image files, + and -.")
    var query: [String] = []
    @Option(help: "An outside image to search with.")
    var image: String?
    @Option(name: .customLong("dataset"), help: "The data set whose index to search.")
    var dataset: String?
    @OptionGroup var options: IndexModelOptions
    @Option(help: "Results to show.")
    var k: Int = 10
    @Option(help: "cosine, euclidean, cityblock or hamming.")
    var metric: Metric = .cosine
    @Flag(help: "Search captions instead of images.")
    var captions = false
    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        let location = try options.location(forDataset: dataset.map { URL(fileURLWithPath: $0) })
        let index = try SearchIndex(location: location)
        var terms = query
        if let image { terms = terms.isEmpty ? [image] : terms + ["+", image] }
        let expression = try QueryExpression.parse(terms) { term in
            let expanded = NSString(string: term).expandingTildeInPath
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let needsText = expression.terms.contains { $0.kind == .text }
        let models = try options.loadModels(needText: needsText, dataset: dataset)
        try index.requireSpace(EmbeddingSpace(imageEncoder: models.image.identity, textEncoder: models.text?.identity,
                                              head: models.head?.identity, dimension: index.space.dimension))
        let vector = try QueryEncoder(image: models.image, text: models.text, head: models.head).vector(for: expression)
        let target: SearchIndex.Target = captions ? .captions : .images
        let hits = try index.search(vector, target: target, k: k, metric: metric)
        try printResults(resultLines(hits, index: index, target: target), json: json, metric: metric)
    }
}
