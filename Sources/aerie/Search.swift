import AerieIndex
import AerieRetrieval
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
        if let image { try RetrievalSession.requireImageFile(image) }
        let session = try ranking.openSession(options)
        var terms = query
        if let image { terms = terms.isEmpty ? [image] : terms + ["+", image] }
        let expression = try session.parseQuery(terms)
        let items = try usingLibrary {
            try session.search(expression, target: captions ? .captions : .images, k: ranking.k, metric: ranking.metric,
                               hubness: hubness.correction)
        }
        try ranking.print(items, scoreName: hubness.scoreName)
    }
}
