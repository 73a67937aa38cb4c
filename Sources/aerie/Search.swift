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
            (weights before a colon; image files and texts mixed; - subtracts). \
            --hubness csls or isoftmax corrects the cosine scores for hubs, learning from the \
            index's captions (or images, with --captions); scores shown are the corrected ones.
            """
    )

    @Argument(parsing: .allUnrecognized, help: "The query: text, image files, + and -.")
    var query: [String] = []
    @Option(help: "An outside image to search with.")
    var image: String?
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var options: IndexModelOptions
    @Flag(help: "Search captions instead of images.")
    var captions = false
    @OptionGroup var hubness: HubnessOptions

    func run() throws {
        try hubness.check(metric: ranking.metric)
        let index = try ranking.openIndex(options)
        var terms = query
        if let image { terms = terms.isEmpty ? [image] : terms + ["+", image] }
        let expression = try QueryExpression.parse(terms) { term in
            let expanded = NSString(string: term).expandingTildeInPath
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let needsText = expression.terms.contains { $0.kind == .text }
        let models = try options.loadModels(needText: needsText, dataset: ranking.dataset)
        try index.requireSpace(EmbeddingSpace(imageEncoder: models.image.identity, textEncoder: models.text?.identity,
                                              head: models.head?.identity, dimension: index.space.dimension))
        let vector = try QueryEncoder(image: models.image, text: models.text, head: models.head).vector(for: expression)
        let target: SearchIndex.Target = captions ? .captions : .images
        let hits = hubness.hubness == .none
            ? try index.search(vector, target: target, k: ranking.k, metric: ranking.metric)
            : try index.search(vector, k: ranking.k, hubness: index.prepareHubness(hubness.correction, target: target))
        try ranking.print(resultLines(hits, index: index, target: target), scoreName: hubness.scoreName)
    }
}
