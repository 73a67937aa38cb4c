import AerieIndex
import ArgumentParser
import Foundation

/// `aerie neighbors`: the images (or captions) nearest an indexed image.
struct Neighbors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Images nearest an indexed image (image→image), or its nearest captions (image→text)."
    )

    @Argument(help: "An indexed image: its path relative to the image root, or its id.")
    var image: String
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var options: IndexModelOptions
    @Flag(help: "Rank all captions instead of images.")
    var captions = false
    @OptionGroup var hubness: HubnessOptions

    func run() throws {
        try hubness.check(metric: ranking.metric)
        if hubness.hubness != .none && !captions {
            throw ValidationError("--hubness corrects image→text ranking: add --captions")
        }
        let index = try ranking.openIndex(options)
        guard let found = index.image(matching: image) else { throw IndexError.unknownItem("image \(image)") }
        let vector = index.imageVectors.row(found.row)
        let target: SearchIndex.Target = captions ? .captions : .images
        // The image itself is its own nearest neighbour: ask for one more and drop it.
        var hits = hubness.hubness == .none
            ? try index.search(vector, target: target, k: captions ? ranking.k : ranking.k + 1, metric: ranking.metric)
            : try index.search(vector, k: ranking.k, hubness: index.prepareHubness(hubness.correction, target: .captions))
        if !captions { hits = Array(hits.filter { $0.id != found.row }.prefix(ranking.k)) }
        try ranking.print(resultLines(hits, index: index, target: target), scoreName: hubness.scoreName)
    }
}
